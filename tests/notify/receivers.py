"""Local receivers the notification tests send to: an HTTP endpoint and an SMTP server, both on
127.0.0.1 with an ephemeral port.

``HttpReceiver`` answers like apprise's ``json://`` target expects a webhook to (any 2xx is a
success; apprise treats other statuses as failures and logs them). ``SmtpReceiver`` is aiosmtpd's
SMTP protocol on a server socket bound to port 0 (aiosmtpd's ``Controller`` cannot start on
port 0: its readiness probe connects to the port it was given).
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session


class HttpReceiver:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []  # answered in order; 200 once exhausted
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append({"path": self.path, "json": json.loads(body or b"{}")})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                payload = b'{"ok": true}' if status < 300 else b'{"error": "boom"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "/hook") -> str:
        return f"json://127.0.0.1:{self.port}{path}"

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [r["json"] for r in self.requests]


class _Mailbox:
    def __init__(self) -> None:
        self.mails: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.mails.append(envelope)
        return "250 Message accepted"


class SmtpReceiver:
    def __init__(self) -> None:
        self.mailbox = _Mailbox()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.port = 0

    def start(self) -> None:
        self.thread.start()
        future = asyncio.run_coroutine_threadsafe(
            self.loop.create_server(lambda: SMTP(self.mailbox, hostname="localhost"), "127.0.0.1", 0), self.loop
        )
        self.server = future.result(timeout=10)
        self.port = self.server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)

    def url(self, to: str = "boss@example.com") -> str:
        return f"mailto://127.0.0.1:{self.port}?smtp=127.0.0.1&mode=insecure&from=referee@example.com&to={to}"

    @property
    def mails(self) -> list[Envelope]:
        return self.mailbox.mails


@contextmanager
def http_receiver() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver()
    receiver.thread.start()
    try:
        yield receiver
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()


@contextmanager
def smtp_receiver() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver()
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()
