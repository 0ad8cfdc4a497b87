"""A client that goes away mid-request is logged at info level (a fact, not an error)."""

from __future__ import annotations

import asyncio
import logging

import pytest
from starlette.types import Message, Receive, Scope, Send

from connector.server.limits import BodyLimit


def test_a_disconnect_is_logged_at_info(caplog: pytest.LogCaptureFixture) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    messages: list[Message] = [{"type": "http.request", "body": b"{", "more_body": True}, {"type": "http.disconnect"}]

    async def receive() -> Message:
        return messages.pop(0)

    async def send(message: Message) -> None:  # pragma: no cover - the app never answers
        raise AssertionError(message)

    scope: Scope = {"type": "http", "path": "/v1/check", "headers": []}
    with caplog.at_level(logging.INFO):
        asyncio.run(BodyLimit(app, limit=1024)(scope, receive, send))
    [record] = [r for r in caplog.records if r.getMessage() == "client disconnected"]
    assert record.levelno == logging.INFO and record.path == "/v1/check"
    assert record.received_bytes == 1
