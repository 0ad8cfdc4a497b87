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
