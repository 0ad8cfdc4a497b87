"""Run the real ``referee serve`` / ``referee worker`` processes against a temporary config.

The config has three adapters: ``demo`` (the file adapter on a copy of the demo CRM: no
webhooks), ``acme`` (the generic webhook adapter with an HMAC-signed inbound section; its
``base_url`` points at a closed port, so nothing ever leaves the machine) and ``zoho`` (fake
credentials; its notification channel token is put in the store the way ``referee zoho watch``
does). Helpers sign webhooks exactly as a correct sender would.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from adapters.webhook.config import SignatureConfig
from adapters.webhook.signature import sign

ROOT = Path(__file__).resolve().parents[2]
REFEREE = [sys.executable, "-m", "connector"]
API_KEY = "test-api-key-0123456789abcdef"
WEBHOOK_SECRET = "test-webhook-secret"
SIGNATURE = SignatureConfig(
    header="X-Acme-Signature", scheme="hmac-sha256", prefix="sha256=", timestamp_header="X-Acme-Timestamp"
)
ZOHO_CHANNEL = {
    "channel_id": "1000000001",
    "token": "zoho-channel-token-for-tests",
    "notify_url": "https://referee.example.com/webhooks/zoho",
    "events": ["Leads.all"],
    "expires_at": "2099-01-01T00:00:00+00:00",
}

CONFIG = """\
[referee]
state = "{state}"
apply = false
timezone = "Asia/Shanghai"

[adapters.demo]
kind = "file"
path = "demo-crm"

[adapters.acme]
kind = "webhook"
base_url = "http://127.0.0.1:9/api"

[adapters.acme.read.records]
path = "/leads"
items = "data"

[adapters.acme.read.records.fields]
id = "id"
module = "'Leads'"
owner_id = "owner.id"
company = "company.name"
website = "company.website"
first_name = "contact.first_name"
last_name = "contact.last_name"
emails = "[contact.email]"
phones = "[contact.phone]"
created_at = "created_at"
modified_at = "updated_at"

[adapters.acme.inbound]
secret = "${{ACME_WEBHOOK_SECRET}}"
signature = {{ header = "X-Acme-Signature", scheme = "hmac-sha256", prefix = "sha256=", \
timestamp_header = "X-Acme-Timestamp", tolerance = "5m" }}
event_id = "event.id"
record = "event.data"

[adapters.zoho]
kind = "zoho"
client_id = "fake-client-id"
client_secret = "fake-client-secret"
refresh_token = "fake-refresh-token"
modules = ["Leads"]
accounts_url = "http://127.0.0.1:9"
api_domain = "http://127.0.0.1:9"
timeout = 2

[[rules.pursuit]]
name = "same-customer"
active_within = "30d"
resolve = "first-touch"
action = "flag"

[server]
api_keys = ["${{REFEREE_API_KEY}}"]

[server.worker]
poll_interval = "0.1s"
max_attempts = 2
backoff = "1s"
lease = "{lease}"
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env() -> dict[str, str]:
    return {**os.environ, "ACME_WEBHOOK_SECRET": WEBHOOK_SECRET, "REFEREE_API_KEY": API_KEY, "COLUMNS": "200"}


def write_config(directory: Path, state: str, *, lease: str = "30s") -> Path:
    """A config plus a private copy of the demo CRM in ``directory``; ``state`` is the store URL."""
    shutil.copytree(ROOT / "examples" / "demo-crm", directory / "demo-crm", dirs_exist_ok=True)
    path = directory / "config.toml"
    path.write_text(CONFIG.format(state=state, lease=lease), encoding="utf-8")
    return path


def enable_zoho_channel(state_url: str) -> None:
    """Store the channel the way ``referee zoho watch`` does (kv ``zoho:<adapter>`` / ``watch``)."""
    from adapters.zoho.auth import kv_namespace
    from adapters.zoho.watch import CHANNEL_KEY
    from connector.store import Store

    store = Store.open(state_url)
    try:
        store.set_value(kv_namespace("zoho"), CHANNEL_KEY, json.dumps(ZOHO_CHANNEL))
    finally:
        store.close()


def lead_event(event_id: str, lead_id: str, **overrides: Any) -> bytes:
    lead = {
        "id": lead_id,
        "owner": {"id": "u-wang"},
        "company": {"name": "Acme Inc.", "website": "https://www.acme.com"},
        "contact": {
            "first_name": "John",
            "last_name": "Doe",
            "email": "john.doe@acme.com",
            "phone": "+1 415 555 0134",
        },
        "created_at": "2026-11-20T10:00:00+08:00",
        "updated_at": "2026-11-26T10:00:00+08:00",
        **overrides,
    }
    return json.dumps({"event": {"id": event_id, "type": "lead.updated", "data": lead}}).encode()


def signed_headers(body: bytes, *, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "Content-Type": "application/json",
        "X-Acme-Timestamp": timestamp,
        "X-Acme-Signature": sign(body, secret, SIGNATURE, timestamp),
    }


@dataclass
class ServerProcess:
    """One ``referee serve`` or ``referee worker`` subprocess; its stderr (JSON logs) goes to a file."""

    process: subprocess.Popen[bytes]
    log_path: Path
    base_url: str = ""
    config: Path | None = None
    state: str = ""

    @classmethod
    def serve(cls, config: Path, port: int, *extra: str) -> ServerProcess:
        log_path = config.parent / f"serve-{port}-{time.monotonic_ns()}.log"
        args = [*REFEREE, "serve", "-c", str(config), "--port", str(port), *extra]
        proc = cls._spawn(args, log_path, config.parent)
        server = cls(proc, log_path, f"http://127.0.0.1:{port}", config=config)
        server.wait_healthy()
        return server

    @classmethod
    def worker(cls, config: Path, name: str) -> ServerProcess:
        log_path = config.parent / f"worker-{name}.log"
        proc = cls._spawn([*REFEREE, "worker", "-c", str(config)], log_path, config.parent)
        return cls(proc, log_path, config=config)

    @staticmethod
    def _spawn(args: list[str], log_path: Path, cwd: Path) -> subprocess.Popen[bytes]:
        with log_path.open("wb") as log:
            return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=cwd, env=server_env())

    def wait_healthy(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"server exited with {self.process.returncode}:\n{self.log_text()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"server did not become healthy in {timeout}s:\n{self.log_text()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout=timeout)

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def log_lines(self) -> list[dict[str, Any]]:
        lines = []
        for line in self.log_text().splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
        return lines


def processed_ids(*processes: ServerProcess) -> list[str]:
    """Event ids of every "event processed" log line, in all the processes' logs."""
    return [
        line["event_id"]
        for proc in processes
        for line in proc.log_lines()
        if line.get("msg") == "event processed"
    ]


def wait_for(condition: Callable[[], bool], timeout: float = 30, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One real server on SQLite shared by the HTTP tests of a module."""
    directory = tmp_path_factory.mktemp("server")
    state = f"sqlite:///{directory / 'state.db'}"
    config = write_config(directory, state)
    from connector.store import Store

    Store.open(state).close()
    enable_zoho_channel(state)
    proc = ServerProcess.serve(config, free_port())
    proc.state = state
    yield proc
    proc.stop()
