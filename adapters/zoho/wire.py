"""Zoho JSON ↔ domain model, and what a Zoho answer means. Pure: no I/O, no clock.

Every function here takes plain values (status codes, decoded JSON, ``now``) so the whole mapping
and the error taxonomy are testable without HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from connector.domain import ECHO_MARK, Module, Record, RecordRef, User

# data center → (accounts server, API domain); Canada's accounts host is zohocloud.ca.
# UK: https://www.zoho.com/accounts/protocol/oauth/multi-dc.html (accounts.zoho.uk); the token
# response's ``api_domain`` is used for every call, so the API host below is only the fallback.
DATA_CENTERS: Mapping[str, tuple[str, str]] = {
    "us": ("https://accounts.zoho.com", "https://www.zohoapis.com"),
    "eu": ("https://accounts.zoho.eu", "https://www.zohoapis.eu"),
    "in": ("https://accounts.zoho.in", "https://www.zohoapis.in"),
    "au": ("https://accounts.zoho.com.au", "https://www.zohoapis.com.au"),
    "jp": ("https://accounts.zoho.jp", "https://www.zohoapis.jp"),
    "ca": ("https://accounts.zohocloud.ca", "https://www.zohoapis.ca"),
    "sa": ("https://accounts.zoho.sa", "https://www.zohoapis.sa"),
    "cn": ("https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"),
    "uk": ("https://accounts.zoho.uk", "https://www.zohoapis.uk"),
}

MAX_FIELDS = 50
COMMON_FIELDS = ("Owner", "Created_Time", "Modified_Time", "Modified_By", "Tag")
# Requested besides the mapped fields: Get Records returns only the fields named in ``fields``.
MODULE_FIELDS: Mapping[Module, tuple[str, ...]] = {Module.LEADS: ("Converted__s",)}
# Extra Get Records parameters: Leads default to ``converted=false``, which hides converted leads
# (and they never show in /deleted either), so the store would keep them as open leads forever.
LIST_PARAMS: Mapping[str, Mapping[str, str]] = {"Leads": {"converted": "both"}}
CONVERTED = "Converted"
"""The status a converted Lead gets (``Converted__s`` true), whatever its ``Lead_Status`` says."""

# Default domain field → Zoho API name per module; ``fields`` in config overrides entries.
DEFAULT_FIELDS: Mapping[Module, Mapping[str, tuple[str, ...]]] = {
    Module.LEADS: {
        "status": ("Lead_Status",),
        "company": ("Company",),
        "first_name": ("First_Name",),
        "last_name": ("Last_Name",),
        "emails": ("Email", "Secondary_Email"),
        "phones": ("Phone", "Mobile"),
        "website": ("Website",),
        "country": ("Country",),
        "city": ("City",),
    },
    Module.CONTACTS: {
        "first_name": ("First_Name",),
        "last_name": ("Last_Name",),
        "emails": ("Email", "Secondary_Email"),
        "phones": ("Phone", "Mobile"),
        "country": ("Mailing_Country",),
        "city": ("Mailing_City",),
        "account_id": ("Account_Name",),
    },
    Module.ACCOUNTS: {
        "company": ("Account_Name",),
        "phones": ("Phone",),
        "website": ("Website",),
        "country": ("Billing_Country",),
        "city": ("Billing_City",),
    },
    Module.DEALS: {
        "status": ("Stage",),
        "company": ("Deal_Name",),
        "account_id": ("Account_Name",),
    },
}

def field_map(module: Module, overrides: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    """The domain → API-name map for ``module`` after applying the ``fields`` config."""
    mapping = dict(DEFAULT_FIELDS[module])
    mapping.update({key: (api,) for key, api in overrides.items()})
    return mapping


def fields_for(module: Module, overrides: Mapping[str, str]) -> list[str]:
    """The explicit ``fields`` list for Get Records (mandatory in v8, at most 50 names)."""
    names = list(COMMON_FIELDS)
    for api_names in (*field_map(module, overrides).values(), MODULE_FIELDS.get(module, ())):
        names.extend(n for n in api_names if n not in names)
    if len(names) > MAX_FIELDS:
        raise ValueError(f"{module}: {len(names)} fields requested, Zoho allows at most {MAX_FIELDS}")
    return names


def parse_time(value: Any) -> datetime | None:
    """Parse Zoho's ISO 8601 timestamps (always with an offset); ``None`` for empty or naive."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


class BadRecordError(ValueError):
    """A record Zoho sent that cannot be read (the adapter reports it and skips it)."""


def strict_time(raw: Mapping[str, Any], key: str, where: str) -> datetime | None:
    """Like :func:`parse_time`, but a value that is there and is not a timestamp is an error, not empty."""
    value = raw.get(key)
    if value is None or value == "":
        return None
    parsed = parse_time(value)
    if parsed is None:
        shown = repr(value)[:80]
        raise BadRecordError(f"{where}: field {key} = {shown} is not a Zoho timestamp (ISO 8601 with an offset)")
    return parsed


def format_time(value: datetime) -> str:
    """ISO 8601 with offset, seconds precision (the shape Zoho expects in headers and bodies)."""
    return value.isoformat(timespec="seconds")


