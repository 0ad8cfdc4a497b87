"""The small HTTP server every fake CRM in ``examples/fakes`` runs on (standard library only).

A fake is a :class:`FakeCrm`: a table of routes, an ``authorize`` check and in-memory data. It
records every request (method, path, query) and the most requests that were in flight at
once, so tests can check what the adapter really sent and how concurrently it sent it.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError:
            return None

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()}

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[..., Reply]


class FakeCrm:
    """Routes, authorisation and a request log; subclasses add data and handlers."""

    prefix = ""
    latency = 0.0
    """Seconds every answer waits, like a round trip to a real CRM (benchmarks set it)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        self.routes.append((method, re.compile(pattern), handler))

    def authorize(self, request: Request) -> Reply | None:
        """``None`` when the request may proceed, else the CRM's refusal."""
        return None

    def handle(self, request: Request) -> Reply:
        with self.lock:
            self.requests.append((request.method, request.path, request.query))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.latency:
                time.sleep(self.latency)
            refused = self.authorize(request)
            if refused is not None:
                return refused
            path = request.path.removeprefix(self.prefix)
            for method, pattern, handler in self.routes:
                match = pattern.fullmatch(path)
                if match and method == request.method:
                    return handler(request, *match.groups())
            return self.not_found(request)
        finally:
            with self.lock:
                self.in_flight -= 1

    def not_found(self, request: Request) -> Reply:
        return Reply(404, {"error": f"no route {request.method} {request.path}"})

    def calls(self, method: str, path_pattern: str) -> int:
        """How many requests matched ``method`` and the regular expression ``path_pattern``."""
        pattern = re.compile(path_pattern)
        return sum(1 for m, p, _ in self.requests if m == method and pattern.fullmatch(p))


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        request = Request(
            method=method,
            path=url.path,
            query=parse_qs(url.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=self.rfile.read(length) if length else b"",
        )
        reply = self.server.crm.handle(request)
        data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
        if reply.body is None:
            data = b""
        self.send_response(reply.status)
        if data:
            self.send_header("Content-Type", "application/json;charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], crm: FakeCrm) -> None:
        super().__init__(address, _Handler)
        self.crm = crm


@dataclass
class Running:
    """A fake CRM serving on 127.0.0.1; ``stop()`` shuts it down."""

    crm: FakeCrm
    server: _Server
    thread: threading.Thread
    url: str

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve(crm: FakeCrm, port: int = 0, host: str = "127.0.0.1") -> Running:
    """Start ``crm`` in a daemon thread on ``port`` (0: any free port)."""
    server = _Server((host, port), crm)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return Running(crm, server, thread, f"http://{host}:{server.server_address[1]}")


def run_forever(crm: FakeCrm, port: int, note: str) -> None:
    """``python -m examples.fakes.<crm> --port N``: serve until Ctrl-C."""
    running = serve(crm, port)
    print(f"{type(crm).__name__} at {running.url}{crm.prefix} ({note}); Ctrl-C to stop")
    try:
        running.thread.join()
    except KeyboardInterrupt:
        running.stop()
