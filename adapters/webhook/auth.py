"""Credentials on every request: static keys, or an access token from an OAuth2 grant or a login call.

An obtained token is cached in the store's key-value table until shortly before it expires, so a
cron job reuses one token across runs instead of logging in every few minutes (many CRMs limit
how often a token may be refreshed). A 401 refreshes it once. The cache key is a digest of the
credentials, so new credentials never reuse an old token; a refresh token the CRM rotates is
kept there too. Tokens and secrets never appear in a message: :attr:`Credentials.secrets` lists
everything an error text must blank.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from adapters.webhook.config_auth import Auth, LoginAuth, OAuth2Auth, TokenUse
from adapters.webhook.fieldpath import PathError, search
from adapters.webhook.values import text
from connector.errors import AuthError
from connector.http import HttpClient

MAX_MARGIN = timedelta(minutes=5)
_MESSAGE_LIMIT = 200


class KeyValue(Protocol):
    """The two store methods token caching needs (``connector.store.Store`` has them)."""

    def get_value(self, namespace: str, key: str) -> str | None: ...

    def set_value(self, namespace: str, key: str, value: str) -> None: ...


@dataclass(frozen=True)
class Token:
    access_token: str
    expires_at: datetime
    base_url: str | None = None


def kv_namespace(adapter: str) -> str:
    return f"webhook:{adapter}"


class Credentials:
    """Adds the configured credentials to a request's headers and query parameters."""

    def __init__(
        self,
        adapter: str,
        auth: Auth | None,
        *,
        base_url: str,
        http: HttpClient,
        kv: KeyValue | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.adapter = adapter
        self.auth = auth
        self.configured_base = base_url
        self.http = http
        self.kv = kv
        self.clock = clock
        self.secrets: list[str] = _static_secrets(auth)
        self._token: Token | None = None
        self._lock = threading.Lock()

    @property
    def uses_tokens(self) -> bool:
        return isinstance(self.auth, OAuth2Auth | LoginAuth)

    def apply(self, headers: MutableMapping[str, str], params: MutableMapping[str, Any]) -> str | None:
        """Put the credentials on one request; returns the access token used (``None`` for static auth)."""
        auth = self.auth
        if auth is None:
            return None
        if auth.type == "bearer":
            headers["Authorization"] = f"Bearer {auth.token.get_secret_value()}"
        elif auth.type == "basic":
            pair = f"{auth.username}:{auth.password.get_secret_value()}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        elif auth.type == "header":
            headers[auth.name] = auth.value.get_secret_value()
        elif auth.type == "query":
            params[auth.name] = auth.value.get_secret_value()
        else:
            token = self.token()
            _place(auth, token.access_token, headers, params)
            return token.access_token
        return None

    def base_url(self) -> str:
        """``base_url``, with its host replaced by the token answer's (``base_url_from``) when configured."""
        if isinstance(self.auth, OAuth2Auth | LoginAuth) and self.auth.base_url_from is not None:
            found = self.token().base_url
            if found:
                return _rebase(self.configured_base, found)
        return self.configured_base

    def token(self) -> Token:
        with self._lock:
            if self._token is None:
                self._token = self._load_cached()
            if self._token is None or self._expiring(self._token):
                self._token = self._obtain()
            return self._token

    def refresh_after_401(self, used: str | None) -> bool:
        """Get a new token after a 401 answered ``used``; ``False`` when there is nothing to refresh.

        Several threads may see the same 401: only the first refreshes, the others reuse its token.
        """
        if not self.uses_tokens or used is None:
            return False
        with self._lock:
            if self._token is not None and self._token.access_token != used:
                return True
            self._token = self._obtain()
            return True

    # -- obtaining ------------------------------------------------------------------------------

    def _expiring(self, token: Token) -> bool:
        assert isinstance(self.auth, TokenUse)
        margin = min(MAX_MARGIN, self.auth.lifetime / 2)
        return token.expires_at - margin <= self.clock()

    def _obtain(self) -> Token:
        auth = self.auth
        if isinstance(auth, OAuth2Auth):
            body = self._oauth2(auth)
        else:
            assert isinstance(auth, LoginAuth)
            body = self._login(auth)
        token = self._read_answer(auth, body)
        self._save(token, rotated=text(body.get("refresh_token")) if isinstance(body, dict) else None)
        return token

    def _oauth2(self, auth: OAuth2Auth) -> Any:
        form: dict[str, str] = {"grant_type": auth.grant}
        if auth.grant == "refresh_token":
            form["refresh_token"] = self._refresh_token(auth)
        if auth.scope:
            form["scope"] = auth.scope
        headers: dict[str, str] = {}
        client_id, client_secret = auth.client_id.get_secret_value(), auth.client_secret.get_secret_value()
        if auth.client_auth == "basic":
            headers["Authorization"] = (
                "Basic " + base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
            )
        else:
            form.update(client_id=client_id, client_secret=client_secret)
        return self._call("POST", auth.token_url, data=form, headers=headers)

    def _login(self, auth: LoginAuth) -> Any:
        values = {key: value.get_secret_value() for key, value in auth.body.items()}
        if auth.encoding == "form":
            return self._call(auth.method, auth.path, data=values)
        return self._call(auth.method, auth.path, json=values or None)

    def _call(self, method: str, where: str, **kwargs: Any) -> Any:
        url = where if where.startswith(("http://", "https://")) else self.configured_base + where
        label = f"{method} {urlsplit(url).path or '/'}"
        response = self.http.request(method, url, endpoint=label, **kwargs)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not 200 <= response.status_code < 300:
            raise AuthError(
                f"{self.adapter}: {label} refused the credentials (HTTP {response.status_code}: "
                f"{self._reason(body, response.reason)}); check [adapters.{self.adapter}.auth] and the "
                "variables it reads",
                crm=self.adapter,
                status=response.status_code,
            )
        if not isinstance(body, dict):
            raise AuthError(f"{self.adapter}: {label} did not answer with a JSON object", crm=self.adapter)
        return body

    def _read_answer(self, auth: OAuth2Auth | LoginAuth, body: dict[str, Any]) -> Token:
        try:
            access = text(search(auth.token, body))
            lifetime = search(auth.expires_in, body)
            base = text(search(auth.base_url_from, body))
        except PathError as exc:
            raise AuthError(f"{self.adapter}: reading the token answer: {exc}", crm=self.adapter) from None
        if access is None:
            raise AuthError(
                f'{self.adapter}: the token answer has no token at "{auth.token}" (check auth.token, or the '
                f"CRM's message: {self._reason(body, 'none')})",
                crm=self.adapter,
            )
        self.secrets.append(access)
        seconds = _seconds(lifetime)
        expires = self.clock() + (timedelta(seconds=seconds) if seconds else auth.lifetime)
        if base is not None and not base.startswith(("http://", "https://")):
            raise AuthError(
                f"{self.adapter}: the token answer's {auth.base_url_from} is not a URL", crm=self.adapter
            )
        return Token(access, expires, base)

    def _reason(self, body: Any, fallback: str) -> str:
        reason = fallback
        if isinstance(body, dict):
            reason = (
                text(body.get("error_description"))
                or text(body.get("message"))
                or text(body.get("error"))
                or reason
            )
        elif (
            isinstance(body, list) and body and isinstance(body[0], dict)
        ):  # Salesforce: [{"message", "errorCode"}]
            reason = text(body[0].get("message")) or reason
        for secret in self.secrets:
            reason = reason.replace(secret, "***")
        return reason[:_MESSAGE_LIMIT]

    # -- cache ----------------------------------------------------------------------------------

    @property
    def _cache_key(self) -> str:
        assert self.auth is not None
        parts = [
            self.adapter,
            self.configured_base,
            json.dumps(self.auth.model_dump(mode="json"), sort_keys=True),
        ]
        parts += _static_secrets(self.auth)
        return "token:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]

    def _refresh_token(self, auth: OAuth2Auth) -> str:
        configured = auth.refresh_token.get_secret_value() if auth.refresh_token else ""
        if self.kv is not None:
            rotated = self.kv.get_value(kv_namespace(self.adapter), self._cache_key + ":refresh")
            if rotated:
                self.secrets.append(rotated)
                return rotated
        return configured

    def _load_cached(self) -> Token | None:
        if self.kv is None:
            return None
        raw = self.kv.get_value(kv_namespace(self.adapter), self._cache_key)
        if not raw:
            return None
        try:
            data = json.loads(raw)
            token = Token(
                data["access_token"], datetime.fromisoformat(data["expires_at"]), data.get("base_url")
            )
        except (ValueError, KeyError, TypeError):
            return None
        self.secrets.append(token.access_token)
        return token

    def _save(self, token: Token, *, rotated: str | None) -> None:
        if self.kv is None:
            return
        value = {"access_token": token.access_token, "expires_at": token.expires_at.isoformat()}
        if token.base_url:
            value["base_url"] = token.base_url
        namespace = kv_namespace(self.adapter)
        self.kv.set_value(namespace, self._cache_key, json.dumps(value))
        if rotated and isinstance(self.auth, OAuth2Auth) and self.auth.grant == "refresh_token":
            self.secrets.append(rotated)
            self.kv.set_value(namespace, self._cache_key + ":refresh", rotated)


def _place(
    auth: TokenUse, token: str, headers: MutableMapping[str, str], params: MutableMapping[str, Any]
) -> None:
    if auth.query is not None:
        params[auth.query] = token
    else:
        headers[auth.header] = auth.format.replace("{token}", token)


def _static_secrets(auth: Auth | None) -> list[str]:
    if auth is None:
        return []
    found = []
    for name in ("token", "password", "value", "client_id", "client_secret", "refresh_token"):
        value = getattr(auth, name, None)
        if value is not None and hasattr(value, "get_secret_value") and value.get_secret_value():
            found.append(value.get_secret_value())
    if isinstance(auth, LoginAuth):
        found += [v.get_secret_value() for v in auth.body.values() if v.get_secret_value()]
    return found


def _seconds(value: Any) -> float | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if 0 < seconds <= 365 * 86400 else None


def _rebase(configured: str, found: str) -> str:
    """``https://login.example.com/api/v1`` + ``https://eu12.example.com`` → ``https://eu12.example.com/api/v1``."""
    keep = urlsplit(configured).path.rstrip("/")
    found_parts = urlsplit(found.rstrip("/"))
    return f"{found_parts.scheme}://{found_parts.netloc}{found_parts.path}{keep}"
