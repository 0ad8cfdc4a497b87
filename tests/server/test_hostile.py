"""Hostile requests against the real ``referee serve`` process: each gets a 4xx, never a 500,
the server's memory stays bounded, and one poisoned event never fails the good ones around it."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from connector.inbox import EventStatus, Inbox
from connector.store import Store
from tests.server.conftest import (
    API_KEY,
    ServerProcess,
    free_port,
    lead_event,
    signed_headers,
    wait_for,
    write_config,
)

pytestmark = pytest.mark.e2e
MIB = 1024 * 1024


def peak_rss_mb(server: ServerProcess) -> int:
    for line in Path(f"/proc/{server.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    raise AssertionError("no VmHWM")


def raw(server: ServerProcess, head: bytes, body_mib: int = 0, chunked: bool = False) -> bytes:
    """Send a request over a raw socket as fast as the server reads; return the first bytes answered."""
    port = int(server.base_url.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    answer: list[bytes] = []

    def read() -> None:  # until the server closes (every refusal closes the connection)
        try:
            while chunk := sock.recv(65536):
                answer.append(chunk)
        except OSError:
            pass

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    piece = b"x" * MIB
    try:
        sock.sendall(head)
        for _ in range(body_mib):
            if not reader.is_alive():
                break
            sock.sendall((b"100000\r\n" + piece + b"\r\n") if chunked else piece)
    except OSError:
        pass  # closed on us after the answer
    if not head.startswith(b"GET"):
        sock.shutdown(socket.SHUT_WR)
    reader.join(timeout=30)
    sock.close()
    return b"".join(answer)


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def test_unauthenticated_256_mib_check_is_refused_before_it_is_read(server: ServerProcess) -> None:
    before = peak_rss_mb(server)
    declared = raw(
        server,
        b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % (256 * MIB),
        body_mib=256,
    )
    chunked = raw(
        server,
        b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n",
        body_mib=256,
        chunked=True,
    )

    assert status_of(declared) == 413
    assert b"max_body" in declared
    assert status_of(chunked) == 401  # the key is checked before one body byte is read
    assert peak_rss_mb(server) - before < 40


def test_authenticated_chunked_body_over_the_limit_is_413_while_streaming(server: ServerProcess) -> None:
    before = peak_rss_mb(server)
    answer = raw(
        server,
        b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer " + API_KEY.encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n",
        body_mib=64,
        chunked=True,
    )

    assert status_of(answer) == 413
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["detail"].startswith("the body is larger")
    assert peak_rss_mb(server) - before < 40


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param(b"X-Big: " + b"a" * (8 * MIB) + b"\r\n", id="one-8-mib-header"),
        pytest.param(b"".join(b"X-H%d: v\r\n" % i for i in range(10_000)), id="10k-headers"),
        pytest.param(b"".join(b"X-H%d: v\r\n" % i for i in range(101)), id="101-headers"),
    ],
)
def test_oversized_request_heads_are_431(server: ServerProcess, headers: bytes) -> None:
    before = peak_rss_mb(server)

    answer = raw(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")

    assert status_of(answer) == 431
    assert peak_rss_mb(server) - before < 40
    assert httpx.get(f"{server.base_url}/healthz", timeout=5).status_code == 200


def test_ordinary_requests_with_a_few_headers_still_pass(server: ServerProcess) -> None:
    headers = {f"X-Extra-{i}": "v" * 100 for i in range(40)}

    assert httpx.get(f"{server.base_url}/healthz", headers=headers, timeout=5).status_code == 200


@pytest.mark.parametrize(
    "timestamp",
    ["99999999999999999999", "-99999999999999999999", "1e400", "nan", "0x10"],
)
def test_absurd_webhook_timestamps_are_401_not_500(server: ServerProcess, timestamp: str) -> None:
    body = lead_event("evt-ts", "TS-1")
    headers = {**signed_headers(body), "X-Acme-Timestamp": timestamp}

    response = httpx.post(f"{server.base_url}/webhooks/acme", content=body, headers=headers, timeout=10)

    assert response.status_code in (400, 401)
    assert "timestamp" in response.json()["detail"]


@pytest.mark.parametrize("depth", [10_000, 100_000])
def test_deeply_nested_signed_body_is_400(server: ServerProcess, depth: int) -> None:
    body = b'{"event": {"id": "evt-deep-%d", "data": ' % depth + b'{"a": ' * depth + b"1" + b"}" * depth + b"}}"

    response = httpx.post(
        f"{server.base_url}/webhooks/acme", content=body, headers=signed_headers(body), timeout=10
    )

    assert response.status_code == 400
    assert "deep" in response.json()["detail"]


@pytest.mark.parametrize(
    "body",
    [b"[" * 100_000 + b"]" * 100_000, b'{"ids": ["\xff\xfe"], "channel_id": "1"}', b"\x00" * 1000],
    ids=["deep", "not-utf8", "nul-bytes"],
)
def test_malformed_zoho_notifications_are_400(server: ServerProcess, body: bytes) -> None:
    response = httpx.post(f"{server.base_url}/webhooks/zoho", content=body, timeout=10)

    assert response.status_code == 400
    assert "Zoho watch notification" in response.json()["detail"]


def test_deeply_nested_check_body_is_4xx(server: ServerProcess) -> None:
    body = b'{"company": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"

    response = httpx.post(
        f"{server.base_url}/v1/check",
        content=body,
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
        timeout=10,
    )

    assert 400 <= response.status_code < 500


@pytest.mark.parametrize(
    ("name", "company"),
    [
        pytest.param("surrogate", "\\ud800 Acme", id="lone-surrogate"),
        pytest.param("nul", "Acme\\u0000 Inc", id="nul-byte"),
    ],
)
def test_one_poisoned_event_among_concurrent_good_ones_fails_alone(
    server: ServerProcess, name: str, company: str
) -> None:
    good = [lead_event(f"evt-{name}-good-{i}", f"P-{name}-{i}") for i in range(200)]
    poisoned = lead_event(f"evt-{name}-bad", f"P-{name}-bad").replace(b"Acme Inc.", company.encode())
    bodies = [*good[:100], poisoned, *good[100:]]

    async def fire() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30, limits=limits) as client:
            return await asyncio.gather(
                *(client.post("/webhooks/acme", content=b, headers=signed_headers(b)) for b in bodies)
            )

    responses = asyncio.run(fire())

    statuses = [r.status_code for r in responses]
    assert statuses[:100] + statuses[101:] == [202] * 200
    assert statuses[100] == 400
    assert "Traceback" not in responses[100].text
    store = Store(server.state)
    try:
        stored = {e.event_id for e in Inbox(store).list(limit=5000)}
    finally:
        store.close()
    assert {f"evt-{name}-good-{i}" for i in range(200)} <= stored
    assert f"evt-{name}-bad" not in stored
    assert httpx.get(f"{server.base_url}/healthz", timeout=5).status_code == 200


@pytest.fixture
def idle_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A server of its own: the shared one's worker is busy with the 400 events the tests above sent."""
    state = f"sqlite:///{tmp_path / 'state.db'}"
    proc = ServerProcess.serve(write_config(tmp_path, state), free_port())
    proc.state = state
    yield proc
    proc.stop()


def test_an_older_redelivered_copy_never_overwrites_the_newer_record(idle_server: ServerProcess) -> None:
    server = idle_server

    newer = lead_event("evt-stale-new", "STALE-1", owner={"id": "u-new"}, updated_at="2026-11-26T10:00:00+08:00")
    older = lead_event("evt-stale-old", "STALE-1", owner={"id": "u-old"}, updated_at="2026-11-20T10:00:00+08:00")

    def done(event_id: str) -> bool:
        store = Store(server.state)
        try:
            return any(
                e.event_id == event_id and e.status == EventStatus.DONE for e in Inbox(store).list(limit=5000)
            )
        finally:
            store.close()

    for body, event_id in ((newer, "evt-stale-new"), (older, "evt-stale-old")):
        response = httpx.post(f"{server.base_url}/webhooks/acme", content=body, headers=signed_headers(body))
        assert response.status_code == 202
        wait_for(lambda event_id=event_id: done(event_id), what=event_id)

    store = Store(server.state)
    try:
        [record] = [r for r in store.load_records("acme") if r.id == "STALE-1"]
    finally:
        store.close()
    assert record.owner_id == "u-new"
