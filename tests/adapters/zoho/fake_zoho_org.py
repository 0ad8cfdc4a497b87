"""A small Zoho CRM v8 org that answers like Zoho's documentation says, strictly (org mode).

It holds every field of every record, as Zoho does, and answers Get Records with **only the
fields the request named, plus ``id``** (:mod:`strict_zoho` holds the request rules it shares
with fixture mode). What it enforces, with the page each rule comes from
(``https://www.zoho.com/crm/developer/docs/api/v8/<page>``):

- OAuth (``/oauth/v2/token``, refresh-token grant; access tokens in ``Authorization:
  Zoho-oauthtoken …``, ``INVALID_OAUTHTOKEN`` 401 otherwise) and scopes per endpoint
  (``OAUTH_SCOPE_MISMATCH`` 401): ``get-records.html``, ``module_record_count.html`` (count needs
  ``ZohoSearch.securesearch.READ`` and ``ZohoCRM.settings.layouts.READ`` besides module READ),
  ``change-owner.html`` (``ZohoCRM.change_owner.CREATE``), ``add-tags.html`` and
  ``update-records.html`` (module ``WRITE``/``ALL``), ``bulk-read/create-job.html``
  (``ZohoCRM.bulk.read``), ``notifications/enable.html`` (``ZohoCRM.notifications.ALL``).
- Daily credits (``api-limits.html``, ``status-codes.html``): every call costs 1 credit, a deleted
  records call 2; when they are used up Zoho answers HTTP 429 ``TOO_MANY_REQUESTS`` with a message
  about the 24-hour period and no ``Retry-After``; ``X-API-CREDITS-REMAINING`` is sent once half
  of the credits are spent.
- Get Records (``get-records.html``): ``converted`` defaults to false (converted Leads are hidden),
  ``If-Modified-Since`` (304 when nothing changed, 204 when empty), ``page`` up to 2,000 records,
  ``page_token`` bound to the other parameters (``TOKEN_BOUND_DATA_MISMATCH``) and capped at
  100,000 records (``PAGINATION_LIMIT_EXCEEDED``); field names the module lacks are refused
  (``INVALID_DATA`` naming the field).
- Deleted records (``get-deleted-records.html``) for every module, Calls/Events/Tasks included.
- Timeline (``timeline-of-a-record.html``): ``GET /{module}/{id}/__timeline``, 204 when empty.

Writes, Bulk Read and notification channels live in :mod:`fake_zoho_actions`. The org is served
either inside ``responses`` (:meth:`FakeZohoOrg.install`) or by a real HTTP server on 127.0.0.1
(:meth:`FakeZohoOrg.serve`) for tests that run the ``referee`` CLI in a subprocess.
"""

from __future__ import annotations

import bisect
import re
import secrets
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from fake_zoho_actions import ActionsMixin
from fake_zoho_schema import COUNT_SCOPES, DOCUMENTED_SCOPES, SCHEMA, covers
from fake_zoho_serve import ServeMixin
from strict_zoho import (
    MAX_PER_PAGE,
    Reply,
    check_deleted,
    check_list,
    error,
    project,
    query_of,
    requested_fields,
)

CHAIN_CAP = 100_000
_RECORD = re.compile(r"^/crm/v8/(?P<module>[A-Z][A-Za-z_]*)$")
_DELETED = re.compile(r"^/crm/v8/(?P<module>[A-Z][A-Za-z_]*)/deleted$")
_COUNT = re.compile(r"^/crm/v8/(?P<module>[A-Z][A-Za-z_]*)/actions/count$")
_TIMELINE = re.compile(r"^/crm/v8/(?P<module>[A-Z][A-Za-z_]*)/(?P<id>\d+)/__timeline$")
_RECORD_NOTES = re.compile(r"^/crm/v8/(?P<module>[A-Z][A-Za-z_]*)/(?P<id>\d+)/Notes$")


