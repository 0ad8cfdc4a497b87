"""Per-record reads: wall time, CPU and peak memory of a full pull from a CRM that lists
activities only per record, at several ``concurrency`` settings.

The fake EspoCRM (``python -m examples.fakes.espo --leads N --latency S``) runs in its own process
and serves N leads, each with two calls, one meeting and one note, with a fixed delay per answer
standing in for the network round trip. The adapter is built from
``examples/espo-crm/config.toml`` exactly as ``referee`` loads it (only the address, the record
page size and the per-record concurrency are changed) and pulls everything once, without a store.
CPU time and peak RSS are this (client) process only.

Run: python benchmarks/webhook/bench_fanout.py [--leads 2000] [--latency 0.02] [--concurrency 1 4 8]
"""

from __future__ import annotations

import argparse
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from adapters.webhook.adapter import WebhookAdapter  # noqa: E402
from adapters.webhook.config import WebhookAdapterConfig  # noqa: E402
from connector.config import load_config  # noqa: E402
from examples.fakes.espo import DEFAULT_KEY  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_fake(leads: int, latency: float) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    args = [sys.executable, "-m", "examples.fakes.espo", "--port", str(port), "--leads", str(leads), "--latency", str(latency)]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api/v1"
    for _ in range(200):
        try:
            httpx.get(f"{url}/User", headers={"X-Api-Key": DEFAULT_KEY}, timeout=1)
            return proc, url
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit("the fake did not start")


def run(url: str, concurrency: int) -> dict[str, object]:
    env = {"ESPO_API_KEY": DEFAULT_KEY, "ESPO_WEBHOOK_SECRET": "s"}
    section = load_config(ROOT / "examples/espo-crm/config.toml", environ=env).adapters["espo"]
    assert isinstance(section, WebhookAdapterConfig)
    records = tuple(e.model_copy(update={"pagination": e.pagination.model_copy(update={"limit": 200})}) for e in section.read.records)
    activities = tuple(e.model_copy(update={"concurrency": concurrency}) for e in section.read.activities)
    read = section.read.model_copy(update={"records": records, "activities": activities})
    adapter = WebhookAdapter("espo", section.model_copy(update={"base_url": url, "read": read}), store=None, default_tz="UTC")
    wall, cpu = time.perf_counter(), time.process_time()
    found = sum(len(b.activities) for b in adapter.pull({}))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    calls = sum(adapter.api_calls().values())
    return {"concurrency": concurrency, "activities": found, "calls": calls, "wall_s": round(wall, 1),
            "cpu_s": round(cpu, 1), "cpu_ms_per_call": round(cpu * 1000 / calls, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.02)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 8])
    args = parser.parse_args()
    proc, url = start_fake(args.leads, args.latency)
    try:
        print(f"{args.leads} leads, {args.latency * 1000:.0f} ms per answer")
        for concurrency in args.concurrency:
            print(run(url, concurrency))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"client peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
