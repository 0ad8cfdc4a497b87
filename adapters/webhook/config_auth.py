"""``auth = {...}`` of a webhook adapter: static credentials, OAuth2 grants, or a login call.

Every secret is a ``SecretStr`` (write it as ``"${VAR}"``); tokens that a grant or login returns
are kept in memory and in the store's key-value table, never in a message or a log line.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from adapters.webhook.fieldpath import FieldPath
from connector.config_base import ConfigModel, check_http_url
from connector.durations import Duration


class BearerAuth(ConfigModel):
    type: Literal["bearer"]
    token: SecretStr


class BasicAuth(ConfigModel):
    type: Literal["basic"]
    username: str
    password: SecretStr


class HeaderAuth(ConfigModel):
    """An API key in a custom header, e.g. ``name = "X-Api-Key"``."""

    type: Literal["header"]
    name: str
    value: SecretStr


class QueryAuth(ConfigModel):
    """An API key as a query parameter on every request, e.g. ``name = "api_key"``."""

    type: Literal["query"]
    name: str
    value: SecretStr


class TokenUse(ConfigModel):
    """How an obtained access token goes on each request, and how long it lives.

    ``header``/``format``: e.g. ``Authorization: Bearer {token}`` (the default) or
    ``OAuth-Token: {token}``; ``query``: send it as that query parameter instead.
    ``expires_in`` is the path of its lifetime in seconds in the token answer; when the answer
    has none, ``lifetime`` is assumed, and a 401 refreshes it early.
    """

    header: str = "Authorization"
    format: str = "Bearer {token}"
    query: str | None = Field(default=None, min_length=1)
    token: FieldPath = "access_token"
    expires_in: FieldPath | None = "expires_in"
    lifetime: Duration = timedelta(hours=1)
    base_url_from: FieldPath | None = None

    @field_validator("format")
    @classmethod
    def _has_token(cls, value: str) -> str:
        if "{token}" not in value:
            raise ValueError('format must contain {token} (e.g. "Bearer {token}")')
        return value

    @field_validator("lifetime")
    @classmethod
    def _sane_lifetime(cls, value: timedelta) -> timedelta:
        if not timedelta(minutes=1) <= value <= timedelta(days=30):
            raise ValueError(
                "lifetime must be between 1m and 30d (how long a token lives when the CRM does not say)"
            )
        return value


class OAuth2Auth(TokenUse):
    """OAuth 2.0 token endpoint: the ``refresh_token`` or ``client_credentials`` grant (RFC 6749 §6, §4.4).

    ``client_auth = "body"`` sends the client id and secret as form fields; ``"basic"`` sends them
    as HTTP Basic (Pipedrive requires that). ``base_url_from`` takes the API base from the answer
    (Salesforce's ``instance_url``, Pipedrive's ``api_domain``).
    """

    type: Literal["oauth2"]
    grant: Literal["refresh_token", "client_credentials"]
    token_url: str = Field(min_length=1)
    client_id: SecretStr
    client_secret: SecretStr
    refresh_token: SecretStr | None = None
    scope: str | None = Field(default=None, min_length=1)
    client_auth: Literal["body", "basic"] = "body"

    @field_validator("token_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _absolute_or_path(value, "token_url")

    @model_validator(mode="after")
    def _grant_needs(self) -> OAuth2Auth:
        if self.grant == "refresh_token" and (
            self.refresh_token is None or not self.refresh_token.get_secret_value()
        ):
            raise ValueError('grant = "refresh_token" needs refresh_token (write it as "${VAR}")')
        return self


class LoginAuth(TokenUse):
    """A login call that answers with a session token at a JSON path (e.g. SugarCRM's ``/oauth2/token``).

    ``body`` is sent as JSON (``encoding = "form"`` for a form); every value is a secret, so
    write passwords as ``"${VAR}"``. ``token`` is the path of the token in the answer.
    """

    type: Literal["login"]
    method: Literal["POST", "GET"] = "POST"
    path: str = Field(min_length=1)
    body: dict[str, SecretStr] = Field(default_factory=dict)
    encoding: Literal["json", "form"] = "json"
    token: FieldPath

    @field_validator("path")
    @classmethod
    def _url(cls, value: str) -> str:
        return _absolute_or_path(value, "path")


Auth = Annotated[
    BearerAuth | BasicAuth | HeaderAuth | QueryAuth | OAuth2Auth | LoginAuth, Field(discriminator="type")
]

_HTTP = re.compile(r"^https?://")


def _absolute_or_path(value: str, key: str) -> str:
    if value.startswith("/") and not value.startswith("//"):
        return value
    if not _HTTP.match(value):
        raise ValueError(f'{key} must be an http(s) URL or a path under base_url (e.g. "/oauth/token")')
    return check_http_url(value, key, "https://crm.example.com/oauth/token")