@dataclass
class Received:
    """One API call the org answered (tests assert on writes at the HTTP level)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 0


@dataclass
class _Fault:
    method: str
    path: re.Pattern[str]
    reply: Reply
    times: int


@dataclass
class _Chain:
    module: str
    offset: int
    bound: tuple[Any, ...]


@dataclass
class FakeZohoOrg(ActionsMixin, ServeMixin):
    clock: Callable[[], datetime] = lambda: datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    base_url: str = "https://www.zohoapis.com"
    accounts_url: str = "https://accounts.zoho.com"
    scopes: tuple[str, ...] = DOCUMENTED_SCOPES
    credits: int | None = None
    schema: dict[str, frozenset[str]] = field(default_factory=lambda: dict(SCHEMA))
    users: list[dict[str, Any]] = field(default_factory=list)
    current_user: str = ""
    records: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    deleted: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    timelines: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    chain_cap: int = CHAIN_CAP
    sources: dict[str, Sequence[dict[str, Any]]] = field(default_factory=dict)
    """Read-only modules too large to hold as dicts (benchmarks): rows built on demand, in
    ``Modified_Time`` order; only ``sort_by=Modified_Time`` ascending is served from them."""

    def __post_init__(self) -> None:
        self.daily_credits = self.credits
        self._lock = threading.RLock()
        self._tokens: dict[str, datetime] = {}
        self._chains: dict[str, _Chain] = {}
        self._faults: list[_Fault] = []
        self.init_actions()

    # --- arranging the org --------------------------------------------------------------------

    def add(self, module: str, *raws: Mapping[str, Any]) -> None:
        """Store records with every field they have (Zoho holds them all; it sends what is asked)."""
        for raw in raws:
            self.records.setdefault(module, {})[str(raw["id"])] = dict(raw)

    def delete(self, module: str, record_id: str, at: datetime) -> None:
        self.records.get(module, {}).pop(record_id, None)
        self.deleted.setdefault(module, []).append(
            {
                "id": record_id,
                "type": "recycle",
                "deleted_time": at.isoformat(),
                "display_name": record_id,
                "deleted_by": {"id": self.current_user},
                "created_by": {"id": self.current_user},
            }
        )

    def fail(self, method: str, path: str, reply: Reply, *, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` on a path matching ``path`` with ``reply``."""
        self._faults.append(_Fault(method, re.compile(path), reply, times))

    def writes(self) -> list[Received]:
        """Every write the org accepted or refused, in order."""
        return [r for r in self.received if r.method != "GET" and r.path != "/oauth/v2/token"]

    # --- the front door -------------------------------------------------------------------------

    def handle(self, method: str, url: str, headers: Mapping[str, str], body: bytes | None) -> Reply:
        with self._lock:
            path = urlsplit(url).path
            query = query_of(url)
            parsed = _json(body)
            lowered = {k.lower(): v for k, v in headers.items()}
            entry = Received(
                method, path, query, parsed, {k: v for k, v in lowered.items() if k != "authorization"}
            )
            self.received.append(entry)
            reply = self._route(method, path, query, lowered, parsed, body)
            entry.status = reply.status
            return reply

    def _route(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: Any,
        raw: bytes | None,
    ) -> Reply:
        if path == "/oauth/v2/token":
            return self._token(query, raw)
        for fault in self._faults:
            if fault.times > 0 and fault.method == method and fault.path.search(path):
                fault.times -= 1
                return fault.reply
        token = headers.get("authorization", "").removeprefix("Zoho-oauthtoken ")
        if self._tokens.get(token, datetime.min.replace(tzinfo=UTC)) <= self.clock():
            return error(401, "INVALID_OAUTHTOKEN", "invalid oauth token")
        spent = self._spend(2 if path.endswith("/deleted") else 1)
        if spent is not None:
            return spent
        reply = self._dispatch(method, path, query, headers, body)
        return self._with_credit_header(reply)

    def _dispatch(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str], body: Any
    ) -> Reply:
        if method == "GET":
            if path == "/crm/v8/users":
                return self._users(query)
            if path == "/crm/v8/settings/users_unavailability":
                return self._need("ZohoCRM.settings.users_unavailability.READ") or Reply(204)
            if match := _COUNT.match(path):
                return self._count(match["module"])
            if match := _DELETED.match(path):
                return self._deleted(match["module"], query, headers)
            if match := _TIMELINE.match(path):
                return self._timeline(match["module"], match["id"])
            if match := _RECORD_NOTES.match(path):
                return self.record_notes(match["module"], match["id"], query)
            if match := _RECORD.match(path):
                return self._get_records(match["module"], query, headers)
        return self.dispatch_action(method, path, query, body) or error(
            404, "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one"
        )

    # --- auth and credits -----------------------------------------------------------------------

    def _token(self, query: Mapping[str, str], raw: bytes | None) -> Reply:
        form = {**query, **{k: v[-1] for k, v in parse_qs((raw or b"").decode()).items()}}
        if form.get("grant_type") != "refresh_token" or not form.get("refresh_token"):
            return Reply.of_json(200, {"error": "invalid_code"})
        token = f"1000.{secrets.token_hex(16)}"
        self._tokens[token] = self.clock() + timedelta(hours=1)
        return Reply.of_json(
            200,
            {"access_token": token, "api_domain": self.base_url, "token_type": "Bearer", "expires_in": 3600},
        )

    def _need(self, *scopes: str) -> Reply | None:
        """``OAUTH_SCOPE_MISMATCH`` unless the token's grant covers every scope in ``scopes``."""
        for needed in scopes:
            if not any(covers(granted, needed) for granted in self.scopes):
                return error(401, "OAUTH_SCOPE_MISMATCH", "invalid oauth scope to access this URL")
        return None

    def _spend(self, cost: int) -> Reply | None:
        if self.credits is None:
            return None
        if self.credits < cost:
            return error(
                429, "TOO_MANY_REQUESTS", "Number of API requests for the 24 hour period is exceeded"
            )
        self.credits -= cost
        return None

    def _with_credit_header(self, reply: Reply) -> Reply:
        if self.credits is None or self.daily_credits is None or self.credits > self.daily_credits // 2:
            return reply
        return Reply(
            reply.status, reply.body, {**reply.headers, "X-API-CREDITS-REMAINING": str(self.credits)}
        )

    # --- reads ------------------------------------------------------------------------------------

    def _users(self, query: Mapping[str, str]) -> Reply:
        if refused := self._need("ZohoCRM.users.READ"):
            return refused
        users = (
            [u for u in self.users if u["id"] == self.current_user]
            if query.get("type") == "CurrentUser"
            else self.users
        )
        page, per_page = int(query.get("page", "1")), int(query.get("per_page", str(MAX_PER_PAGE)))
        chunk = users[(page - 1) * per_page : page * per_page]
        if not chunk:
            return Reply(204)
        more = page * per_page < len(users)
        return Reply.of_json(
            200,
            {
                "users": chunk,
                "info": {"per_page": per_page, "count": len(chunk), "page": page, "more_records": more},
            },
        )

    def _count(self, module: str) -> Reply:
        if refused := self._need(f"ZohoCRM.modules.{module.lower()}.READ", *COUNT_SCOPES):
            return refused
        return Reply.of_json(200, {"count": len(self._visible(module, "false"))})

    def _visible(self, module: str, converted: str) -> Sequence[dict[str, Any]]:
        if module in self.sources:
            return self.sources[module]
        rows = list(self.records.get(module, {}).values())
        if module != "Leads" or converted == "both":
            return rows
        want = converted == "true"
        return [r for r in rows if bool(r.get("Converted__s")) is want]

    def _get_records(self, module: str, query: dict[str, str], headers: Mapping[str, str]) -> Reply:
        if module not in self.schema:
            return error(400, "INVALID_MODULE", "the module name given seems to be invalid")
        if refused := self._need(f"ZohoCRM.modules.{module.lower()}.READ"):
            return refused
        if rejected := check_list(query, by_ids="ids" in query):
            return rejected
        fields = requested_fields(query) or sorted(self.schema[module] - {"id"})
        unknown = [f for f in fields if f not in self.schema[module]]
        if unknown:
            return error(400, "INVALID_DATA", "invalid data", {"api_name": unknown[0]})
        since = _time(headers.get("if-modified-since"))
        sort_by, order = query.get("sort_by", "id"), query.get("sort_order", "desc")
        if module in self.sources:
            rows = _from_source(self.sources[module], since, query)
        else:
            rows = list(self._visible(module, query.get("converted", "false")))
            if "ids" in query:
                wanted = set(query["ids"].split(","))
                rows = [r for r in rows if str(r["id"]) in wanted]
            if since is not None:
                rows = [r for r in rows if (_time(r.get("Modified_Time")) or since) > since]
            rows.sort(key=lambda r: (_sort_key(r, sort_by), str(r["id"])), reverse=order == "desc")
        if not rows:
            return Reply(304 if since is not None else 204)
        per_page = int(query.get("per_page", str(MAX_PER_PAGE)))
        bound = (
            module,
            query.get("fields"),
            sort_by,
            order,
            query.get("converted"),
            headers.get("if-modified-since"),
        )
        if "page_token" in query:
            chain = self._chains.get(query["page_token"])
            if chain is None:
                return error(400, "INVALID_DATA", "invalid data", {"param": "page_token"})
            if chain.bound != bound:
                return error(
                    400, "TOKEN_BOUND_DATA_MISMATCH", "the page token does not match the other parameters"
                )
            if chain.offset >= self.chain_cap:
                return error(
                    400,
                    "PAGINATION_LIMIT_EXCEEDED",
                    "maximum records that can be fetched using page_token exceeded",
                )
            offset = chain.offset
        else:
            offset = (int(query.get("page", "1")) - 1) * per_page
        page = rows[offset : offset + per_page]
        more = offset + per_page < len(rows)
        info: dict[str, Any] = {
            "per_page": per_page,
            "count": len(page),
            "page": offset // per_page + 1,
            "sort_by": sort_by,
            "sort_order": order,
            "more_records": more,
            "next_page_token": None,
            "previous_page_token": None,
            "page_token_expiry": (self.clock() + timedelta(days=1)).isoformat(),
        }
        if more:
            token = secrets.token_hex(12)
            self._chains[token] = _Chain(module, offset + per_page, bound)
            info["next_page_token"] = token
        return Reply.of_json(200, {"data": [project(r, fields) for r in page], "info": info})

    def _deleted(self, module: str, query: dict[str, str], headers: Mapping[str, str]) -> Reply:
        if refused := self._need(f"ZohoCRM.modules.{module.lower()}.READ"):
            return refused
        if rejected := check_deleted(query):
            return rejected
        since = _time(headers.get("if-modified-since"))
        rows = [
            d
            for d in self.deleted.get(module, [])
            if since is None or (_time(d["deleted_time"]) or since) > since
        ]
        page, per_page = int(query.get("page", "1")), int(query.get("per_page", str(MAX_PER_PAGE)))
        chunk = rows[(page - 1) * per_page : page * per_page]
        if not chunk:
            return Reply(304 if since is not None else 204)
        more = page * per_page < len(rows)
        return Reply.of_json(
            200,
            {
                "data": chunk,
                "info": {"per_page": per_page, "count": len(chunk), "page": page, "more_records": more},
            },
        )

    def _timeline(self, module: str, record_id: str) -> Reply:
        if refused := self._need(f"ZohoCRM.modules.{module.lower()}.READ"):
            return refused
        entries = self.timelines.get((module, record_id), [])
        if not entries:
            return Reply(204)
        return Reply.of_json(
            200,
            {"__timeline": entries, "info": {"per_page": 20, "count": len(entries), "more_records": False}},
        )


