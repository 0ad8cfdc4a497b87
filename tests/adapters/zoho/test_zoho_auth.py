"""Token refresh, caching in the store, data centers and auth errors."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from responses import matchers
from zoho_support import API, NOW, TOKEN_URL, add_token, load

from adapters.zoho.wire import DATA_CENTERS
from connector.errors import AuthError, FatalApiError

USERS_ME = matchers.query_param_matcher({"type": "CurrentUser"}, strict_match=False)


def test_refresh_token_flow_posts_form_and_caches_token_in_store(zoho_http, make_adapter, kv) -> None:
    add_token(zoho_http)
    zoho_http.get(f"{API}/users", json=load("current_user"), match=[USERS_ME])
    adapter = make_adapter()
    assert adapter.integration_user_id() == "554023000000299999"
    form = parse_qs(zoho_http.calls[0].request.body)
    assert form == {
        "grant_type": ["refresh_token"],
        "client_id": ["cid"],
        "client_secret": ["csecret"],
        "refresh_token": ["rtoken"],
    }
    assert (
        zoho_http.calls[1].request.headers["Authorization"]
        == "Zoho-oauthtoken " + load("token")["access_token"]
    )
    [(ns, key)] = kv.data
    assert ns == "zoho:zoho" and key.startswith("token:") and "rtoken" not in key


def test_cached_token_is_reused_by_the_next_run(zoho_http, make_adapter) -> None:
    add_token(zoho_http)
    zoho_http.get(f"{API}/users", json=load("current_user"), match=[USERS_ME])
    make_adapter().integration_user_id()
    make_adapter().integration_user_id()  # a later cron run: no second refresh
    assert [c.request.url.split("?")[0] for c in zoho_http.calls] == [
        TOKEN_URL,
        f"{API}/users",
        f"{API}/users",
    ]


def test_token_is_refreshed_five_minutes_before_expiry(zoho_http, make_adapter) -> None:
    add_token(zoho_http)
    zoho_http.get(f"{API}/users", json=load("current_user"), match=[USERS_ME])
    make_adapter().integration_user_id()
    make_adapter(clock=lambda: NOW + timedelta(minutes=54)).integration_user_id()
    assert sum(c.request.url == TOKEN_URL for c in zoho_http.calls) == 1
    make_adapter(clock=lambda: NOW + timedelta(minutes=56)).integration_user_id()
    assert sum(c.request.url == TOKEN_URL for c in zoho_http.calls) == 2


@pytest.mark.parametrize("dc", sorted(DATA_CENTERS))
def test_every_data_center_uses_its_accounts_server_and_the_returned_api_domain(
    zoho_http, make_adapter, dc
) -> None:
    accounts, api_domain = DATA_CENTERS[dc]
    add_token(zoho_http, f"{accounts}/oauth/v2/token", {**load("token"), "api_domain": api_domain})
    zoho_http.get(f"{api_domain}/crm/v8/users", json=load("current_user"), match=[USERS_ME])
    make_adapter(data_center=dc).integration_user_id()
    assert zoho_http.calls[0].request.url == f"{accounts}/oauth/v2/token"


def test_canada_accounts_server_is_zohocloud() -> None:
    assert DATA_CENTERS["ca"][0] == "https://accounts.zohocloud.ca"


def test_overrides_win_for_sandbox_orgs(zoho_http, make_adapter) -> None:
    add_token(zoho_http, "https://accounts.example.test/oauth/v2/token")
    zoho_http.get("https://sandbox.zohoapis.com/crm/v8/users", json=load("current_user"), match=[USERS_ME])
    adapter = make_adapter(
        accounts_url="https://accounts.example.test", api_domain="https://sandbox.zohoapis.com"
    )
    assert adapter.integration_user_id() == "554023000000299999"


def test_invalid_token_twice_gives_up_after_one_refresh(zoho_http, make_adapter, kv) -> None:
    add_token(zoho_http)
    zoho_http.get(f"{API}/users", status=401, json=load("error_invalid_token"), match=[USERS_ME])
    with pytest.raises(AuthError, match="freshly refreshed"):
        make_adapter().integration_user_id()
    urls = [c.request.url.split("?")[0] for c in zoho_http.calls]
    assert urls == [TOKEN_URL, f"{API}/users", TOKEN_URL, f"{API}/users"]


def test_invalid_token_then_success(zoho_http_ordered, make_adapter) -> None:
    add_token(zoho_http_ordered)
    zoho_http_ordered.get(f"{API}/users", status=401, json=load("error_invalid_token"))
    add_token(zoho_http_ordered)
    zoho_http_ordered.get(f"{API}/users", json=load("current_user"))
    assert make_adapter().integration_user_id() == "554023000000299999"


def test_scope_mismatch_names_the_missing_scope(zoho_http, make_adapter) -> None:
    add_token(zoho_http)
    zoho_http.get(f"{API}/users", status=401, json=load("error_scope_mismatch"))
    with pytest.raises(AuthError, match=r"ZohoCRM\.users\.READ") as caught:
        make_adapter().integration_user_id()
    assert caught.value.exit_code == 3


def test_invalid_client_is_an_auth_error_without_secrets(zoho_http, make_adapter) -> None:
    add_token(zoho_http, body=load("token_invalid_client"))
    with pytest.raises(AuthError, match="client_id, client_secret") as caught:
        make_adapter().integration_user_id()
    assert "csecret" not in str(caught.value) and "rtoken" not in str(caught.value)


def test_access_denied_at_http_200_is_token_throttling(zoho_http, make_adapter) -> None:
    add_token(zoho_http, body=load("token_access_denied"))
    with pytest.raises(FatalApiError, match="10 refreshes in 10 minutes"):
        make_adapter().integration_user_id()


def test_missing_refresh_token_names_the_setting(make_adapter) -> None:
    with pytest.raises(AuthError, match="no refresh_token"):
        make_adapter(refresh_token=None).integration_user_id()


def test_grant_code_exchange_returns_refresh_token(zoho_http, make_adapter) -> None:
    zoho_http.post(TOKEN_URL, json=load("token_grant"))
    refresh, token = make_adapter(refresh_token=None).tokens.exchange_grant("1000.grant")
    assert refresh == load("token_grant")["refresh_token"]
    assert parse_qs(zoho_http.calls[0].request.body)["grant_type"] == ["authorization_code"]
    assert token.api_domain == "https://www.zohoapis.com"


def test_expired_grant_code_says_so(zoho_http, make_adapter) -> None:
    zoho_http.post(TOKEN_URL, json=load("token_invalid_code"))
    with pytest.raises(AuthError, match="grant code is invalid or expired"):
        make_adapter(refresh_token=None).tokens.exchange_grant("1000.old")
