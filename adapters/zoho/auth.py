"""Access tokens from the refresh-token flow, cached in the state store until shortly before expiry.

Zoho allows only 10 refreshes per refresh token per 10 minutes (and answers the 11th with HTTP 200
"Access Denied"), so a cron job must reuse one cached token across runs. The cache lives in the
store's key-value namespace; tokens are never logged or put in error messages.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from adapters.zoho.config import ZohoAdapterConfig
from adapters.zoho.faults import error_for
from adapters.zoho.wire import DATA_CENTERS, Outcome, Token, classify, parse_token
from connector.errors import AuthError
from connector.http import HttpClient

REFRESH_MARGIN = timedelta(minutes=5)
TOKEN_PATH = "/oauth/v2/token"
TOKEN_ENDPOINT = f"POST {TOKEN_PATH}"


class KeyValue(Protocol):
    """The store's key-value methods the adapter needs (``connector.store.Store`` has them)."""

    def get_value(self, ns: str, key: str) -> Any: ...

    def set_value(self, ns: str, key: str, value: Any) -> None: ...

    def get_values(self, ns: str) -> dict[str, Any]: ...


def accounts_url(config: ZohoAdapterConfig) -> str:
    return config.accounts_url or DATA_CENTERS[config.data_center][0]


def default_api_domain(config: ZohoAdapterConfig) -> str:
    return config.api_domain or DATA_CENTERS[config.data_center][1]


def kv_namespace(adapter: str) -> str:
    return f"zoho:{adapter}"


def _secret(value: Any) -> str:
    return value.get_secret_value() if value is not None else ""


class TokenManager:
    """Hands out a valid access token; refreshes at most once per expiry window."""

    def __init__(
        self,
        adapter: str,
        config: ZohoAdapterConfig,
        http: HttpClient,
        kv: KeyValue | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.adapter = adapter
        self.config = config
        self.http = http
        self.kv = kv
        self.clock = clock
        self._token: Token | None = None

    @property
    def _cache_key(self) -> str:
        """Keyed by a digest of the credentials, so new credentials never reuse an old token."""
        digest = hashlib.sha256(
            f"{_secret(self.config.client_id)}\x1f{_secret(self.config.refresh_token)}".encode()
        ).hexdigest()[:16]
        return f"token:{digest}"

    def token(self) -> Token:
        now = self.clock()
        if self._token is None:
            self._token = self._load_cached()
        if self._token is None or self._token.expires_at - REFRESH_MARGIN <= now:
            self._token = self.refresh()
        return self._token

    def invalidate(self) -> None:
        self._token = None
        if self.kv is not None:
            self.kv.set_value(kv_namespace(self.adapter), self._cache_key, "")

    def refresh(self) -> Token:
        if self.config.refresh_token is None or not _secret(self.config.refresh_token):
            raise AuthError(
                f"zoho: adapter {self.adapter} has no refresh_token (run `referee zoho auth -c FILE "
                "--grant-token CODE` and set refresh_token in the config)",
                crm="zoho",
            )
        body = self._post_token(
            {
                "grant_type": "refresh_token",
                "client_id": _secret(self.config.client_id),
                "client_secret": _secret(self.config.client_secret),
                "refresh_token": _secret(self.config.refresh_token),
            }
        )
        token = parse_token(body, self.clock(), default_api_domain(self.config))
        if self.config.api_domain:  # an explicit override wins over what Zoho returns
            token = Token(token.access_token, self.config.api_domain, token.expires_at)
        self._save(token)
        return token

    def exchange_grant(self, code: str) -> tuple[str, Token]:
        """Trade a one-time self-client grant code for ``(refresh_token, first access token)``."""
        body = self._post_token(
            {
                "grant_type": "authorization_code",
                "client_id": _secret(self.config.client_id),
                "client_secret": _secret(self.config.client_secret),
                "code": code,
            }
        )
        if not body.get("refresh_token"):
            raise AuthError(
                "zoho: the grant code was accepted but no refresh_token came back (generate the code with "
                "access type offline in the API console's Self Client tab)",
                crm="zoho",
            )
        token = parse_token(body, self.clock(), default_api_domain(self.config))
        return str(body["refresh_token"]), token

    def _post_token(self, form: dict[str, str]) -> dict[str, Any]:
        response = self.http.request(
            "POST", accounts_url(self.config) + TOKEN_PATH, endpoint=TOKEN_ENDPOINT, data=form
        )
        try:
            body = response.json()
        except ValueError:
            body = {}
        answer = classify(response.status_code, body)
        if answer.outcome is not Outcome.OK or "access_token" not in body:
            if answer.outcome is Outcome.OK:
                answer = classify(400, {"error": "invalid_response", "error_description": "no access_token"})
            if answer.code == "invalid_code" and form["grant_type"] == "authorization_code":
                raise AuthError(
                    "zoho: the grant code is invalid or expired (codes work once and for minutes; generate a "
                    "new one in the API console and run the command right away)",
                    crm="zoho",
                    status=response.status_code,
                )
            raise error_for(answer, endpoint=TOKEN_ENDPOINT, status=response.status_code)
        return body

    def _load_cached(self) -> Token | None:
        if self.kv is None:
            return None
        raw = self.kv.get_value(kv_namespace(self.adapter), self._cache_key)
        if not raw:
            return None
        try:
            data = json.loads(raw) if isinstance(raw, str) else raw
            return Token(
                access_token=data["access_token"],
                api_domain=data["api_domain"],
                expires_at=datetime.fromisoformat(data["expires_at"]),
            )
        except (ValueError, KeyError, TypeError):
            return None

    def _save(self, token: Token) -> None:
        if self.kv is None:
            return
        value = json.dumps(
            {
                "access_token": token.access_token,
                "api_domain": token.api_domain,
                "expires_at": token.expires_at.isoformat(),
            }
        )
        self.kv.set_value(kv_namespace(self.adapter), self._cache_key, value)