def lookup_id(value: Any) -> str | None:
    """The id of a lookup (``{"id": …, "name": …}``); ``None`` for anything else."""
    if isinstance(value, Mapping):
        found = value.get("id")
        return str(found) if found is not None else None
    return None


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, Mapping):
        return _text(value.get("name"))
    return str(value)


def is_true(value: Any) -> bool:
    """A Zoho boolean from JSON (``true``) or from a Bulk Read CSV cell (``"true"``)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def to_record(
    adapter: str,
    module: Module,
    raw: Mapping[str, Any],
    overrides: Mapping[str, str],
    *,
    integration_user_id: str | None = None,
) -> Record:
    """One Zoho record → :class:`Record`; lookups give ids, ``extra`` keeps who modified it."""
    mapping = field_map(module, overrides)
    where = f"{adapter}: {module.value} {str(raw.get('id'))[:60]}"
    if raw.get("id") in (None, ""):
        raise BadRecordError(f"{where}: the record has no id")
    values: dict[str, Any] = {}
    for key, api_names in mapping.items():
        if key in ("emails", "phones"):
            items = [_text(raw.get(n)) for n in api_names]
            values[key] = tuple(dict.fromkeys(i for i in items if i))
        elif key == "account_id":
            values[key] = lookup_id(raw.get(api_names[0])) or _text(raw.get(api_names[0]))
        elif key == "assigned_at":
            values[key] = parse_time(raw.get(api_names[0]))  # a mapped custom field: may hold anything
        else:
            values[key] = _text(raw.get(api_names[0]))
    if module is Module.CONTACTS and "company" not in overrides:
        values["company"] = _text(raw.get("Account_Name"))
    modified_by = lookup_id(raw.get("Modified_By"))
    extra: dict[str, Any] = {"modified_by_id": modified_by}
    if module is Module.LEADS and is_true(raw.get("Converted__s")):
        extra["lead_status"] = values.get("status")
        values["status"] = CONVERTED
    if integration_user_id is not None and modified_by == integration_user_id:
        extra[ECHO_MARK] = True
    tags = raw.get("Tag") or ()
    return Record(
        adapter=adapter,
        module=module,
        id=str(raw["id"]),
        owner_id=lookup_id(raw.get("Owner")),
        created_at=strict_time(raw, "Created_Time", where),
        modified_at=strict_time(raw, "Modified_Time", where),
        tags=tuple(str(t.get("name")) for t in tags if isinstance(t, Mapping) and t.get("name")),
        extra=extra,
        **values,
    )


def to_user(raw: Mapping[str, Any]) -> User:
    name = raw.get("full_name") or " ".join(p for p in (raw.get("first_name"), raw.get("last_name")) if p)
    zone = raw.get("time_zone")
    return User(
        id=str(raw["id"]),
        name=name or "",
        email=raw.get("email") or None,
        active=str(raw.get("status") or "active").lower() == "active",
        time_zone=zone if isinstance(zone, str) and zone else None,
    )


def to_deleted_ref(adapter: str, module: Module, raw: Mapping[str, Any]) -> RecordRef:
    return RecordRef(adapter=adapter, module=module, id=str(raw["id"]))


# --- what an answer means -------------------------------------------------------------------


class Outcome(StrEnum):
    OK = "ok"
    NOT_MODIFIED = "not_modified"  # 304: nothing changed since If-Modified-Since
    EMPTY = "empty"  # 204: no records
    TOKEN_EXPIRED = "token_expired"  # refresh the access token once, then repeat
    SCOPE = "scope"  # the token lacks a scope: re-consent
    AUTH = "auth"  # credentials rejected
    TOKEN_THROTTLED = "token_throttled"  # 10 refreshes / 10 min: HTTP 200 "Access Denied"
    CREDITS = "credits"  # daily API credits used up (HTTP 429 about the 24-hour limit)
    RESTART_CHAIN = "restart_chain"  # page-token chain ended (cap, expiry); restart from a watermark
    ERROR = "error"  # any other failure


@dataclass(frozen=True)
class Answer:
    outcome: Outcome
    code: str = ""
    message: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)


_TOKEN_CODES = frozenset({"INVALID_TOKEN", "INVALID_OAUTHTOKEN", "AUTHENTICATION_FAILURE"})
_RESTART_CODES = frozenset(
    {
        "PAGINATION_LIMIT_EXCEEDED",
        "EXPIRED_VALUE",
        "TOKEN_BOUND_DATA_MISMATCH",
        "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
    }
)
_AUTH_ERRORS = frozenset({"invalid_client", "invalid_code", "invalid_client_secret", "unauthorized_client"})


def classify(status: int, body: Any) -> Answer:
    """Map an HTTP status and decoded body (API or accounts server) to what the caller must do.

    ``LIMIT_REACHED`` is not "credits": Zoho uses it for per-endpoint limits (2,000 search results,
    tags per record, …), so it is an ordinary error the endpoint's caller reads.
    """
    if status == 304:
        return Answer(Outcome.NOT_MODIFIED)
    if status == 204:
        return Answer(Outcome.EMPTY)
    body = body if isinstance(body, Mapping) else {}
    # accounts server: {"error": "invalid_client"} / {"error": "Access Denied", ...} with HTTP 200
    oauth_error = body.get("error")
    if isinstance(oauth_error, str):
        description = str(body.get("error_description") or "")
        if oauth_error == "Access Denied" or "too many requests" in description.lower():
            return Answer(Outcome.TOKEN_THROTTLED, oauth_error, description)
        if oauth_error in _AUTH_ERRORS:
            return Answer(Outcome.AUTH, oauth_error, description)
        return Answer(Outcome.ERROR, oauth_error, description)
    item: Mapping[str, Any] = body
    if not body.get("code") and isinstance(body.get("data"), list) and len(body["data"]) == 1 and status >= 400:
        item = body["data"][0] if isinstance(body["data"][0], Mapping) else {}
    code, message = str(item.get("code") or ""), str(item.get("message") or "")
    raw_details = item.get("details")
    details: Mapping[str, Any] = raw_details if isinstance(raw_details, Mapping) else {}
    if code == "OAUTH_SCOPE_MISMATCH":
        return Answer(Outcome.SCOPE, code, message, details)
    if code in _TOKEN_CODES or (status == 401 and not code):
        return Answer(Outcome.TOKEN_EXPIRED, code or "INVALID_TOKEN", message, details)
    if is_daily_quota(status, body):
        return Answer(Outcome.CREDITS, code, message, details)
    if code in _RESTART_CODES:
        return Answer(Outcome.RESTART_CHAIN, code, message, details)
    if status >= 400 or body.get("status") == "error":
        return Answer(Outcome.ERROR, code or f"HTTP_{status}", message, details)
    return Answer(Outcome.OK)


_DAILY_WORDS = ("24 hour", "24-hour", "per day", "for the day", "daily", "credit")


def is_daily_quota(status: int, body: Any, credits_remaining: str | None = None) -> bool:
    """True when a 429 means "the org's API credits for the rolling 24 hours are used up".

    Zoho answers both that and "too many concurrent calls" with HTTP 429 ``TOO_MANY_REQUESTS``;
    only the message tells them apart (https://www.zoho.com/crm/developer/docs/api/v8/api-limits.html,
    status-codes.html). A message about the 24-hour period (and not about concurrency), or an
    ``X-API-CREDITS-REMAINING: 0`` header, is the daily quota; anything else stays a short-term
    429 that the retry layer waits out.
    """
    if status != 429:
        return False
    if credits_remaining is not None and credits_remaining.strip() == "0":
        return True
    message = str(body.get("message") or "").lower() if isinstance(body, Mapping) else ""
    return any(w in message for w in _DAILY_WORDS) and "concurren" not in message


@dataclass(frozen=True)
class ItemOutcome:
    """One record's fate in a multi-record write (200, 202 or 207 alike)."""

    index: int
    record_id: str | None
    ok: bool
    code: str
    message: str


