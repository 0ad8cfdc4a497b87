from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from connector.config import load_config, parse_config
from connector.durations import format_duration, parse_duration
from connector.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("90m", timedelta(minutes=90), id="minutes"),
        pytest.param("24h", timedelta(hours=24), id="hours"),
        pytest.param("7d", timedelta(days=7), id="days"),
        pytest.param("1d12h", timedelta(days=1, hours=12), id="compound"),
        pytest.param("2w", timedelta(days=14), id="weeks"),
        pytest.param(" 30s ", timedelta(seconds=30), id="padded"),
        pytest.param("500ms", timedelta(milliseconds=500), id="milliseconds"),
        pytest.param("1m30s", timedelta(seconds=90), id="minutes-and-seconds"),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["24 hours", "", "h", "5x", "-3h", "1.5.2h"])
def test_bad_duration_names_value_and_fix(text: str) -> None:
    with pytest.raises(ValueError, match=r'is not a duration \(write e.g. "24h" or "7d"\)'):
        parse_duration(text)


def test_format_duration_round_trips() -> None:
    for text in ("90m", "1d12h", "7d", "45s", "500ms", "1s250ms"):
        assert parse_duration(format_duration(parse_duration(text))) == parse_duration(text)


def test_bad_duration_error_names_file_key_and_value(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[rules.sla]]\nname = "first-contact-24h"\nmodule = "Leads"\nfirst_activity_within = "24 hours"\n',
    )
    with pytest.raises(ConfigError) as excinfo:
        load_config(path)
    assert str(excinfo.value) == (
        'config.toml: rules.sla[0].first_activity_within: "24 hours" is not a duration (write e.g. "24h" or "7d")'
    )
    assert excinfo.value.exit_code == 2


def test_unknown_key_is_rejected_with_its_path(tmp_path: Path) -> None:
    path = write(tmp_path, '[adapters.demo]\nkind = "file"\npath = "x"\npth = "typo"\n')
    with pytest.raises(ConfigError, match=r"config.toml: adapters.demo.pth: unknown key"):
        load_config(path)


def test_unknown_top_level_section(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config.toml: refere: unknown key"):
        load_config(write(tmp_path, "[refere]\napply = true\n"))


def test_unknown_adapter_kind(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"adapters.x"):
        load_config(write(tmp_path, '[adapters.x]\nkind = "salesforce"\n'))


def test_bad_time_zone(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r'referee.timezone: "Mars/Olympus" is not an IANA time zone'):
        load_config(write(tmp_path, '[referee]\ntimezone = "Mars/Olympus"\n'))


def test_unset_variable_is_named(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[adapters.z]\nkind = "zoho"\nclient_id = "${ZID}"\nclient_secret = "${ZSECRET}"\n'
        'refresh_token = "${ZREFRESH}"\n',
    )
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, environ={"ZID": "1000.abc", "ZREFRESH": "r"})
    message = str(excinfo.value)
    assert "adapters.z.client_secret" in message
    assert "environment variable ZSECRET is not set" in message


def test_variables_are_resolved_and_never_shown_in_errors(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[adapters.z]\nkind = "zoho"\nclient_id = "${ZID}"\nclient_secret = "${ZSECRET}"\n'
        'refresh_token = "${ZREFRESH}"\ndata_center = "${ZDC}"\n',
    )
    env = {"ZID": "1000.abc", "ZSECRET": "s3cr3t-value", "ZREFRESH": "r", "ZDC": "mars"}
    with pytest.raises(ConfigError) as excinfo:
        load_config(path, environ=env)
    assert "adapters.z.data_center" in str(excinfo.value)
    assert "mars" not in str(excinfo.value)
    env["ZDC"] = "eu"
    config = load_config(path, environ=env)
    adapter = config.adapter("z")
    assert adapter.client_secret.get_secret_value() == "s3cr3t-value"
    assert "s3cr3t-value" not in repr(config)


def test_models_are_frozen(tmp_path: Path) -> None:
    config = parse_config({"referee": {"apply": True}}, environ={})
    with pytest.raises(Exception, match="frozen"):
        config.referee.apply = False  # type: ignore[misc]


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config\.toml: not valid TOML"):
        load_config(write(tmp_path, "[referee\n"))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.toml")


def test_relative_sqlite_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, '[referee]\nstate = "sqlite:///state/ref.db"\n'))
    assert config.state_url() == f"sqlite:///{tmp_path.resolve()}/state/ref.db"


