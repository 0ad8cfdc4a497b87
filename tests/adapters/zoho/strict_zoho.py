"""The rules real Zoho CRM v8 holds every read to, shared by both modes of the test fake.

The first adapter passed its tests while a real org gave it 0 activities, because the fakes
returned every field of the OAS examples whatever ``fields`` asked for. Real Zoho returns **only
the fields named in ``fields``, plus ``id``**. Everything here enforces that and Zoho's other
documented read rules:

- Get Records (https://www.zoho.com/crm/developer/docs/api/v8/get-records.html): ``fields`` is
  mandatory when listing (``REQUIRED_PARAM_MISSING``), at most 50 names (``LIMIT_EXCEEDED``);
  ``per_page`` ≤ 200; ``page`` reaches the first 2,000 records
  (``DISCRETE_PAGINATION_LIMIT_EXCEEDED``); ``page`` and ``page_token`` never together
  (``AMBIGUITY_DURING_PROCESSING``); ``sort_by`` only ``id``, ``Created_Time``, ``Modified_Time``;
  ``converted`` is ``true|false|both``; the answer holds only the requested fields and ``id``.
- Deleted records (https://www.zoho.com/crm/developer/docs/api/v8/get-deleted-records.html):
  ``type`` is ``all|recycle|permanent``.
- Bulk Read (https://www.zoho.com/crm/developer/docs/api/v8/bulk-read/create-job.html and
  download-result.html): the CSV holds an ``Id`` column and one column per requested field, no more.
- Error bodies have Zoho's shape ``{"code", "details", "message", "status": "error"}``
  (https://www.zoho.com/crm/developer/docs/api/v8/status-codes.html, ``API_Exception`` in the OAS).

Two modes use these rules. **Fixture mode** (:func:`strict_registry`, the ``zoho_http`` fixture):
a test registers canned answers with ``responses`` as before, and every answer to a Get Records
or Bulk Read request is held to the rules and cut down to what the request named, so no fixture
can hand the adapter a field it did not ask for. **Org mode** (``fake_zoho_org.FakeZohoOrg``): a
stateful org (records, credits, scopes, channels) for end-to-end runs and the benchmark.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import responses
from responses import registries

API_PREFIX = "/crm/v8/"
BULK_PREFIX = "/crm/bulk/v8/read"
MAX_FIELDS = 50
MAX_PER_PAGE = 200
DISCRETE_LIMIT = 2_000
MAX_IDS = 100
SORTABLE = frozenset({"id", "Created_Time", "Modified_Time"})
RECORD_MODULES = frozenset({"Leads", "Contacts", "Accounts", "Deals", "Calls", "Events", "Tasks", "Notes"})
_MODULE_PATH = re.compile(r"^/crm/v8/(?P<module>[A-Z][A-Za-z_]*)(?:/(?P<id>\d+))?$")
_DELETED_PATH = re.compile(r"^/crm/v8/(?P<module>[A-Z][A-Za-z_]*)/deleted$")
_BULK_RESULT = re.compile(r"^/crm/bulk/v8/read/(?P<job>\d+)/result$")


@dataclass(frozen=True)
class Reply:
    """An HTTP answer: status, body bytes and headers (the content type among them)."""

    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of_json(cls, status: int, body: Any, headers: Mapping[str, str] | None = None) -> Reply:
        return cls(
            status,
            json.dumps(body).encode(),
            {"Content-Type": "application/json;charset=UTF-8", **(headers or {})},
        )


def error(status: int, code: str, message: str, details: Mapping[str, Any] | None = None) -> Reply:
    """A Zoho error answer (``API_Exception``)."""
    return Reply.of_json(
        status, {"code": code, "details": dict(details or {}), "message": message, "status": "error"}
    )


def query_of(url: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def requested_fields(query: Mapping[str, str]) -> list[str]:
    return [f for f in query.get("fields", "").split(",") if f]


def check_list(query: Mapping[str, str], *, by_ids: bool) -> Reply | None:
    """Zoho's refusal of a Get Records request, or ``None`` when Zoho would accept it."""
    fields = requested_fields(query)
    if not fields and not by_ids:
        return error(
            400, "REQUIRED_PARAM_MISSING", "One of the expected parameter is missing", {"param": "fields"}
        )
    if len(fields) > MAX_FIELDS:
        return error(400, "LIMIT_EXCEEDED", "fields limit exceeded", {"param": "fields", "limit": MAX_FIELDS})
    if "page" in query and "page_token" in query:
        return error(
            400,
            "AMBIGUITY_DURING_PROCESSING",
            "only one of page and page_token can be given",
            {"ambiguity_due_to": ["page", "page_token"]},
        )
    per_page = query.get("per_page", str(MAX_PER_PAGE))
    if not per_page.isdigit() or not 1 <= int(per_page) <= MAX_PER_PAGE:
        return error(
            400, "INVALID_DATA", "invalid data", {"param": "per_page", "maximum_length": MAX_PER_PAGE}
        )
    page = query.get("page", "1")
    if not page.isdigit() or int(page) < 1:
        return error(400, "INVALID_DATA", "invalid data", {"param": "page"})
    if int(page) * int(per_page) > DISCRETE_LIMIT:
        return error(
            400,
            "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
            "The number of records you can get through discrete pagination is 2000; use page_token",
            {"limit": DISCRETE_LIMIT},
        )
    if query.get("sort_by", "id") not in SORTABLE or query.get("sort_order", "desc") not in ("asc", "desc"):
        return error(400, "INVALID_DATA", "invalid data", {"param": "sort_by"})
    if query.get("converted", "false") not in ("true", "false", "both"):
        return error(400, "INVALID_DATA", "invalid data", {"param": "converted"})
    if by_ids and len(query["ids"].split(",")) > MAX_IDS:
        return error(400, "LIMIT_EXCEEDED", "ids limit exceeded", {"param": "ids", "limit": MAX_IDS})
    return None


