"""Zoho REST v8 calls: auth header, one token refresh on 401, and frugal paging.

Retries for 429/5xx happen in ``connector.http.HttpClient`` (the one retry layer); this module
only adds what is Zoho-specific: which answers mean "refresh the token", "nothing changed",
"restart the page-token chain", or "stop the run".
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from adapters.zoho.auth import TokenManager
from adapters.zoho.faults import error_for
from adapters.zoho.wire import LIST_PARAMS, Answer, Outcome, classify, format_time, parse_time
from connector.errors import CrmApiError, FatalApiError
from connector.http import HttpClient

log = logging.getLogger(__name__)

API = "/crm/v8"
PER_PAGE = 200
MAX_DISCRETE_PAGE = 10  # `page` reaches the first 2,000 records; beyond that only `page_token`
CHAIN_CAP = 100_000  # records one page-token chain can reach; then restart from a watermark
MAX_IDS_PER_GET = 100
_RAISE = frozenset(
    {Outcome.SCOPE, Outcome.AUTH, Outcome.TOKEN_EXPIRED, Outcome.TOKEN_THROTTLED, Outcome.CREDITS}
)
COUNT_SCOPES = ("ZohoSearch.securesearch.READ", "ZohoCRM.settings.layouts.READ")
"""What ``GET /{module}/actions/count`` needs besides module READ (Zoho's record-count page)."""
_REFUSALS = frozenset({"OAUTH_SCOPE_MISMATCH", "NO_PERMISSION"})


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any
    answer: Answer
    content: bytes = b""  # the raw body, for downloads (Bulk Read's ZIP)


def _decode(response: Any, *, endpoint: str, binary: bool) -> Any:
    """The JSON body, or ``{}`` when there is none.

    A body that should be JSON but is not (a proxy's HTML error page, a truncated answer) stops
    the run: reading it as "no records" would move the cursor past data never seen. Binary
    downloads (Bulk Read's ZIP) skip decoding unless they carry a JSON error.
    """
    if response.status_code in (204, 304) or not response.content:
        return {}
    looks_like_json = response.content.lstrip()[:1] in (b"{", b"[")
    if binary and not looks_like_json:
        return {}
    try:
        return response.json()
    except ValueError:
        start = response.content[:40].decode("utf-8", "replace")
        raise CrmApiError(
            f"zoho: {endpoint} answered HTTP {response.status_code} with a body that is not JSON "
            f"(it starts {start!r}); nothing from this answer was used, the next run retries",
            crm="zoho",
            status=response.status_code,
        ) from None


class ZohoClient:
    """Authenticated calls against the org's ``api_domain``."""

    def __init__(self, http: HttpClient, tokens: TokenManager) -> None:
        self.http = http
        self.tokens = tokens
        self.credits_remaining: int | None = None

    def call(
        self,
        method: str,
        path: str,
        *,
        endpoint: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        scope: str = "",
        tolerate: frozenset[Outcome] = frozenset(),
        binary: bool = False,
    ) -> Reply:
        """Send once (plus one repeat after a token refresh); raise on auth, scope and credit errors.

        Outcomes in ``tolerate`` are returned instead of raised (Bulk Read falls back on a scope error).
        """
        for attempt in (1, 2):
            token = self.tokens.token()
            response = self.http.request(
                method,
                token.api_domain + path,
                endpoint=endpoint,
                params=params,
                json=json,
                headers={"Authorization": f"Zoho-oauthtoken {token.access_token}", **(headers or {})},
            )
            self._note_credits(response.headers.get("X-API-CREDITS-REMAINING"))
            body = _decode(response, endpoint=endpoint, binary=binary)
            answer = classify(response.status_code, body)
            if answer.outcome is Outcome.TOKEN_EXPIRED and attempt == 1:
                self.tokens.invalidate()
                continue
            if answer.outcome in _RAISE and answer.outcome not in tolerate:
                raise error_for(answer, endpoint=endpoint, status=response.status_code, scope=scope)
            return Reply(response.status_code, body, answer, response.content or b"")
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, path: str, *, endpoint: str, scope: str = "", **kwargs: Any) -> Reply:
        """A read: any failure other than 204/304/chain-restart is fatal for the run."""
        reply = self.call("GET", path, endpoint=endpoint, scope=scope, **kwargs)
        if reply.answer.outcome is Outcome.ERROR:
            raise error_for(reply.answer, endpoint=endpoint, status=reply.status, scope=scope)
        return reply

    def _note_credits(self, value: str | None) -> None:
        if value and value.strip().isdigit():
            remaining = int(value)
            if self.credits_remaining is None or remaining < self.credits_remaining:
                self.credits_remaining = remaining

    # --- records ---------------------------------------------------------------------------

    def iter_record_pages(
        self,
        module: str,
        fields: Sequence[str],
        since: datetime | None,
        *,
        optional: Collection[str] = (),
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield pages of ``module`` modified since ``since`` (all when ``None``), oldest first.

        ``page`` 1–10 reaches 2,000 records; then ``page_token`` (never both). A chain that hits
        Zoho's 100,000-record cap or an expired token restarts with ``If-Modified-Since`` set to the
        last ``Modified_Time`` seen (minus one second), so very large modules still load.
        A field in ``optional`` that Zoho refuses by name (``INVALID_DATA`` on the first call) is
        dropped and the call repeated once per field: an org without it still loads.
        """
        endpoint = f"GET /{module}"
        scope = f"ZohoCRM.modules.{module.lower()}.READ"
        fields = list(fields)
        chain_since = since
        while True:
            page, page_token, in_chain = 1, None, 0
            last_modified: datetime | None = None
            restart = False
            while True:
                params: dict[str, Any] = {
                    "fields": ",".join(fields),
                    "per_page": PER_PAGE,
                    "sort_by": "Modified_Time",
                    "sort_order": "asc",
                    **LIST_PARAMS.get(module, {}),
                }
                if page_token:
                    params["page_token"] = page_token
                else:
                    params["page"] = page
                headers = {"If-Modified-Since": format_time(chain_since)} if chain_since else None
                reply = self.call(
                    "GET", f"{API}/{module}", endpoint=endpoint, scope=scope, params=params, headers=headers
                )
                refused = _refused_field(reply.answer, fields, optional)
                if refused and page == 1 and page_token is None:
                    log.info("zoho: %s has no field %s; reading it without that field", module, refused)
                    fields.remove(refused)
                    continue
                if reply.answer.outcome is Outcome.ERROR:
                    raise error_for(reply.answer, endpoint=endpoint, status=reply.status, scope=scope)
                if reply.answer.outcome in (Outcome.NOT_MODIFIED, Outcome.EMPTY):
                    return
                if reply.answer.outcome is Outcome.RESTART_CHAIN:
                    restart = True
                    break
                data = list(reply.body.get("data") or [])
                if data:
                    yield data
                in_chain += len(data)
                for raw in data:
                    modified = parse_time(raw.get("Modified_Time"))
                    if modified and (last_modified is None or modified > last_modified):
                        last_modified = modified
                info = reply.body.get("info") or {}
                if not info.get("more_records") or not data:
                    return
                if in_chain >= CHAIN_CAP:
                    restart = True
                    break
                if page_token is None and page < MAX_DISCRETE_PAGE:
                    page += 1
                else:
                    page_token = info.get("next_page_token")
                    if not page_token:
                        raise FatalApiError(
                            f"zoho: {endpoint} said more_records but sent no next_page_token", crm="zoho"
                        )
            if restart:
                resume = last_modified - timedelta(seconds=1) if last_modified else None
                if resume is None or (chain_since is not None and resume <= chain_since):
                    raise FatalApiError(
                        f"zoho: {endpoint} paging could not move past {chain_since} (too many records share "
                        "one Modified_Time); use a narrower module or contact support",
                        crm="zoho",
                    )
                chain_since = resume

    def count(self, module: str) -> int | None:
        """How many records ``module`` holds (``GET /{module}/actions/count``, one call).

        ``None`` when this token may not count: the endpoint needs :data:`COUNT_SCOPES` besides
        module READ, which many grants lack. Only Bulk Read depends on it, so that is no failure.
        """
        endpoint = f"GET /{module}/actions/count"
        reply = self.call(
            "GET",
            f"{API}/{module}/actions/count",
            endpoint=endpoint,
            scope=f"ZohoCRM.modules.{module.lower()}.READ",
            tolerate=frozenset({Outcome.SCOPE}),
        )
        if reply.answer.code in _REFUSALS:
            return None
        if reply.answer.outcome is Outcome.ERROR:
            raise error_for(reply.answer, endpoint=endpoint, status=reply.status)
        value = reply.body.get("count") if isinstance(reply.body, Mapping) else None
        try:  # the OAS declares a string; Zoho's docs show a number
            return int(value) if value is not None else 0
        except (TypeError, ValueError):
            raise FatalApiError(f"zoho: {endpoint} answered {value!r}", crm="zoho") from None

    def iter_deleted_pages(self, module: str, since: datetime | None) -> Iterator[list[dict[str, Any]]]:
        """Yield pages of records deleted since ``since`` (``GET /{module}/deleted``, 2 credits each)."""
        endpoint = f"GET /{module}/deleted"
        scope = f"ZohoCRM.modules.{module.lower()}.READ"
        page = 1
        while True:
            headers = {"If-Modified-Since": format_time(since)} if since else None
            reply = self.get(
                f"{API}/{module}/deleted",
                endpoint=endpoint,
                scope=scope,
                params={"type": "all", "page": page, "per_page": PER_PAGE},
                headers=headers,
            )
            if reply.answer.outcome is not Outcome.OK:
                return
            data = list(reply.body.get("data") or [])
            if data:
                yield data
            if not (reply.body.get("info") or {}).get("more_records") or not data:
                return
            page += 1

    def get_by_ids(
        self, module: str, ids: Sequence[str], fields: Sequence[str], *, converted: bool = False
    ) -> list[dict[str, Any]]:
        """Fresh state of specific records: one GET per 100 ids (``converted``: converted Leads too)."""
        extra = LIST_PARAMS.get(module, {}) if converted else {}
        out: list[dict[str, Any]] = []
        for start in range(0, len(ids), MAX_IDS_PER_GET):
            chunk = ids[start : start + MAX_IDS_PER_GET]
            reply = self.get(
                f"{API}/{module}",
                endpoint=f"GET /{module}?ids",
                scope=f"ZohoCRM.modules.{module.lower()}.READ",
                params={"ids": ",".join(chunk), "fields": ",".join(fields), **extra},
            )
            out.extend(reply.body.get("data") or [])
        return out

    # --- users -----------------------------------------------------------------------------

    def iter_users(self, user_type: str | None = None) -> Iterator[dict[str, Any]]:
        page = 1
        while True:
            params: dict[str, Any] = {"page": page, "per_page": PER_PAGE}
            if user_type:
                params["type"] = user_type
            reply = self.get(f"{API}/users", endpoint="GET /users", scope="ZohoCRM.users.READ", params=params)
            if reply.answer.outcome is not Outcome.OK:
                return
            users = list(reply.body.get("users") or [])
            yield from users
            if not (reply.body.get("info") or {}).get("more_records") or not users:
                return
            page += 1


def _refused_field(answer: Answer, fields: Sequence[str], optional: Collection[str]) -> str | None:
    """The optional field Zoho named when it refused the field list, if that is what happened."""
    if answer.outcome is not Outcome.ERROR or answer.code != "INVALID_DATA":
        return None
    name = answer.details.get("api_name")
    return name if isinstance(name, str) and name in optional and name in fields else None