def item_outcomes(body: Any) -> list[ItemOutcome]:
    """Read every ``data[i]`` status of a write response; missing or odd items count as failures."""
    items = body.get("data") if isinstance(body, Mapping) else None
    out: list[ItemOutcome] = []
    for i, item in enumerate(items if isinstance(items, list) else ()):
        item = item if isinstance(item, Mapping) else {}
        raw_details = item.get("details")
        details: Mapping[str, Any] = raw_details if isinstance(raw_details, Mapping) else {}
        record_id = details.get("id")
        out.append(
            ItemOutcome(
                index=i,
                record_id=str(record_id) if record_id is not None else None,
                ok=item.get("status") == "success",
                code=str(item.get("code") or ""),
                message=str(item.get("message") or ""),
            )
        )
    return out


@dataclass(frozen=True)
class Token:
    access_token: str
    api_domain: str
    expires_at: datetime


def parse_token(body: Mapping[str, Any], now: datetime, fallback_domain: str) -> Token:
    """Read a token response; ``expires_in`` is milliseconds when ``expires_in_sec`` is present."""
    seconds = float(body.get("expires_in") or 3600)
    if "expires_in_sec" in body:
        seconds = float(body["expires_in_sec"])
    return Token(
        access_token=str(body["access_token"]),
        api_domain=str(body.get("api_domain") or fallback_domain).rstrip("/"),
        expires_at=now + timedelta(seconds=seconds),
    )


@dataclass(frozen=True)
class Notification:
    channel_id: str
    token: str
    module: str
    operation: str
    ids: tuple[str, ...]
    server_time: str


def parse_notification(body: Mapping[str, Any]) -> Notification:
    """The fields of a watch notification we rely on; ``KeyError``/``TypeError`` when malformed."""
    ids = body["ids"]
    if not isinstance(ids, list):
        raise TypeError("ids must be a list")
    return Notification(
        channel_id=str(body["channel_id"]),
        token=str(body.get("token") or ""),
        module=str(body["module"]),
        operation=str(body.get("operation") or ""),
        ids=tuple(str(i) for i in ids),
        server_time=str(body.get("server_time") or ""),
    )
