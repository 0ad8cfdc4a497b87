"""One CRM request: credentials on, the shared retry layer underneath, one re-try after a 401.

All HTTP goes through :class:`connector.http.HttpClient`, the one retry layer (429 and 5xx are
repeated there and nowhere else). A 401 is repeated here once, and only for token flows, after
the token was refreshed: the CRM refused the request before acting on it, so this is safe for
writes too. Labels use the configured path templates, never filled URLs, so counters and
messages carry no ids or secrets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from adapters.webhook.auth import Credentials
from adapters.webhook.crm_errors import describe
from connector.errors import AuthError, CrmApiError, RetriableApiError
from connector.http import HttpClient

_MESSAGE_LIMIT = 200


class Transport:
    def __init__(self, name: str, http: HttpClient, credentials: Credentials) -> None:
        self.name = name
        self.http = http
        self.credentials = credentials

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else self.credentials.base_url() + path

    def send(
        self,
        method: str,
        url: str,
        label: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """``headers`` are the call's own (``If-Match``); credentials are added to them."""
        for attempt in (1, 2):
            sent: dict[str, str] = dict(headers or {})
            query: dict[str, Any] = {}
            used = self.credentials.apply(sent, query)
            query.update(params or {})
            try:
                response = self.http.request(
                    method, url, endpoint=label, params=query or None, json=json, headers=sent or None
                )
            except RetriableApiError as exc:
                if exc.status is not None:
                    raise
                raise RetriableApiError(  # unreachable: say where we tried, so a wrong host is obvious
                    f"{exc} at {method} {_without_secrets(url)} (check base_url and that the CRM is up)",
                    crm=exc.crm,
                ) from None
            if response.status_code == 401 and attempt == 1 and self.credentials.refresh_after_401(used):
                continue
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def json(self, response: requests.Response, label: str) -> Any:
        """The JSON body of a 2xx answer; any other status is an error naming the endpoint."""
        status = response.status_code
        if status in (401, 403):
            raise AuthError(
                f"{self.name}: {label} answered HTTP {status}: {self.error_message(response)} "
                f"(check [adapters.{self.name}.auth] and the variable it reads)",
                crm=self.name,
                status=status,
            )
        if not 200 <= status < 300:
            raise CrmApiError(
                f"{self.name}: {label} answered HTTP {status}: {self.error_message(response)}",
                crm=self.name,
                status=status,
            )
        try:
            return response.json()
        except ValueError:
            raise CrmApiError(f"{self.name}: {label} did not answer with JSON", crm=self.name) from None

    def error_message(self, response: requests.Response) -> str:
        """The CRM's own words about the error, shortened and with our secrets blanked."""
        try:
            body = response.json()
        except ValueError:
            body = response.text
        message = describe(body) or response.headers.get("X-Status-Reason") or response.reason or "no details"
        return self.shorten(message)

    def shorten(self, message: str) -> str:
        """One line of at most 200 characters, secrets blanked: fit for the journal and ``Error:`` lines."""
        message = " ".join(self.redact(message).split())
        return message if len(message) <= _MESSAGE_LIMIT else message[: _MESSAGE_LIMIT - 1] + "…"

    def redact(self, message: str) -> str:
        for secret in self.credentials.secrets:
            if secret:
                message = message.replace(secret, "***")
        return message


def _without_secrets(url: str) -> str:
    """The URL with any ``user:password@`` and query string removed (query keys may carry a key)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))
