"""``[adapters.<name>]`` with ``kind = "zoho"``: every key of the issue's example loads."""

from __future__ import annotations

import tomllib

import pytest

from connector.config import parse_config
from connector.domain import Module
from connector.errors import ConfigError

EXAMPLE = """
[adapters.zoho]
kind = "zoho"
data_center = "ca"
client_id = "${ZOHO_CLIENT_ID}"
client_secret = "${ZOHO_CLIENT_SECRET}"
refresh_token = "${ZOHO_REFRESH_TOKEN}"
modules = ["Leads", "Contacts", "Accounts", "Deals"]
activity_modules = ["Calls", "Events", "Tasks"]
fields = { tax_id = "Tax_ID", country = "Country" }
conflict_tag = "referee-conflict"
flag_field = ""
notes = true
notify = false
trigger_workflows = false
max_api_calls = 5000
"""
ENV = {"ZOHO_CLIENT_ID": "cid", "ZOHO_CLIENT_SECRET": "csecret", "ZOHO_REFRESH_TOKEN": "rtoken"}


def test_issue_example_loads_with_secrets_hidden() -> None:
    config = parse_config(tomllib.loads(EXAMPLE), environ=ENV).adapter("zoho")
    assert config.data_center == "ca"
    assert config.modules == (Module.LEADS, Module.CONTACTS, Module.ACCOUNTS, Module.DEALS)
    assert config.fields == {"tax_id": "Tax_ID", "country": "Country"}
    assert config.max_api_calls == 5000
    assert "csecret" not in repr(config) and config.client_secret.get_secret_value() == "csecret"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        pytest.param('data_center = "mars"', "data_center", id="unknown-dc"),
        pytest.param('fields = { vat = "VAT" }', "unknown domain field vat", id="unknown-field"),
        pytest.param('conflict_tag = "' + "x" * 26 + '"', "26 characters long; Zoho allows at most 25", id="long-tag"),
        pytest.param('modules = ["Leads", "Leads"]', "twice", id="duplicate-module"),
        pytest.param('activity_modules = ["Notes"]', "activity_modules", id="bad-activity-module"),
    ],
)
def test_bad_values_name_the_key(line: str, message: str) -> None:
    key = line.split(" = ")[0]
    text = (
        "\n".join(row for row in EXAMPLE.splitlines() if not row.startswith(key + " ")) + "\n" + line + "\n"
    )
    with pytest.raises(ConfigError, match=message) as caught:
        parse_config(tomllib.loads(text), environ=ENV)
    assert "csecret" not in str(caught.value)


def test_uk_data_center_is_known() -> None:
    from adapters.zoho.auth import accounts_url

    config = parse_config(tomllib.loads(EXAMPLE.replace('"ca"', '"uk"')), environ=ENV).adapter("zoho")
    assert accounts_url(config) == "https://accounts.zoho.uk"


RULES = """
[[rules.pursuit]]
name = "two-reps"
tag = "{pursuit}"

[[rules.sla]]
name = "first-call"
first_activity_within = "8h"
tag = "{sla}"
"""


@pytest.mark.parametrize(
    ("pursuit", "sla", "messages"),
    [
        pytest.param(
            "x" * 26,
            "ok",
            ['rules.pursuit[0] "two-reps".tag = "' + "x" * 26 + '" is 26 characters long; Zoho allows at most 25'],
            id="too-long",
        ),
        pytest.param("a,b", "ok", ["contains ','"], id="comma"),
        pytest.param("ok", "<b>", ['rules.sla[0] "first-call".tag', "contains '<' '>'"], id="angle-brackets"),
        pytest.param("ok", "hot 🔥", ["contains an emoji"], id="emoji"),
    ],
)
def test_rule_tags_zoho_would_refuse_fail_at_load(pursuit: str, sla: str, messages: list[str]) -> None:
    text = EXAMPLE + RULES.format(pursuit=pursuit, sla=sla)
    with pytest.raises(ConfigError) as caught:
        parse_config(tomllib.loads(text), environ=ENV)
    error = str(caught.value)
    for message in messages:
        assert message in error
    assert 'adapter "zoho" writes tags to Zoho (change the tag)' in error
    assert error.count("\n") == 0  # one problem, one line


def test_rule_tags_are_free_without_a_zoho_adapter_and_fine_ones_pass() -> None:
    parse_config(tomllib.loads(RULES.format(pursuit="x" * 40, sla="a,b")), environ=ENV)
    config = parse_config(tomllib.loads(EXAMPLE + RULES.format(pursuit="撞单:冲突", sla="referee:sla-breach")), environ=ENV)
    assert config.rules.pursuit[0].tag == "撞单:冲突"


@pytest.mark.parametrize("tag", ["a<b", "x" * 26, "🔥"], ids=["bracket", "long", "emoji"])
def test_conflict_tag_is_held_to_the_same_rules(tag: str) -> None:
    text = EXAMPLE.replace('conflict_tag = "referee-conflict"', f'conflict_tag = "{tag}"')
    with pytest.raises(ConfigError, match="change conflict_tag"):
        parse_config(tomllib.loads(text), environ=ENV)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        pytest.param("", "no field updates, so trigger_workflows has nothing to switch", id="no-flag-field"),
        pytest.param(
            'flag_field = "Conflict__c"',
            'workflows on the Conflict__c update are suppressed ("trigger": []); change_owner, tags and notes have no switch',
            id="suppressed",
        ),
        pytest.param(
            'flag_field = "Conflict__c"\ntrigger_workflows = true', "workflows on the Conflict__c update run", id="run"
        ),
    ],
)
def test_validate_says_what_trigger_workflows_really_covers(extra: str, expected: str) -> None:
    from adapters.zoho.config import describe

    text = EXAMPLE.replace('flag_field = ""\n', "").replace("trigger_workflows = false\n", "") + extra + "\n"
    lines = describe(parse_config(tomllib.loads(text), environ=ENV).adapter("zoho"))
    assert any(expected in line for line in lines), lines
    assert "change_owner moves the record's Tasks, Events, Calls too" in lines
