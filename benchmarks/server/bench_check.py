"""``POST /v1/check`` latency over HTTP against a large store (target: p99 <= 20 ms at 1M records).

    python benchmarks/server/bench_check.py --records 1000000 --store /tmp/check-1m.db   # builds once
    python benchmarks/server/bench_check.py --records 1000000 --store /tmp/check-1m.db   # reuses it

The store is filled with the identity benchmark's seeded world (``benchmarks/identity/world.py``:
realistic Chinese and English companies, variants, shared phones and free-mail addresses), in
chunks, with identity keys written by ``connector.identity_index.refresh_keys``. Queries are real
records of that world (so most of them match a customer), sent one at a time by a minimal
keep-alive client to the real ``referee serve`` process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.identity.world import generate  # noqa: E402 - after the path tweak, as a script
from connector.config import load_config  # noqa: E402
from connector.identity_index import refresh_keys  # noqa: E402
from connector.store import Store  # noqa: E402
from tests.server.conftest import API_KEY, ServerProcess, free_port, server_env, write_config  # noqa: E402

CHUNK = 50_000
FIELDS = ("company", "first_name", "last_name", "emails", "phones", "website", "tax_id", "country", "city")


def build(store: Store, records: int, identity: object) -> list[dict[str, object]]:
    """Fill ``store`` chunk by chunk; return a sample of candidates to query with."""
    rng = random.Random(11)
    samples: list[dict[str, object]] = []
    now = datetime.now(UTC)
    done = 0
    chunk_no = 0
    while done < records:
        size = min(CHUNK, records - done)
        world = generate(size, seed=1000 + chunk_no)
        batch = [r.model_copy(update={"id": f"c{chunk_no}-{r.id}"}) for r in world.records]
        store.upsert_records(batch, seen_at=now)
        store.upsert_activities(world.activities)  # ids collide across chunks: only the last stays
        refresh_keys(store, batch, identity)
        samples.extend(candidate(r) for r in rng.sample(batch, min(200, len(batch))))
        done += size
        chunk_no += 1
        print(f"  stored {done:,} records", file=sys.stderr, flush=True)
    return samples


def candidate(record: object) -> dict[str, object]:
    data = record.model_dump(mode="json", include=set(FIELDS))  # type: ignore[attr-defined]
    return {k: v for k, v in data.items() if v not in (None, [], ())}


async def query(base_url: str, bodies: list[bytes]) -> list[float]:
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    latencies: list[float] = []
    try:
        for body in bodies:
            request = (
                f"POST /v1/check HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {API_KEY}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body
            started = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":", 1)[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length")
            )
            payload = await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            if not head.startswith(b"HTTP/1.1 200"):
                raise SystemExit(f"unexpected answer: {head.splitlines()[0]!r} {payload[:300]!r}")
    finally:
        writer.close()
    return latencies


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU time of the server process so far (Linux ``/proc``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--store", type=Path, required=True, help="SQLite file (built when missing)")
    parser.add_argument("--queries", type=int, default=2000)
    args = parser.parse_args()

    url = f"sqlite:///{args.store.resolve()}"
    samples_path = args.store.with_suffix(".samples.json")
    with tempfile.TemporaryDirectory() as tmp:
        config_path = write_config(Path(tmp), url)
        config = load_config(config_path, environ=server_env())
        store = Store.open(url)
        try:
            if not samples_path.exists():
                started = time.perf_counter()
                samples = build(store, args.records, config.identity)
                samples_path.write_text(json.dumps(samples, ensure_ascii=False), encoding="utf-8")
                print(f"built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            samples = json.loads(samples_path.read_text(encoding="utf-8"))
            stored = store.count_records()
        finally:
            store.close()
        rng = random.Random(5)
        bodies = [json.dumps(rng.choice(samples), ensure_ascii=False).encode() for _ in range(args.queries)]
        server = ServerProcess.serve(config_path, free_port())
        try:
            asyncio.run(query(server.base_url, bodies[:100]))  # warm-up: caches, connections
            cpu_before = server_cpu_seconds(server.process.pid)
            latencies = sorted(asyncio.run(query(server.base_url, bodies)))
            server_cpu = server_cpu_seconds(server.process.pid) - cpu_before
        finally:
            server.stop()
    print(
        json.dumps(
            {
                "records": stored,
                "queries": len(latencies),
                "p50_ms": round(statistics.median(latencies) * 1000, 2),
                "p90_ms": round(latencies[int(len(latencies) * 0.90) - 1] * 1000, 2),
                "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
                "max_ms": round(latencies[-1] * 1000, 2),
                "server_cpu_ms_per_query": round(server_cpu * 1000 / len(latencies), 2),
                "load_average_1m": round(os.getloadavg()[0], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
