"""Token flows: OAuth2 grants and a login call, cached in the store, refreshed once on 401, never shown.

The token endpoints answer like the documented ones: Pipedrive's OAuth (client credentials as
HTTP Basic, ``api_domain`` in the answer, a rotated refresh token;
https://pipedrive.readme.io/docs/marketplace-oauth-authorization), Microsoft identity platform
client credentials for Dynamics 365 (``scope``, ``expires_in``;
https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow) and
SugarCRM's login (``POST /rest/v11/oauth2/token`` with a JSON body, the token sent back in an
``OAuth-Token`` header; https://support.sugarcrm.com/documentation/sugar_developer/sugar_developer_guide_13.0/integration/web_services/rest_api/).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import responses
from responses import matchers
from webhook_builders import BASE, NOW

from adapters.webhook.adapter import WebhookAdapter
from adapters.webhook.auth import kv_namespace
from connector.errors import AuthError
from connector.store import Store

LEADS = f"{BASE}/leads"
PD_TOKEN_URL = "https://oauth.pipedrive.com/oauth/token"
SUGAR_LOGIN = f"{BASE}/rest/v11/oauth2/token"


@pytest.fixture
def store(tmp_path: Any) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    yield opened
    opened.close()


def pipedrive_oauth(**extra: Any) -> dict[str, Any]:
    return {
        "auth": {
            "type": "oauth2",
            "grant": "refresh_token",
            "token_url": PD_TOKEN_URL,
            "client_id": "pd-client",
            "client_secret": "pd-SECRET",
            "refresh_token": "rt-ONE",
            "client_auth": "basic",
            "base_url_from": "api_domain",
            **extra,
        }
    }


def pd_answer(token: str, refresh: str = "rt-ONE", domain: str = "https://acme.pipedrive.com") -> dict[str, Any]:
    return {"access_token": token, "token_type": "Bearer", "refresh_token": refresh, "scope": "base", "expires_in": 3599, "api_domain": domain}


def leads_at(host: str) -> str:
    return f"{host}/api/v2/leads"


def test_refresh_grant_sends_basic_client_auth_and_uses_the_api_domain(
    make_adapter: Callable[..., WebhookAdapter], crm_http: responses.RequestsMock
) -> None:
    basic = "Basic " + base64.b64encode(b"pd-client:pd-SECRET").decode()
    crm_http.post(
        PD_TOKEN_URL,
        json=pd_answer("at-1"),
        match=[
            matchers.header_matcher({"Authorization": basic}),
            matchers.urlencoded_params_matcher({"grant_type": "refresh_token", "refresh_token": "rt-ONE"}),
        ],
    )
    crm_http.get(
        leads_at("https://acme.pipedrive.com"),
        json={"data": []},
        match=[matchers.header_matcher({"Authorization": "Bearer at-1"})],
    )
    adapter = make_adapter(**pipedrive_oauth())
    assert list(adapter.pull({})) and adapter.api_calls() == {"POST /oauth/token": 1, "GET /leads": 1}


def test_token_is_cached_in_the_store_until_shortly_before_expiry(
    crm_http: responses.RequestsMock, store: Store, slept: list[float]
) -> None:
    from webhook_builders import make_config

    from connector.http import HttpClient

    def adapter(minutes: int) -> WebhookAdapter:
        http = HttpClient("acme", sleep=slept.append, base_delay=0.01, max_attempts=3)
        return WebhookAdapter(
            "acme", make_config(**pipedrive_oauth()), store=store, default_tz="UTC",
            clock=lambda: NOW + timedelta(minutes=minutes), http=http,
        )

    token = crm_http.post(PD_TOKEN_URL, json=pd_answer("at-1"))
    crm_http.get(leads_at("https://acme.pipedrive.com"), json={"data": []})
    list(adapter(0).pull({}))
    list(adapter(30).pull({}))  # a later cron run: the stored token is still good
    assert token.call_count == 1
    list(adapter(56).pull({}))  # within five minutes of its expiry (59m59s): refreshed first
    assert token.call_count == 2
    raw = store.get_value(kv_namespace("acme"), next(iter(store.get_values(kv_namespace("acme")))))
    assert raw is not None and "at-1" in raw  # cached, never in config


def test_a_rotated_refresh_token_is_kept_and_used_next_time(crm_http: responses.RequestsMock, store: Store) -> None:
    from webhook_builders import make_config

    config = make_config(**pipedrive_oauth())
    first = crm_http.post(PD_TOKEN_URL, json=pd_answer("at-1", refresh="rt-TWO"), match=[matchers.urlencoded_params_matcher({"grant_type": "refresh_token", "refresh_token": "rt-ONE"})])
    second = crm_http.post(PD_TOKEN_URL, json=pd_answer("at-2", refresh="rt-TWO"), match=[matchers.urlencoded_params_matcher({"grant_type": "refresh_token", "refresh_token": "rt-TWO"})])
    crm_http.get(leads_at("https://acme.pipedrive.com"), json={"data": []})
    WebhookAdapter("acme", config, store=store, default_tz="UTC", clock=lambda: NOW).pull_users()
    list(WebhookAdapter("acme", config, store=store, default_tz="UTC", clock=lambda: NOW).pull({}))
    later = WebhookAdapter("acme", config, store=store, default_tz="UTC", clock=lambda: NOW + timedelta(hours=2))
    list(later.pull({}))
    assert (first.call_count, second.call_count) == (1, 1)


def test_401_refreshes_once_then_gives_up_with_one_clear_error(
    make_adapter: Callable[..., WebhookAdapter], crm_http_ordered: responses.RequestsMock
) -> None:
    for token in ("at-1", "at-2"):
        crm_http_ordered.post(PD_TOKEN_URL, json=pd_answer(token))
        crm_http_ordered.get(leads_at("https://acme.pipedrive.com"), status=401, json={"success": False, "error": f"token {token} expired", "errorCode": 401})
    adapter = make_adapter(**pipedrive_oauth())
    with pytest.raises(AuthError) as info:
        list(adapter.pull({}))
    message = str(info.value)
    assert "GET /leads answered HTTP 401: token *** expired" in message
    assert "at-2" not in message and "pd-SECRET" not in message
    assert adapter.api_calls() == {"POST /oauth/token": 2, "GET /leads": 2}


def test_a_refused_refresh_token_names_the_fix_and_no_secret(
    make_adapter: Callable[..., WebhookAdapter], crm_http: responses.RequestsMock
) -> None:
    crm_http.post(PD_TOKEN_URL, status=400, json={"error": "invalid_grant", "error_description": "Invalid refresh token rt-ONE"})
    with pytest.raises(AuthError) as info:
        list(make_adapter(**pipedrive_oauth()).pull({}))
    message = str(info.value)
    assert "POST /oauth/token refused the credentials (HTTP 400: Invalid refresh token ***)" in message
    assert "[adapters.acme.auth]" in message and "rt-ONE" not in message


def test_client_credentials_with_a_scope_in_the_form(
    make_adapter: Callable[..., WebhookAdapter], crm_http: responses.RequestsMock
) -> None:
    token_url = "https://login.microsoftonline.com/tenant/oauth2/v2.0/token"
    crm_http.post(
        token_url,
        json={"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": "eyJ0eXAi"},
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "grant_type": "client_credentials",
                    "client_id": "app-id",
                    "client_secret": "app-SECRET",
                    "scope": "https://org.crm.dynamics.com/.default",
                }
            )
        ],
    )
    crm_http.get(LEADS, json={"data": []}, match=[matchers.header_matcher({"Authorization": "Bearer eyJ0eXAi"})])
    auth = {
        "type": "oauth2",
        "grant": "client_credentials",
        "token_url": token_url,
        "client_id": "app-id",
        "client_secret": "app-SECRET",
        "scope": "https://org.crm.dynamics.com/.default",
    }
    list(make_adapter(auth=auth).pull({}))


def test_login_call_with_a_token_at_a_json_path_sent_in_a_custom_header(
    make_adapter: Callable[..., WebhookAdapter], crm_http: responses.RequestsMock
) -> None:
    crm_http.post(
        SUGAR_LOGIN,
        json={"access_token": "sugar-tok", "expires_in": 3600, "token_type": "bearer", "scope": None, "refresh_token": "r", "download_token": "d"},
        match=[matchers.json_params_matcher({"grant_type": "password", "client_id": "sugar", "client_secret": "", "username": "api", "password": "pw-SECRET", "platform": "referee"})],
    )
    crm_http.get(LEADS, json={"data": []}, match=[matchers.header_matcher({"OAuth-Token": "sugar-tok"})])
    auth = {
        "type": "login",
        "path": "/rest/v11/oauth2/token",
        "body": {"grant_type": "password", "client_id": "sugar", "client_secret": "", "username": "api", "password": "pw-SECRET", "platform": "referee"},
        "token": "access_token",
        "header": "OAuth-Token",
        "format": "{token}",
    }
    list(make_adapter(auth=auth).pull({}))


def test_login_answer_without_the_token_says_where_it_looked(
    make_adapter: Callable[..., WebhookAdapter], crm_http: responses.RequestsMock
) -> None:
    crm_http.post(f"{BASE}/login", json={"errorCode": 20016, "errorMessage": "appSecret is wrong"})
    auth = {"type": "login", "path": "/login", "body": {"appSecret": "s3cr3t"}, "token": "corpAccessToken", "expires_in": "expiresIn"}
    with pytest.raises(AuthError, match='no token at "corpAccessToken"'):
        list(make_adapter(auth=auth).pull({}))


def test_token_in_a_query_parameter(make_adapter: Callable[..., WebhookAdapter], crm_http: responses.RequestsMock) -> None:
    crm_http.post(f"{BASE}/auth", json={"data": {"token": "qtok", "ttl": 600}})
    crm_http.get(LEADS, json={"data": []}, match=[matchers.query_param_matcher({"session": "qtok"})])
    auth = {"type": "login", "path": "/auth", "encoding": "form", "body": {"key": "k"}, "token": "data.token", "expires_in": "data.ttl", "query": "session"}
    list(make_adapter(auth=auth, read={"records": {"params": {}}}).pull({}))


@pytest.mark.parametrize(
    ("auth", "message"),
    [
        pytest.param({"grant": "refresh_token"}, "needs refresh_token", id="refresh-needs-token"),
        pytest.param({"grant": "password"}, "Input should be", id="unknown-grant"),
        pytest.param({"token_url": "oauth/token"}, r"http\(s\) URL or a path", id="token-url"),
        pytest.param({"format": "Bearer"}, "must contain {token}", id="format"),
        pytest.param({"lifetime": "5s"}, "between 1m and 30d", id="lifetime"),
    ],
)
def test_oauth2_config_errors(auth: dict[str, Any], message: str) -> None:
    from pydantic import ValidationError
    from webhook_builders import make_config

    base = {"type": "oauth2", "grant": "client_credentials", "token_url": "/oauth/token", "client_id": "i", "client_secret": "s"}
    with pytest.raises(ValidationError, match=message):
        make_config(auth={**base, **auth})


def test_describe_never_prints_token_secrets() -> None:
    from webhook_builders import make_config

    from adapters.webhook.describe import describe

    text = "\n".join(describe(make_config(**pipedrive_oauth())))
    assert "oauth2 refresh_token at https://oauth.pipedrive.com/oauth/token" in text
    assert "pd-SECRET" not in text and "rt-ONE" not in text and json.dumps("pd-client") not in text
