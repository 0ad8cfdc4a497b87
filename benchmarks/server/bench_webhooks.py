"""Sustained accepted webhooks per second through the real ``referee serve`` process.

    python benchmarks/server/bench_webhooks.py                       # SQLite in a temp dir
    python benchmarks/server/bench_webhooks.py --state postgresql+psycopg://postgres@127.0.0.1/test
    python benchmarks/server/bench_webhooks.py --requests 5000 --concurrency 32 --no-worker

Every request is a distinct, correctly signed generic-adapter webhook (HMAC-SHA256 with a
timestamp) that the server verifies and commits to the inbox before answering 202. The client
runs on the same machine (it competes for the same cores). With the worker on (the default) the
inbox is processed at the same time, as in production; ``--no-worker`` measures intake alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.server.conftest import (  # noqa: E402 - after the path tweak, as a script
    ServerProcess,
    free_port,
    lead_event,
    signed_headers,
    write_config,
)


def raw_request(host: str, body: bytes) -> bytes:
    """One keep-alive HTTP/1.1 request, built up front so the client costs little CPU."""
    head = "".join(f"{k}: {v}\r\n" for k, v in signed_headers(body).items())
    return (
        f"POST /webhooks/acme HTTP/1.1\r\nHost: {host}\r\n{head}Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def fire(base_url: str, bodies: list[bytes], concurrency: int) -> list[float]:
    """POST every body over ``concurrency`` keep-alive connections; return each latency in seconds.

    A minimal asyncio client (pre-built requests, no HTTP library) so that the benchmark measures
    the server rather than the client, which shares the machine's two cores.
    """
    host, port = base_url.removeprefix("http://").split(":")
    requests = [raw_request(f"{host}:{port}", body) for body in bodies]
    latencies: list[float] = []
    position = 0

    async def connection() -> None:
        nonlocal position
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while position < len(requests):
                request = requests[position]
                position += 1
                started = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                payload = await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                if not head.startswith(b"HTTP/1.1 202"):
                    raise SystemExit(f"unexpected answer: {head.splitlines()[0]!r} {payload[:200]!r}")
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return latencies


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its threads (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--state", help="state store URL (default: SQLite in a temp dir)")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--no-worker", action="store_true", help="measure intake without the inbox worker")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        state = args.state or f"sqlite:///{directory / 'state.db'}"
        config = write_config(directory, state)
        if args.no_worker:
            with config.open("a", encoding="utf-8") as fh:
                fh.write("enabled = false\n")  # appended to [server.worker], the last table
        run = os.urandom(4).hex()
        bodies = [lead_event(f"bench-{run}-{i}", f"B-{run}-{i}") for i in range(args.requests)]
        warmup = [lead_event(f"warm-{run}-{i}", f"W-{run}-{i}") for i in range(100)]
        server = ServerProcess.serve(config, free_port())
        try:
            asyncio.run(fire(server.base_url, warmup, 4))
            server_cpu = cpu_seconds(server.process.pid)
            client_cpu = time.process_time()
            started = time.perf_counter()
            latencies = asyncio.run(fire(server.base_url, bodies, args.concurrency))
            elapsed = time.perf_counter() - started
            client_cpu = time.process_time() - client_cpu
            server_cpu = cpu_seconds(server.process.pid) - server_cpu
        finally:
            server.stop()
    latencies.sort()
    result = {
        "store": "postgresql" if state.startswith("postgresql") else "sqlite",
        "worker": not args.no_worker,
        "requests": args.requests,
        "concurrency": args.concurrency,
        "seconds": round(elapsed, 2),
        "accepted_per_second": round(args.requests / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "server_cpu_ms_per_request": round(server_cpu / args.requests * 1000, 2),
        "client_cpu_ms_per_request": round(client_cpu / args.requests * 1000, 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
