"""Acme CRM: a small REST CRM (stdlib only) to try the generic webhook adapter against.

It serves paged users (page/per_page), leads (cursor paging, ``updated_since`` filter) and
activities (RFC 8288 ``Link`` header paging) under ``/api/v2``, accepts owner changes, tags and
notes, and keeps everything in memory. The seeded data, judged at ``2026-11-27T10:00:00+08:00``,
holds one duplicate pursuit (L-1001 and L-1002 share an email and two reps work them) and one
missed 24h first contact (L-1003).

Run it with ``python examples/acme-crm/fake_crm.py --port 8765`` (token ``acme-demo-token``), or
from Python: ``server, thread, base_url = serve()`` … ``server.shutdown()``.
"""

from __future__ import annotations

import argparse
import base64
import copy
import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

DEFAULT_TOKEN = "acme-demo-token"
PREFIX = "/api/v2"

USERS: list[dict[str, Any]] = [
    {"id": "u-li", "full_name": "Li Na", "email": "li.na@acme.example", "status": "active", "team": "east"},
    {
        "id": "u-zhang",
        "full_name": "Zhang Wei",
        "email": "zhang.wei@acme.example",
        "status": "active",
        "team": "east",
    },
    {
        "id": "u-wang",
        "full_name": "Wang Fang",
        "email": "wang.fang@acme.example",
        "status": "active",
        "team": "south",
    },
    {
        "id": "u-zhao",
        "full_name": "Zhao Lei",
        "email": "zhao.lei@acme.example",
        "status": "inactive",
        "team": "south",
    },
    {
        "id": "u-chen",
        "full_name": "Chen Jie",
        "email": "chen.jie@acme.example",
        "status": "active",
        "team": "south",
    },
]


def _lead(ident: str, owner: str, created: str, company: str, contact: dict[str, str], city: str) -> dict:
    return {
        "id": ident,
        "stage": "new",
        "source": "website",
        "company": {"name": company, "website": None, "tax_id": None},
        "contacts": [contact],
        "owner": {"id": owner, "assigned_at": created},
        "address": {"country": "CN", "city": city},
        "tags": [],
        "notes": [],
        "created_at": created,
        "updated_at": created,
    }


def seed_leads() -> dict[str, dict[str, Any]]:
    chen = {
        "first_name": "Wei",
        "last_name": "Chen",
        "email": "chen.wei@brightoptics.cn",
        "phone": "+86 755 2688 1001",
    }
    leads = [
        _lead("L-1001", "u-li", "2026-11-18T09:00:00+08:00", "Bright Optics", chen, "Shenzhen"),
        _lead(
            "L-1002",
            "u-zhang",
            "2026-11-22T11:00:00+08:00",
            "Shenzhen Bright Optics Co., Ltd.",
            dict(chen),
            "Shenzhen",
        ),
        _lead(
            "L-1003",
            "u-wang",
            "2026-11-25T09:00:00+08:00",
            "Harbor Tech",
            {
                "first_name": "Yang",
                "last_name": "Liu",
                "email": "liu.yang@harbortech.com",
                "phone": "+86 20 3888 2002",
            },
            "Guangzhou",
        ),
        _lead(
            "L-1004",
            "u-wang",
            "2026-11-27T08:30:00+08:00",
            "Blue Lake Foods",
            {"first_name": "Min", "last_name": "Xu", "email": "xu.min@bluelakefoods.cn", "phone": ""},
            "Hangzhou",
        ),
        _lead(
            "L-1005",
            "u-li",
            "2026-11-20T10:00:00+08:00",
            "Northwind Trading",
            {"first_name": "Jun", "last_name": "Ma", "email": "ma.jun@northwind.example", "phone": ""},
            "Shanghai",
        ),
    ]
    leads[0]["stage"] = leads[1]["stage"] = "contacted"
    leads[0]["company"]["website"] = "https://brightoptics.cn"
    leads[0]["updated_at"] = "2026-11-24T10:30:00+08:00"
    leads[1]["updated_at"] = "2026-11-26T14:30:00+08:00"
    return {lead["id"]: lead for lead in leads}


