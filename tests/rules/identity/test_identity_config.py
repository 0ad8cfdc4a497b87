"""Match rules that can never fire are config errors that name the key and the fix."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from connector.config import parse_config
from connector.errors import ConfigError
from rules.identity.config import DEFAULT_MATCH_RULES, FieldSpec, IdentityConfig, MatchRule, parse_field


def _load(match: list[dict[str, object]]) -> object:
    return parse_config({"identity": {"match": match}}, label="config.toml", environ={})


@pytest.mark.parametrize(
    ("on", "fragment"),
    [
        pytest.param([], "can never match", id="empty"),
        pytest.param(["emial"], 'unknown field "emial"', id="unknown-field"),
        pytest.param(["company~1.5"], "between 0 and 1", id="threshold-above-one"),
        pytest.param(["company~0"], "between 0 and 1", id="threshold-zero"),
        pytest.param(["company~high"], "is not a number", id="threshold-not-a-number"),
        pytest.param(["email~0.9"], "cannot be fuzzy", id="fuzzy-on-exact-field"),
        pytest.param(["extra."], "names no extra field", id="empty-extra"),
        pytest.param(["city"], "city alone", id="city-alone"),
        pytest.param(["email", "email"], "twice", id="duplicate-field"),
    ],
)
def test_bad_match_rule_is_a_config_error(on: list[str], fragment: str) -> None:
    rules = [{"name": "email", "on": ["email"]}, {"name": "x", "on": ["phone"]}, {"name": "bad", "on": on}]
    with pytest.raises(ConfigError) as caught:
        _load(rules)
    message = str(caught.value)
    assert message.startswith("config.toml: identity.match[2].on:")
    assert fragment in message


def test_duplicate_rule_names_are_rejected() -> None:
    with pytest.raises(ConfigError, match="unique"):
        _load([{"name": "a", "on": ["email"]}, {"name": "a", "on": ["phone"]}])


def test_unknown_region_is_rejected() -> None:
    with pytest.raises(ValidationError, match="two-letter region"):
        IdentityConfig(default_region="XX")


def test_good_rules_parse_with_thresholds() -> None:
    config = _load([{"name": "name-and-city", "on": ["company~0.90", "city"]}, {"name": "vat", "on": ["extra.vat"]}])
    rule = config.identity.match[0]  # type: ignore[attr-defined]
    assert rule.fields == (FieldSpec("company", 0.9), FieldSpec("city"))
    assert parse_field("extra.vat") == FieldSpec("extra.vat")


def test_defaults_when_identity_is_absent() -> None:
    config = parse_config({}, environ={})
    assert config.identity.match == DEFAULT_MATCH_RULES
    assert [r.name for r in DEFAULT_MATCH_RULES] == [
        "email", "phone", "domain", "tax-id", "company-and-city", "account-link",
    ]
    assert MatchRule(name="x", on=("person~0.85", "domain")).fields[0].fuzzy
