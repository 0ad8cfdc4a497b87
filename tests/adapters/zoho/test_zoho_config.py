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
        pytest.param('data_center = "uk"', "data_center", id="unknown-dc"),
        pytest.param('fields = { vat = "VAT" }', "unknown domain field vat", id="unknown-field"),
        pytest.param('conflict_tag = "' + "x" * 26 + '"', "1-25 characters", id="long-tag"),
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