def check_deleted(query: Mapping[str, str]) -> Reply | None:
    if query.get("type", "all") not in ("all", "recycle", "permanent"):
        return error(400, "INVALID_DATA", "invalid data", {"param": "type"})
    per_page = query.get("per_page", str(MAX_PER_PAGE))
    if not per_page.isdigit() or not 1 <= int(per_page) <= MAX_PER_PAGE:
        return error(400, "INVALID_DATA", "invalid data", {"param": "per_page"})
    return None


def project(item: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    """What Zoho sends for one record: the requested fields (``null`` when empty) and ``id``."""
    out = {name: item.get(name) for name in fields}
    out["id"] = item["id"]
    return out


def csv_zip(job_id: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> bytes:
    """A Bulk Read result: a ZIP holding ``{job_id}.csv``, every value quoted, like Zoho's."""
    text = io.StringIO()
    writer = csv.writer(text, quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    writer.writerows(rows)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{job_id}.csv", text.getvalue())
    return buffer.getvalue()


def project_csv(content: bytes, fields: Sequence[str]) -> bytes:
    """A result ZIP cut down to ``Id`` plus the columns the job asked for (in the CSV's order)."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in archive.namelist():
            rows = list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))))
            keep = [
                i for i, column in enumerate(rows[0] if rows else []) if column == "Id" or column in fields
            ]
            text = io.StringIO()
            csv.writer(text, quoting=csv.QUOTE_ALL).writerows(
                [[row[i] for i in keep if i < len(row)] for row in rows]
            )
            target.writestr(name, text.getvalue())
    return out.getvalue()


# --- fixture mode ------------------------------------------------------------------------------


class StrictRules:
    """Holds canned ``responses`` answers to Zoho's rules (see the module docstring)."""

    def __init__(self) -> None:
        self.jobs: dict[str, list[str]] = {}  # Bulk Read job id → the fields it asked for

    def wrap(self, response: responses.BaseResponse) -> None:
        original: Callable[[Any], Any] = response.get_response

        def get_response(request: Any) -> Any:
            path = urlsplit(request.url).path
            rejected = self._check(request.method, path, query_of(request.url))
            if rejected is not None:
                return _to_http(request, rejected)
            answer = original(request)
            return self._reshape(request, path, answer)

        response.get_response = get_response  # type: ignore[method-assign]

    def _check(self, method: str, path: str, query: Mapping[str, str]) -> Reply | None:
        if method != "GET":
            return None
        if (match := _MODULE_PATH.match(path)) and match["module"] in RECORD_MODULES and not match["id"]:
            return check_list(query, by_ids="ids" in query)
        if _DELETED_PATH.match(path):
            return check_deleted(query)
        return None

    def _reshape(self, request: Any, path: str, answer: Any) -> Any:
        match = _MODULE_PATH.match(path)
        listing = request.method == "GET" and match is not None and match["module"] in RECORD_MODULES
        is_result = request.method == "GET" and _BULK_RESULT.match(path)
        is_create = request.method == "POST" and path == BULK_PREFIX
        if not (listing or is_result or is_create) or answer.status >= 300:
            return answer
        content = answer.read()
        if listing:
            fields = requested_fields(query_of(request.url))
            body = _json_or_none(content)
            if fields and isinstance(body, dict) and isinstance(body.get("data"), list):
                body["data"] = [project(item, fields) for item in body["data"]]
                content = json.dumps(body).encode()
        elif is_create:
            job = (json.loads(content).get("data") or [{}])[0].get("details", {}).get("id")
            if job:
                self.jobs[str(job)] = list(json.loads(request.body)["query"]["fields"])
        elif is_result and (fields := self.jobs.get(is_result["job"])) is not None:
            content = project_csv(content, fields)
        headers = {
            k: v for k, v in answer.headers.items() if k.lower() not in ("content-length", "content-type")
        }
        reply = Reply(
            answer.status, content, {**headers, "Content-Type": answer.headers.get("Content-Type", "")}
        )
        return _to_http(request, reply)


def _json_or_none(content: bytes) -> Any:
    """The decoded body, or ``None`` for a body a test made deliberately not JSON."""
    try:
        return json.loads(content)
    except ValueError:
        return None


def _to_http(request: Any, reply: Reply) -> Any:
    headers = {k: v for k, v in reply.headers.items() if k.lower() != "content-type"}
    content_type = reply.headers.get("Content-Type") or None
    return responses.Response(
        method=request.method,
        url=request.url,
        body=reply.body,
        status=reply.status,
        headers=headers,
        content_type=content_type,
    ).get_response(request)


def strict_registry(
    rules: StrictRules, base: type[registries.FirstMatchRegistry] = registries.FirstMatchRegistry
) -> type[registries.FirstMatchRegistry]:
    """A ``responses`` registry whose every registered answer goes through ``rules``."""

    class StrictRegistry(base):  # type: ignore[valid-type,misc]
        def add(self, response: responses.BaseResponse) -> responses.BaseResponse:
            added = super().add(response)
            rules.wrap(added)
            return added

    return StrictRegistry
