"""``referee zoho auth`` and ``referee zoho watch`` against a real SQLite store."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner
from zoho_support import API, TOKEN_URL, load

from adapters.zoho.auth import kv_namespace
from connector.cli.zoho import zoho_app
from connector.store import Store

CONFIG = """
[referee]
state = "sqlite:///{db}"

[adapters.crm]
kind = "zoho"
client_id = "${{ZOHO_CLIENT_ID}}"
client_secret = "${{ZOHO_CLIENT_SECRET}}"
refresh_token = "${{ZOHO_REFRESH_TOKEN}}"
modules = ["Leads"]
activity_modules = []
"""


@pytest.fixture
def config_file(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOHO_CLIENT_ID", "cid")
    monkeypatch.setenv("ZOHO_CLIENT_SECRET", "csecret")
    path = tmp_path / "referee.toml"
    path.write_text(CONFIG.format(db=tmp_path / "state.db"))
    return path


def test_auth_prints_the_refresh_token_before_it_is_configured(zoho_http, config_file, monkeypatch) -> None:
    monkeypatch.delenv("ZOHO_REFRESH_TOKEN", raising=False)
    zoho_http.post(TOKEN_URL, json=load("token_grant"))
    result = CliRunner().invoke(zoho_app, ["auth", "-c", str(config_file), "--grant-token", "1000.code"])
    assert result.exit_code == 0, result.output
    assert "export ZOHO_REFRESH_TOKEN='" + load("token_grant")["refresh_token"] + "'" in result.output


def test_auth_with_a_bad_code_exits_3(zoho_http, config_file) -> None:
    zoho_http.post(TOKEN_URL, json=load("token_invalid_code"))
    result = CliRunner().invoke(zoho_app, ["auth", "-c", str(config_file), "--grant-token", "1000.old"])
    assert result.exit_code == 3
    assert "grant code is invalid or expired" in result.output


def test_watch_enables_and_keeps_the_token_in_the_store(
    zoho_http, config_file, monkeypatch, tmp_path
) -> None:
    monkeypatch.setenv("ZOHO_REFRESH_TOKEN", "rtoken")
    zoho_http.post(TOKEN_URL, json=load("token"))
    zoho_http.post(f"{API}/actions/watch", status=201, json=load("watch_enable"))
    url = "https://referee.example.com/webhooks/zoho"
    result = CliRunner().invoke(zoho_app, ["watch", "-c", str(config_file), "--url", url])
    assert result.exit_code == 0, result.output
    assert "Leads.all" in result.output
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        saved = json.loads(store.get_value(kv_namespace("crm"), "watch"))
    finally:
        store.close()
    assert saved["notify_url"] == url and saved["token"] not in result.output
