"""Serving the fake org: inside ``responses`` (in-process) or as a real HTTP server on 127.0.0.1.

A subprocess (``referee sync`` run as a user would) needs the second: the server binds an
ephemeral port and answers API and accounts calls alike (``accounts_url`` = ``api_domain``).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from strict_zoho import Reply


class ServeMixin:
    """Expects ``handle(method, url, headers, body)`` and the two base URLs of the org.

    Fault injection for the served org (write-back fault tests): :meth:`slow` holds the answer
    to matching calls back *after* the org has carried them out (a CRM slower than the client's
    timeout), and ``on_answer`` is called with each handled call before its answer is sent (a
    test kills the ``referee`` process there, with the write done and its answer not yet out).
    """

    base_url: str
    accounts_url: str
    handle: Callable[[str, str, Mapping[str, str], bytes | None], Reply]
    on_answer: Callable[[str, str], None] | None = None

    def slow(self, method: str, path: str, seconds: float) -> None:
        """Answer every later ``method`` call on a path matching ``path`` after ``seconds``."""
        delays: list[tuple[str, re.Pattern[str], float]] = self.__dict__.setdefault("_delays", [])
        delays.append((method, re.compile(path), seconds))

    def _delay(self, method: str, url: str) -> float:
        path = url.split("?", 1)[0]
        return max(
            (s for m, p, s in self.__dict__.get("_delays", []) if m == method and p.search(path)), default=0.0
        )

    def install(self, rsps: Any) -> None:
        """Answer every Zoho request a ``responses.RequestsMock`` sees."""
        pattern = re.compile(rf"^({re.escape(self.base_url)}|{re.escape(self.accounts_url)})/")
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            rsps.add_callback(method, pattern, callback=self._callback, content_type=None)

    def _callback(self, request: Any) -> tuple[int, dict[str, str], bytes]:
        body = request.body.encode() if isinstance(request.body, str) else request.body
        reply = self.handle(request.method, request.url, dict(request.headers), body)
        return reply.status, dict(reply.headers), reply.body

    @contextmanager
    def serve(self) -> Iterator[str]:
        """A real HTTP server on 127.0.0.1 (ephemeral port) for API and accounts calls; yields its URL."""
        org = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                reply = org.handle(self.command, org.base_url + self.path, dict(self.headers), body)
                if org.on_answer is not None:
                    org.on_answer(self.command, self.path)
                delay = org._delay(self.command, self.path)
                if delay:
                    time.sleep(delay)
                try:
                    self.send_response(reply.status)
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):  # the client timed out or was killed
                    return

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

            def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
                return

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        url = f"http://127.0.0.1:{server.server_address[1]}"
        self.base_url = self.accounts_url = url
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield url
        finally:
            server.shutdown()
            server.server_close()
            thread.join()
