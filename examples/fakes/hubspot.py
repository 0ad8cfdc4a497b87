"""A fake HubSpot CRM (API v3) for the example config in ``examples/hubspot/``.

It answers like HubSpot's public documentation, strictly:

- OAuth: ``POST /oauth/v1/token`` with a form ``grant_type=refresh_token, client_id,
  client_secret, refresh_token`` answers ``{"token_type": "bearer", "refresh_token", "access_token",
  "expires_in": 1800}``; a wrong refresh token is ``400 {"status": "BAD_REFRESH_TOKEN", ...}``
  (https://developers.hubspot.com/docs/api-reference/legacy/authentication/oauth-tokens/v1/guide).
  An expired access token is ``401 {"status": "error", "category": "EXPIRED_AUTHENTICATION"}``.
- Owners: ``GET /crm/v3/owners?limit&after`` → ``{"results": [...], "paging": {"next": {"after"}}}``
  (https://developers.hubspot.com/docs/api/crm/owners).
- Search: ``POST /crm/v3/objects/{contacts|companies}/search`` with ``filterGroups``, ``sorts``,
  ``properties``, ``limit`` (at most 200) and ``after`` in the JSON body; results carry only the
  properties asked for plus ``hs_object_id``, the create date and the last-modified date
  (https://developers.hubspot.com/docs-beta/crm/search).
- Objects: ``GET /crm/v3/objects/{calls|meetings}?properties&associations&limit&after`` (limit at
  most 100) with ``associations.<type>.results[].id``, and ``GET /crm/v3/objects/{type}/{id}``
  (https://developers.hubspot.com/docs/api/crm/understanding-the-crm).
- Webhooks: a JSON array of events (``objectId``, ``subscriptionType`` such as
  ``contact.propertyChange`` or ``company.deletion``, ``occurredAt`` in ms, ``eventId``) signed with
  ``X-HubSpot-Signature-v3`` = base64 HMAC-SHA256 of method + URI + body + timestamp and
  ``X-HubSpot-Request-Timestamp`` in ms
  (https://developers.hubspot.com/docs/apps/legacy-apps/authentication/validating-requests).

Writes (https://developers.hubspot.com/docs/api/crm/contacts, …/crm/notes,
https://knowledge.hubspot.com/properties/property-field-types-in-hubspot):

- ``PATCH /crm/v3/objects/{type}/{id}`` with ``{"properties": {...}}`` answers the object. A
  multiple-checkbox property holds its values as one ``;``-separated text, and what is sent
  replaces it; a value that is not one of the property's options, or an owner id that is not an
  owner, is ``400 {"status": "error", "message": "Property values were not valid: [{…"error":
  "INVALID_OPTION", "name": …}]", "category": "VALIDATION_ERROR", "errors": [{"message", "code",
  "context": {"propertyName": [...]}}]}``. ``referee_tags`` is such a property here, with options
  ``vip`` and ``referee:conflict``.
- ``POST /crm/v3/objects/{type}/batch/update`` with ``{"inputs": [{"id", "properties"}]}``
  answers ``200 {"status": "COMPLETE", "results": [...]}``, or ``207`` with ``"numErrors"`` and
  ``"errors": [{"status": "error", "category": "OBJECT_NOT_FOUND", "message", "context":
  {"ids": [...]}}]`` for the inputs it could not update: per-item statuses in a 2xx.
- ``POST /crm/v3/objects/notes`` with ``properties.hs_note_body`` (at most 65,536 characters),
  ``hs_timestamp`` and ``associations`` (type 202 note→contact, 190 note→company) answers 201.

Seeded: two contacts with the same email owned by two owners who both called them (one pursuit),
and a company. Run it with ``python -m examples.fakes.hubspot --port 8767``.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from examples.fakes.base import FakeCrm, Reply, Request, run_forever

CLIENT_ID = "hs-client-id"
CLIENT_SECRET = "hs-client-secret"
REFRESH_TOKEN = "hs-refresh-token"
TOKEN_LIFETIME = 1800
DEFAULTS = {
    "contacts": ("hs_object_id", "createdate", "lastmodifieddate"),
    "companies": ("hs_object_id", "createdate", "hs_lastmodifieddate"),
    "calls": ("hs_object_id", "hs_createdate", "hs_lastmodifieddate"),
    "meetings": ("hs_object_id", "hs_createdate", "hs_lastmodifieddate"),
}
OWNERS = [
    {
        "id": "101",
        "email": "li.na@hs.example",
        "type": "PERSON",
        "firstName": "Na",
        "lastName": "Li",
        "userId": 9001,
        "archived": False,
        "teams": [{"id": "1", "name": "East", "primary": True}],
    },
    {
        "id": "102",
        "email": "zhang.wei@hs.example",
        "type": "PERSON",
        "firstName": "Wei",
        "lastName": "Zhang",
        "userId": 9002,
        "archived": False,
        "teams": [{"id": "1", "name": "East", "primary": True}],
    },
    {
        "id": "103",
        "email": "app@hs.example",
        "type": "PERSON",
        "firstName": "crm",
        "lastName": "referee",
        "userId": 9003,
        "archived": False,
        "teams": [],
    },
]


def _obj(
    ident: str, created: str, props: dict[str, Any], assoc: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": ident,
        "properties": {"hs_object_id": ident, **props},
        "createdAt": created,
        "updatedAt": props.get("lastmodifieddate") or props.get("hs_lastmodifieddate") or created,
        "archived": False,
    }
    if assoc:
        out["associations"] = assoc
    return out


def seed() -> dict[str, dict[str, dict[str, Any]]]:
    contacts = {
        "501": _obj(
            "501",
            "2026-11-18T01:00:00.000Z",
            {
                "email": "chen.wei@brightoptics.cn",
                "firstname": "Wei",
                "lastname": "Chen",
                "company": "Bright Optics",
                "phone": "+86 755 2688 1001",
                "city": "Shenzhen",
                "hubspot_owner_id": "101",
                "createdate": "2026-11-18T01:00:00.000Z",
                "lastmodifieddate": "2026-11-24T02:00:00.000Z",
            },
        ),
        "502": _obj(
            "502",
            "2026-11-22T03:00:00.000Z",
            {
                "email": "chen.wei@brightoptics.cn",
                "firstname": "Wei",
                "lastname": "Chen",
                "company": "Bright Optics Ltd",
                "phone": None,
                "city": "Shenzhen",
                "hubspot_owner_id": "102",
                "createdate": "2026-11-22T03:00:00.000Z",
                "lastmodifieddate": "2026-11-26T06:30:00.000Z",
            },
        ),
    }
    companies = {
        "701": _obj(
            "701",
            "2026-11-01T00:00:00.000Z",
            {
                "name": "Harbor Tech",
                "domain": "harbortech.com",
                "city": "Guangzhou",
                "country": "China",
                "hubspot_owner_id": "101",
                "createdate": "2026-11-01T00:00:00.000Z",
                "hs_lastmodifieddate": "2026-11-20T00:00:00.000Z",
            },
        ),
    }
    calls = {
        "901": _obj(
            "901",
            "2026-11-24T02:00:00.000Z",
            {
                "hs_timestamp": "2026-11-24T02:00:00.000Z",
                "hubspot_owner_id": "101",
                "hs_call_status": "COMPLETED",
            },
            {"contacts": {"results": [{"id": "501", "type": "call_to_contact"}]}},
        ),
        "902": _obj(
            "902",
            "2026-11-26T06:00:00.000Z",
            {
                "hs_timestamp": "2026-11-26T06:00:00.000Z",
                "hubspot_owner_id": "102",
                "hs_call_status": "COMPLETED",
            },
            {"contacts": {"results": [{"id": "502", "type": "call_to_contact"}]}},
        ),
        "903": _obj(
            "903",
            "2026-11-25T02:00:00.000Z",
            {
                "hs_timestamp": "2026-11-25T02:00:00.000Z",
                "hubspot_owner_id": "101",
                "hs_call_status": "COMPLETED",
            },
            {"companies": {"results": [{"id": "701", "type": "call_to_company"}]}},
        ),
    }
    meetings = {
        "951": _obj(
            "951",
            "2026-11-20T02:00:00.000Z",
            {
                "hs_meeting_start_time": "2026-11-20T02:00:00.000Z",
                "hubspot_owner_id": "101",
                "hs_meeting_outcome": "COMPLETED",
            },
            {"contacts": {"results": [{"id": "501", "type": "meeting_event_to_contact"}]}},
        ),
    }
    return {"contacts": contacts, "companies": companies, "calls": calls, "meetings": meetings}


TAG_OPTIONS = ["vip", "referee:conflict"]
WRITABLE = {
    "hubspot_owner_id",
    "referee_tags",
    "firstname",
    "lastname",
    "email",
    "phone",
    "city",
    "company",
    "name",
}


def _error(status: int, message: str, category: str) -> Reply:
    return Reply(
        status,
        {"status": "error", "message": message, "correlationId": secrets.token_hex(8), "category": category},
    )


class HubSpot(FakeCrm):
    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        super().__init__()
        self.clock = clock
        self.objects = seed()
        self.owners = copy.deepcopy(OWNERS)
        self.tokens: dict[str, datetime] = {}
        self.refreshes = 0
        self.route("POST", r"/oauth/v1/token", self._token)
        self.route("GET", r"/crm/v3/owners/?", self._owners)
        self.route("POST", r"/crm/v3/objects/(contacts|companies)/search", self._search)
        self.route("GET", r"/crm/v3/objects/(calls|meetings)", self._list)
        self.route("GET", r"/crm/v3/objects/(contacts|companies)/(\d+)", self._one)
        self.route("PATCH", r"/crm/v3/objects/(contacts|companies)/(\d+)", self._update)
        self.route("POST", r"/crm/v3/objects/(contacts|companies)/batch/update", self._batch_update)
        self.route("POST", r"/crm/v3/objects/notes", self._note)
        self.notes: list[dict[str, Any]] = []

    def expire_tokens(self) -> None:
        """Every access token handed out so far stops working (as after 30 minutes)."""
        with self.lock:
            self.tokens = {token: self.clock() - timedelta(seconds=1) for token in self.tokens}

    def authorize(self, request: Request) -> Reply | None:
        if request.path == "/oauth/v1/token":
            return None
        header = request.header("Authorization") or ""
        token = header.removeprefix("Bearer ")
        expires = self.tokens.get(token) if header.startswith("Bearer ") else None
        if expires is None:
            return _error(401, "Authentication credentials not found.", "INVALID_AUTHENTICATION")
        if expires <= self.clock():
            return _error(
                401,
                "The OAuth token used to make this call expired 1 minute(s) ago.",
                "EXPIRED_AUTHENTICATION",
            )
        return None

    def _token(self, request: Request) -> Reply:
        form = request.form()
        if request.header("Content-Type") != "application/x-www-form-urlencoded":
            return Reply(415, {"status": "error", "message": "use application/x-www-form-urlencoded"})
        if (
            form.get("grant_type") != "refresh_token"
            or form.get("client_id") != CLIENT_ID
            or form.get("client_secret") != CLIENT_SECRET
        ):
            return Reply(400, {"status": "BAD_CLIENT_ID", "message": "missing or invalid client credentials"})
        if form.get("refresh_token") != REFRESH_TOKEN:
            return Reply(400, {"status": "BAD_REFRESH_TOKEN", "message": "missing or unknown refresh token"})
        token = "CJ" + secrets.token_urlsafe(24)
        with self.lock:
            self.tokens[token] = self.clock() + timedelta(seconds=TOKEN_LIFETIME)
            self.refreshes += 1
        return Reply(
            200,
            {
                "token_type": "bearer",
                "refresh_token": REFRESH_TOKEN,
                "access_token": token,
                "expires_in": TOKEN_LIFETIME,
            },
        )

    def _owners(self, request: Request) -> Reply:
        limit = int(request.arg("limit") or 100)
        if limit > 500:
            return _error(400, "limit must be at most 500", "VALIDATION_ERROR")
        return self._paged([o for o in self.owners if not o["archived"]], request.arg("after"), limit)

    def _search(self, request: Request, kind: str) -> Reply:
        body = request.json()
        if not isinstance(body, dict):
            return _error(400, "Invalid input JSON on line 1", "VALIDATION_ERROR")
        limit = int(body.get("limit") or 10)
        if limit > 200:
            return _error(400, f"limit must be between 1 and 200, got {limit}", "VALIDATION_ERROR")
        rows = list(self.objects[kind].values())
        for group in body.get("filterGroups", []):
            for flt in group.get("filters", []):
                if flt.get("operator") != "GTE" or "value" not in flt:
                    return _error(400, "There was a problem with the request.", "VALIDATION_ERROR")
                since = _instant(flt["value"])
                rows = [r for r in rows if _instant(r["properties"].get(flt["propertyName"])) >= since]
        for sort in body.get("sorts", []):
            rows.sort(
                key=lambda r: (str(r["properties"].get(sort["propertyName"])), r["id"]),
                reverse=sort.get("direction") == "DESCENDING",
            )
        wanted = list(body.get("properties") or [])
        rows = [self._only(kind, r, wanted) for r in rows]
        reply = self._paged(rows, body.get("after"), limit)
        reply.body["total"] = len(rows)
        return reply

    def _list(self, request: Request, kind: str) -> Reply:
        limit = int(request.arg("limit") or 10)
        if limit > 100:
            return _error(400, f"limit must be between 1 and 100, got {limit}", "VALIDATION_ERROR")
        wanted = (request.arg("properties") or "").split(",") if request.arg("properties") else []
        associations = set((request.arg("associations") or "").split(",")) - {""}
        rows = []
        for row in self.objects[kind].values():
            out = self._only(kind, row, wanted)
            links = {k: v for k, v in row.get("associations", {}).items() if k in associations}
            if links:
                out["associations"] = links
            rows.append(out)
        return self._paged(rows, request.arg("after"), limit)

    def _one(self, request: Request, kind: str, ident: str) -> Reply:
        row = self.objects[kind].get(ident)
        if row is None:
            return _error(404, "Object not found.  objectId are usually numeric.", "OBJECT_NOT_FOUND")
        wanted = (request.arg("properties") or "").split(",") if request.arg("properties") else []
        return Reply(200, self._only(kind, row, wanted))

    # -- writes -------------------------------------------------------------------------------------

    def _invalid_properties(self, properties: Any) -> Reply | None:
        if not isinstance(properties, dict):
            return _error(400, "Invalid input JSON on line 1", "VALIDATION_ERROR")
        problems: list[dict[str, Any]] = []
        for name, value in properties.items():
            if name == "hubspot_owner_id" and value not in {o["id"] for o in self.owners}:
                problems.append(
                    {
                        "message": f"{value} was not a valid owner id",
                        "error": "INVALID_OWNER_ID",
                        "name": name,
                    }
                )
            elif name == "referee_tags":
                bad = [v for v in str(value or "").split(";") if v and v not in TAG_OPTIONS]
                if bad:
                    problems.append(
                        {
                            "message": f"{bad[0]} was not one of the allowed options: {TAG_OPTIONS}",
                            "error": "INVALID_OPTION",
                            "name": name,
                        }
                    )
            elif name not in WRITABLE:
                problems.append(
                    {
                        "message": f'Property "{name}" does not exist',
                        "error": "PROPERTY_DOESNT_EXIST",
                        "name": name,
                    }
                )
        if not problems:
            return None
        body = {
            "status": "error",
            "message": "Property values were not valid: "
            + json.dumps([{"isValid": False, **p} for p in problems]),
            "correlationId": secrets.token_hex(8),
            "category": "VALIDATION_ERROR",
            "errors": [
                {"message": p["message"], "code": p["error"], "context": {"propertyName": [p["name"]]}}
                for p in problems
            ],
        }
        return Reply(400, body)

    def _apply(self, kind: str, ident: str, properties: dict[str, Any]) -> dict[str, Any] | None:
        row = self.objects[kind].get(ident)
        if row is None:
            return None
        stamp = self.clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        row["properties"].update(properties, lastmodifieddate=stamp, hs_lastmodifieddate=stamp)
        row["updatedAt"] = stamp
        return row

    def _update(self, request: Request, kind: str, ident: str) -> Reply:
        body = request.json()
        properties = body.get("properties") if isinstance(body, dict) else None
        if refused := self._invalid_properties(properties):
            return refused
        with self.lock:
            row = self._apply(kind, ident, properties)  # type: ignore[arg-type]
        if row is None:
            return _error(404, "Object not found.  objectId are usually numeric.", "OBJECT_NOT_FOUND")
        return Reply(200, self._only(kind, row, list(properties)))  # type: ignore[arg-type]

    def _batch_update(self, request: Request, kind: str) -> Reply:
        body = request.json()
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or not inputs or len(inputs) > 100:
            return _error(400, "inputs must hold 1 to 100 items", "VALIDATION_ERROR")
        for item in inputs:
            if refused := self._invalid_properties(
                item.get("properties") if isinstance(item, dict) else None
            ):
                return refused
        results, missing = [], []
        with self.lock:
            for item in inputs:
                row = self._apply(kind, str(item.get("id")), item["properties"])
                if row is None:
                    missing.append(str(item.get("id")))
                else:
                    results.append(self._only(kind, row, list(item["properties"])))
        answer: dict[str, Any] = {
            "status": "COMPLETE",
            "results": results,
            "startedAt": "2026-11-27T02:00:00.000Z",
            "completedAt": "2026-11-27T02:00:00.100Z",
        }
        if not missing:
            return Reply(200, answer)
        answer["numErrors"] = len(missing)
        answer["errors"] = [
            {
                "status": "error",
                "category": "OBJECT_NOT_FOUND",
                "message": f"Could not get some {kind} objects, they may be deleted or not exist. Check that ids are valid.",
                "context": {"ids": missing},
                "errors": [],
            }
        ]
        return Reply(207, answer)

    def _note(self, request: Request) -> Reply:
        body = request.json()
        properties = body.get("properties") if isinstance(body, dict) else None
        if not isinstance(properties, dict) or not properties.get("hs_timestamp"):
            return _error(400, "hs_timestamp is required", "VALIDATION_ERROR")
        if len(str(properties.get("hs_note_body") or "")) > 65536:
            return _error(400, "hs_note_body is longer than 65536 characters", "VALIDATION_ERROR")
        links = []
        for assoc in body.get("associations") or []:
            target = str(assoc.get("to", {}).get("id"))
            type_ids = {t.get("associationTypeId") for t in assoc.get("types", [])}
            kind = {202: "contacts", 190: "companies"}.get(next(iter(type_ids), 0))
            if kind is None or target not in self.objects[kind]:
                return _error(400, f"invalid association to {target}", "VALIDATION_ERROR")
            links.append((kind, target))
        with self.lock:
            ident = str(90000 + len(self.notes) + 1)
            note = {
                "id": ident,
                "properties": dict(properties),
                "associations": links,
                "createdAt": "2026-11-27T02:00:00.000Z",
                "archived": False,
            }
            self.notes.append(note)
        return Reply(201, {k: v for k, v in note.items() if k != "associations"})

    def writes(self) -> int:
        """Requests that could change data (not GET, not search, not the token endpoint)."""
        return sum(
            1 for m, p, _ in self.requests if m != "GET" and not p.endswith("/search") and "oauth" not in p
        )

    def _only(self, kind: str, row: dict[str, Any], wanted: list[str]) -> dict[str, Any]:
        keep = set(DEFAULTS[kind]) | set(wanted)
        return {
            **{k: v for k, v in row.items() if k != "associations"},
            "properties": {k: v for k, v in row["properties"].items() if k in keep},
        }

    def _paged(self, rows: list[dict[str, Any]], after: str | None, limit: int) -> Reply:
        start = int(after or 0)
        body: dict[str, Any] = {"results": rows[start : start + limit]}
        if start + limit < len(rows):
            body["paging"] = {"next": {"after": str(start + limit), "link": f"?after={start + limit}"}}
        return Reply(200, body)


def _instant(value: Any) -> datetime:
    if value is None:
        return datetime.min.replace(tzinfo=UTC)
    text = str(value)
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def signed_webhook(
    events: list[dict[str, Any]], secret: str, url: str, *, timestamp_ms: int | None = None
) -> tuple[dict[str, str], bytes]:
    """Headers and body of one HubSpot delivery to ``url`` (the URL exactly as HubSpot calls it)."""
    ts = str(int(time.time() * 1000) if timestamp_ms is None else timestamp_ms)
    body = json.dumps(events).encode()
    source = b"POST" + url.encode() + body + ts.encode()
    signature = base64.b64encode(hmac.new(secret.encode(), source, hashlib.sha256).digest()).decode()
    return {
        "Content-Type": "application/json",
        "X-HubSpot-Signature-v3": signature,
        "X-HubSpot-Signature-Version": "v3",
        "X-HubSpot-Request-Timestamp": ts,
    }, body


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the fake HubSpot CRM.")
    parser.add_argument("--port", type=int, default=8767)
    args = parser.parse_args()
    run_forever(HubSpot(), args.port, f"client {CLIENT_ID}, refresh token {REFRESH_TOKEN}")


if __name__ == "__main__":
    main()