class _Tail(Sequence[dict[str, Any]]):
    """``rows[start:]`` without copying (a view on a synthetic source)."""

    def __init__(self, rows: Sequence[dict[str, Any]], start: int) -> None:
        self.rows, self.start = rows, start

    def __len__(self) -> int:
        return len(self.rows) - self.start

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            lo, hi, _ = index.indices(len(self))
            return self.rows[self.start + lo : self.start + hi]
        return self.rows[self.start + index]


def _from_source(
    rows: Sequence[dict[str, Any]], since: datetime | None, query: Mapping[str, str]
) -> Sequence[dict[str, Any]]:
    if "ids" in query or (query.get("sort_by"), query.get("sort_order")) != ("Modified_Time", "asc"):
        raise AssertionError("a synthetic source serves only sort_by=Modified_Time asc without ids")
    if since is None:
        return rows
    start = bisect.bisect_right(rows, since, key=lambda r: _time(r["Modified_Time"]) or since)
    return _Tail(rows, start)


def _json(body: bytes | str | None) -> Any:
    import json

    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def _sort_key(row: Mapping[str, Any], sort_by: str) -> Any:
    if sort_by == "id":
        return int(row["id"])
    return _time(row.get(sort_by)) or datetime.min.replace(tzinfo=UTC)
