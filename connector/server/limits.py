"""Bounds applied before the app reads anything: request head size and count, and body size.

Two layers, because they guard different bytes:

* :class:`BoundedHttpToolsProtocol` is uvicorn's httptools protocol with a cap on the request head
  (request line + headers, in bytes) and on the number of headers. httptools itself has no cap:
  without one a single 64 MiB header or 200,000 small ones are parsed and held in memory. Over a
  cap the connection gets ``431`` and is closed, before the app sees the request.
* :class:`BodyLimit` is ASGI middleware for every route: a ``Content-Length`` over the limit is
  refused with ``413`` before any byte of the body is read, and a body without one (chunked) is
  counted as it streams and refused the moment it passes the limit. The 413 is an
  ``HTTPException``, so FastAPI answers it as JSON ``{"detail": ...}`` like every other error.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from connector.server.logs import get_logger

MAX_HEAD_BYTES = 64 * 1024
"""Request line plus headers; nginx's default is 4 × 8 KiB, Node's 16 KiB."""
MAX_HEADERS = 100
"""Apache's ``LimitRequestFields`` default; CRM webhooks send about 10–20."""


class _HeadTooLarge(Exception):
    pass


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol that refuses an oversized request head with 431."""

    def __init__(
        self, *args: Any, max_head_bytes: int = MAX_HEAD_BYTES, max_headers: int = MAX_HEADERS, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.max_head_bytes = max_head_bytes
        self.max_headers = max_headers
        self._head_bytes = 0
        self._header_count = 0
        self._in_head = True
        self._refusal: str | None = None

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        # Still in the head after the whole chunk: every byte counted so far was head, none body.
        if self._in_head and self._head_bytes > self.max_head_bytes and not self.transport.is_closing():
            self._refuse(f"the request head is larger than {self.max_head_bytes} bytes")

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._header_count = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self.max_headers:
            self._refusal = f"more than {self.max_headers} headers"
            raise _HeadTooLarge  # httptools turns it into a parse error: see send_400_response
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_bytes = 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_head = True
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        """A parse error we caused on purpose (see ``on_header``) is answered as what it is."""
        if self._refusal is not None:
            self._refuse(self._refusal)
            return
        super().send_400_response(msg)

    def _refuse(self, detail: str) -> None:
        self.logger.info("request refused: %s", detail)
        body = json.dumps({"detail": detail}).encode()
        self.transport.write(
            b"".join(
                [
                    STATUS_LINE[431],
                    b"content-type: application/json\r\n",
                    b"content-length: %d\r\n" % len(body),
                    b"connection: close\r\n\r\n",
                    body,
                ]
            )
        )
        self.transport.close()
        self._in_head = False


def bounded_protocol(max_head_bytes: int, max_headers: int) -> type[asyncio.Protocol]:
    """The ``http=`` protocol for ``uvicorn.run`` (a partial, so it pickles for ``--workers``)."""
    return functools.partial(  # type: ignore[return-value]
        BoundedHttpToolsProtocol, max_head_bytes=max_head_bytes, max_headers=max_headers
    )


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is larger than {limit} bytes ([server] max_body)")


_log = get_logger("limits")


class BodyLimit:
    """ASGI middleware: no route reads more than ``limit`` body bytes.

    ``on_refused(scope)`` is called for each refusal (the server counts webhook refusals per adapter).
    """

    def __init__(self, app: ASGIApp, limit: int, on_refused: Callable[[Scope], None] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.on_refused = on_refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and (not declared.isdigit() or len(declared) > 18):
            await JSONResponse({"detail": "Content-Length is not a number"}, status_code=400)(scope, receive, send)
            return
        if declared is not None and int(declared) > self.limit:
            self._refused(scope)
            await JSONResponse({"detail": BodyTooLarge(self.limit).detail}, status_code=413)(scope, receive, send)
            return
        seen = 0

        async def bounded_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.disconnect":  # the client gave up (timeout, closed tab): not an error
                _log.info("client disconnected", extra={"path": scope.get("path", ""), "received_bytes": seen})
            elif message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    self._refused(scope)
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, bounded_receive, send)

    def _refused(self, scope: Scope) -> None:
        if self.on_refused is not None:
            self.on_refused(scope)


def _content_length(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return str(value.decode("latin-1").strip())
    return None