def test_unknown_adapter_name(tmp_path: Path) -> None:
    config = parse_config({}, environ={})
    with pytest.raises(ConfigError, match='no adapter named "zoho"'):
        config.adapter("zoho")


@pytest.mark.parametrize("name", ["config.example.toml", "examples/demo.toml"])
def test_shipped_configs_load(name: str) -> None:
    env = {
        "ZOHO_CLIENT_ID": "1000.x", "ZOHO_CLIENT_SECRET": "s", "ZOHO_REFRESH_TOKEN": "r",
        "ACME_TOKEN": "t", "ACME_WEBHOOK_SECRET": "w", "REFEREE_API_KEY": "k" * 32, "ZOHO_CHANNEL_TOKEN": "c",
        "WECOM_BOT_URL": "wecombot://0123456789abcdef",
    }
    config = load_config(ROOT / name, environ=env)
    assert config.adapters


def test_cross_section_references_are_checked(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[rules.sla]]\nname = "x"\nfirst_activity_within = "8h"\ncalendar = "cn-offce"\n'
        'on_breach = "reassign"\nassign_to = "team:sales"\n',
    )
    with pytest.raises(ConfigError) as excinfo:
        load_config(path)
    message = str(excinfo.value)
    assert 'config.toml: rules.sla[0].calendar: no calendar named "cn-offce"' in message
    assert 'config.toml: rules.sla[0].assign_to: no team named "sales"' in message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param('[referee]\nlanguage = "fr"\n', 'referee.language: "fr": Input should be', id="language"),
        pytest.param('[adapters.x]\nkind = "file"\npath = "d"\nrecord_url = "ftp://x/{id}"\n',
                     "record_url must start with https://", id="record-url-scheme"),
        pytest.param('[adapters.x]\nkind = "file"\npath = "d"\nrecord_url = "https://x/{record}"\n',
                     "unknown placeholder 'record'", id="record-url-placeholder"),
        pytest.param('[adapters.x]\nkind = "file"\npath = "d"\nrecord_url = "https://x/{module}"\n',
                     "does not name {id}", id="record-url-no-id"),
        pytest.param('[[notify.targets]]\nname = "c"\nurl = "${HOOK}"\n', "is not a URL apprise", id="notify-url"),
    ],
)
def test_report_and_notify_settings_are_checked(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(write(tmp_path, body), environ={"HOOK": "nonsense-secret-value"})


def test_a_bad_notify_url_is_not_printed(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as excinfo:
        load_config(write(tmp_path, '[[notify.targets]]\nname = "c"\nurl = "${HOOK}"\n'),
                    environ={"HOOK": "nonsense-secret-value"})
    assert "nonsense-secret-value" not in str(excinfo.value)


def test_zoho_record_links_follow_the_data_center() -> None:
    from adapters.zoho.config import ZohoAdapterConfig

    base = {"kind": "zoho", "client_id": "i", "client_secret": "s"}
    assert ZohoAdapterConfig.model_validate(base | {"data_center": "cn"}).record_url_template() == (
        "https://crm.zoho.com.cn/crm/tab/{module}/{id}"
    )
    assert ZohoAdapterConfig.model_validate(base | {"org_id": "6000"}).record_url_template() == (
        "https://crm.zoho.com/crm/org6000/tab/{module}/{id}"
    )


@pytest.mark.parametrize(
    "body",
    [
        pytest.param('[referee]\ntimezone = "${ZOHO_CLIENT_SECRET}"\n', id="timezone"),
        pytest.param('[calendars.c]\nholidays = "${ZOHO_CLIENT_SECRET}"\n', id="holidays"),
        pytest.param('[teams.t]\nmembers = ["${ZOHO_CLIENT_SECRET}", "${ZOHO_CLIENT_SECRET}"]\n', id="in-a-list"),
        pytest.param('[referee]\nstate = "sqlite:///${ZOHO_CLIENT_SECRET}/x/y.db"\ntimezone = "Nowhere"\n', id="mixed"),
    ],
)
def test_a_variable_in_the_wrong_key_is_never_printed(tmp_path: Path, body: str) -> None:
    secret = "1000.abcdef0123456789-very-secret"

    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, body), environ={"ZOHO_CLIENT_SECRET": secret})

    assert secret not in str(caught.value)
    assert str(caught.value).startswith("config.toml: ")