def seed_activities() -> list[dict[str, Any]]:
    rows = [
        ("A-1", "L-1001", "u-li", "phone_call", "2026-11-18T15:00:00+08:00"),
        ("A-2", "L-1001", "u-li", "visit", "2026-11-24T10:00:00+08:00"),
        ("A-3", "L-1002", "u-zhang", "phone_call", "2026-11-22T16:00:00+08:00"),
        ("A-4", "L-1002", "u-zhang", "phone_call", "2026-11-26T14:00:00+08:00"),
        ("A-5", "L-1005", "u-li", "email", "2026-11-20T12:00:00+08:00"),
    ]
    return [
        {"id": i, "lead_id": lead, "user_id": user, "type": kind, "done": True, "at": at, "updated_at": at}
        for i, lead, user, kind, at in rows
    ]


class AcmeData:
    """The CRM's in-memory tables; every handler holds ``lock`` while it reads or writes them."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.users = copy.deepcopy(USERS)
        self.leads = seed_leads()
        self.activities = seed_activities()
        self.clock = clock
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []  # (method, path) in arrival order
        # Fault injection (write-back tests): a write is carried out, then ``on_write(method,
        # path)`` runs and its answer waits ``write_delay`` seconds (a CRM slower than the client).
        self.write_delay = 0.0
        self.on_write: Callable[[str, str], None] | None = None

    def now(self) -> str:
        return self.clock().isoformat(timespec="seconds")


class AcmeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], token: str, data: AcmeData) -> None:
        super().__init__(address, AcmeHandler)
        self.token = token
        self.crm = data


def _ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


class AcmeHandler(BaseHTTPRequestHandler):
    server: AcmeServer

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PATCH(self) -> None:
        self._route("PATCH")

    def _route(self, method: str) -> None:
        url = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        crm = self.server.crm
        with crm.lock:
            crm.requests.append((method, url.path))
        if self.headers.get("Authorization") != f"Bearer {self.server.token}":
            return self._send(401, {"error": {"message": "invalid or missing API token"}})
        routes: list[tuple[str, str, Callable[..., None]]] = [
            ("GET", r"/users", self._users),
            ("GET", r"/leads", self._leads),
            ("GET", r"/leads/([\w-]+)", self._lead),
            ("PATCH", r"/leads/([\w-]+)", self._patch_lead),
            ("POST", r"/leads/([\w-]+)/tags", self._add_tag),
            ("POST", r"/leads/([\w-]+)/notes", self._add_note),
            ("GET", r"/activities", self._activities),
        ]
        path = url.path.removeprefix(PREFIX)
        for verb, pattern, handler in routes:
            match = re.fullmatch(pattern, path)
            if match and verb == method:
                self._held = method != "GET"
                with crm.lock:
                    handler(query, *match.groups())
                self._held = False
                if method != "GET" and crm.on_write is not None:
                    crm.on_write(method, path)
                if method != "GET" and crm.write_delay:
                    time.sleep(crm.write_delay)
                return self._flush()
        return self._send(404, {"error": {"message": f"no route {method} {url.path}"}})

    # -- reads ------------------------------------------------------------------------------------

    def _users(self, query: dict[str, str]) -> None:
        page, per_page = int(query.get("page", 1)), int(query.get("per_page", 50))
        users = self.server.crm.users[(page - 1) * per_page : page * per_page]
        self._send(200, {"data": users, "meta": {"page": page, "per_page": per_page}})

    def _leads(self, query: dict[str, str]) -> None:
        rows = sorted(self.server.crm.leads.values(), key=lambda r: (_ts(r["updated_at"]), r["id"]))
        if "updated_since" in query:
            rows = [r for r in rows if _ts(r["updated_at"]) >= _ts(query["updated_since"])]
        limit = int(query.get("limit", 50))
        start = int(base64.urlsafe_b64decode(query["cursor"]).decode()) if "cursor" in query else 0
        page = rows[start : start + limit]
        more = start + limit < len(rows)
        token = base64.urlsafe_b64encode(str(start + limit).encode()).decode() if more else None
        self._send(200, {"data": page, "meta": {"next_cursor": token}})

    def _lead(self, query: dict[str, str], lead_id: str) -> None:
        lead = self.server.crm.leads.get(lead_id)
        if lead is None:
            return self._send(404, {"error": {"message": f"lead {lead_id} not found"}})
        self._send(200, {"data": lead})

    def _activities(self, query: dict[str, str]) -> None:
        rows = sorted(self.server.crm.activities, key=lambda r: (_ts(r["updated_at"]), r["id"]))
        if "updated_since" in query:
            rows = [r for r in rows if _ts(r["updated_at"]) >= _ts(query["updated_since"])]
        page, per_page = int(query.get("page", 1)), int(query.get("per_page", 50))
        headers = {}
        if page * per_page < len(rows):
            nxt = {**query, "page": str(page + 1), "per_page": str(per_page)}
            headers["Link"] = f'<{PREFIX}/activities?{urlencode(nxt)}>; rel="next"'
        self._send(200, rows[(page - 1) * per_page : page * per_page], headers)

    # -- writes -----------------------------------------------------------------------------------

    def _patch_lead(self, query: dict[str, str], lead_id: str) -> None:
        lead, body = self.server.crm.leads.get(lead_id), self._body()
        if lead is None:
            return self._send(404, {"error": {"message": f"lead {lead_id} not found"}})
        owner = body.get("owner_id")
        if owner not in {u["id"] for u in self.server.crm.users}:
            return self._send(422, {"error": {"message": f"unknown user {owner!r}"}})
        expected = body.get("expected_owner_id")
        if expected is not None and expected != lead["owner"]["id"]:
            return self._send(
                409, {"error": {"message": f"lead {lead_id} is now owned by {lead['owner']['id']}"}}
            )
        now = self.server.crm.now()
        lead["owner"] = {"id": owner, "assigned_at": now}
        lead["updated_at"] = now
        self._send(200, {"data": lead})

    def _add_tag(self, query: dict[str, str], lead_id: str) -> None:
        lead, tag = self.server.crm.leads.get(lead_id), self._body().get("tag")
        if lead is None:
            return self._send(404, {"error": {"message": f"lead {lead_id} not found"}})
        if not tag:
            return self._send(400, {"error": {"message": "tag is required"}})
        if tag not in lead["tags"]:
            lead["tags"].append(tag)
            lead["updated_at"] = self.server.crm.now()
        self._send(201, {"data": {"tags": lead["tags"]}})

    def _add_note(self, query: dict[str, str], lead_id: str) -> None:
        lead, text = self.server.crm.leads.get(lead_id), self._body().get("text")
        if lead is None:
            return self._send(404, {"error": {"message": f"lead {lead_id} not found"}})
        lead["notes"].append({"text": text, "at": self.server.crm.now()})
        self._send(201, {"data": {"notes": len(lead["notes"])}})

    # -- plumbing ---------------------------------------------------------------------------------

    def _body(self) -> dict[str, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return {}
        return body if isinstance(body, dict) else {}

    _held = False
    _pending: tuple[int, Any, dict[str, str] | None] | None = None

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._pending = (status, payload, headers)
        if not self._held:
            self._flush()

    def _flush(self) -> None:
        if self._pending is None:
            return
        (status, payload, headers), self._pending = self._pending, None
        try:
            self._write(status, payload, headers)
        except (BrokenPipeError, ConnectionResetError):  # the client timed out or was killed
            return

    def _write(self, status: int, payload: Any, headers: dict[str, str] | None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


def serve(
    port: int = 0,
    *,
    token: str = DEFAULT_TOKEN,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    host: str = "127.0.0.1",
) -> tuple[AcmeServer, threading.Thread, str]:
    """Start the CRM in a daemon thread; returns ``(server, thread, base_url)``.

    Stop it with ``server.shutdown()``; ``server.crm`` holds the data (users, leads, activities).
    """
    server = AcmeServer((host, port), token, AcmeData(clock))
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="acme-crm", daemon=True
    )
    thread.start()
    return server, thread, f"http://{host}:{server.server_address[1]}{PREFIX}"


def signed_webhook(
    lead: dict[str, Any], secret: str, *, event_id: str, timestamp: int | None = None
) -> tuple[dict[str, str], bytes]:
    """Headers and body of the ``lead.updated`` webhook Acme sends: HMAC-SHA256 over ``"<ts>.<body>"``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    body = json.dumps({"event": {"id": event_id, "type": "lead.updated", "data": lead}}).encode()
    digest = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Acme-Timestamp": ts,
        "X-Acme-Signature": f"sha256={digest}",
    }
    return headers, body


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the Acme demo CRM.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    args = parser.parse_args()
    server, thread, base_url = serve(args.port, token=args.token)
    print(f"Acme CRM at {base_url} (token {args.token}); Ctrl-C to stop")
    try:
        thread.join()
    except KeyboardInterrupt:
        server.shutdown()


if __name__ == "__main__":
    main()
