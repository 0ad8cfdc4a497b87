"""Peak server RSS and the answers under hostile requests to the real ``referee serve`` process.

    python benchmarks/server/hostile.py                 # every attack, SQLite in a temp dir
    python benchmarks/server/hostile.py --only body     # one attack (body, body-chunked,
                                                        # body-chunked-with-key, parallel-bodies, header,
                                                        # headers-10k, headers-200k)

Each attack runs against a fresh server (so peaks do not add up) and is sent by a raw-socket
client that writes as fast as the server reads and stops when the server answers or closes. The
server's peak RSS is ``VmHWM`` from ``/proc/<pid>/status`` (uvicorn with one worker serves in the
process the CLI started). Target: under 200 MB for every attack.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.server.conftest import API_KEY, ServerProcess, free_port, write_config  # noqa: E402 - as a script

MIB = 1024 * 1024


def memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of ``pid`` in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            out[key] = int(value.split()[0]) // 1024
    return out


def send(port: int, head: bytes, body: Iterator[bytes] = iter(())) -> str:
    """Write ``head`` then ``body`` pieces; return the status line (or how the connection ended)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    answer: list[bytes] = []

    def read() -> None:
        try:
            answer.append(sock.recv(65536))
        except OSError:
            answer.append(b"")

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        for start in range(0, len(head), MIB):
            sock.sendall(head[start : start + MIB])
        for piece in body:
            if not reader.is_alive():
                break
            sock.sendall(piece)
    except OSError:
        pass  # the server closed the connection on us: that is one right answer
    reader.join(timeout=60)
    sock.close()
    first = answer[0].split(b"\r\n", 1)[0].decode("latin-1") if answer and answer[0] else ""
    return first or "connection closed"


def body_pieces(total: int, chunked: bool) -> Iterator[bytes]:
    piece = b"x" * MIB
    for _ in range(total // MIB):
        yield (b"%x\r\n" % len(piece) + piece + b"\r\n") if chunked else piece
    if chunked:
        yield b"0\r\n\r\n"


def big_body(port: int, chunked: bool = False, size: int = 256 * MIB, key: bool = False) -> str:
    framing = b"Transfer-Encoding: chunked\r\n" if chunked else b"Content-Length: %d\r\n" % size
    if key:
        framing += b"Authorization: Bearer " + API_KEY.encode() + b"\r\n"
    head = b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + framing + b"\r\n"
    return send(port, head, body_pieces(size, chunked))


def big_header(port: int) -> str:
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (64 * MIB) + b"\r\n\r\n"
    return send(port, head)


def many_headers(port: int, count: int) -> str:
    lines = b"".join(b"X-H%d: v\r\n" % i for i in range(count))
    return send(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + lines + b"\r\n")


def parallel_bodies(port: int) -> str:
    answers: list[str] = []
    threads = [threading.Thread(target=lambda: answers.append(big_body(port, size=128 * MIB))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return ", ".join(sorted(answers))


ATTACKS: dict[str, Callable[[int], str]] = {
    "body": lambda port: big_body(port),
    "body-chunked": lambda port: big_body(port, chunked=True),
    "body-chunked-with-key": lambda port: big_body(port, chunked=True, key=True),
    "parallel-bodies": parallel_bodies,
    "header": big_header,
    "headers-10k": lambda port: many_headers(port, 10_000),
    "headers-200k": lambda port: many_headers(port, 200_000),
}
DESCRIPTIONS = {
    "body": "unauthenticated 256 MiB body to /v1/check (Content-Length)",
    "body-chunked": "unauthenticated 256 MiB body to /v1/check (chunked, no Content-Length)",
    "body-chunked-with-key": "256 MiB chunked body to /v1/check with a valid API key",
    "parallel-bodies": "4 unauthenticated 128 MiB bodies to /v1/check at once",
    "header": "one 64 MiB header",
    "headers-10k": "10,000 headers",
    "headers-200k": "200,000 headers",
}


def run(name: str, directory: Path) -> dict[str, object]:
    state = f"sqlite:///{directory / f'{name}.db'}"
    config = write_config(directory, state)
    port = free_port()
    server = ServerProcess.serve(config, port)
    try:
        before = memory(server.process.pid)
        started = time.perf_counter()
        answer = ATTACKS[name](port)
        elapsed = time.perf_counter() - started
        time.sleep(0.5)
        after = memory(server.process.pid)
        alive = server.process.poll() is None
    finally:
        server.stop()
    return {
        "attack": DESCRIPTIONS[name],
        "answer": answer,
        "seconds": round(elapsed, 2),
        "rss_before_mb": before["VmRSS"],
        "peak_rss_mb": after["VmHWM"],
        "server_alive": alive,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=sorted(ATTACKS), action="append")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only or list(ATTACKS):
            print(json.dumps(run(name, Path(tmp))), flush=True)


if __name__ == "__main__":
    main()
