"""Write-back under faults against the example REST CRM (``examples/acme-crm``), real CLI in a subprocess.

The CRM carries a write out and then answers late (slower than the client's timeout), or the
``referee`` process is killed with SIGKILL right after a write was carried out and before its
answer arrived. After one more ``sync --apply`` the CRM must look exactly as after a clean run:
same owners, same tags, the same notes once each, and every action journaled once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connector.store import Store
from tests.adapters.webhook.webhook_builders import load_fake_crm
from tests.cli.conftest import DEMO_NOW, REFEREE, ROOT, run_referee

pytestmark = pytest.mark.e2e
CLOCK = datetime(2026, 11, 27, 2, 5, tzinfo=UTC)


class Acme:
    def __init__(self, tmp_path: Path, name: str, timeout: str = "20s") -> None:
        crm = load_fake_crm()
        self.server, self.thread, base_url = crm.serve(0, clock=lambda: CLOCK)
        text = (ROOT / "examples/acme-crm/config.toml").read_text(encoding="utf-8")
        text = text.replace("http://127.0.0.1:8765/api/v2", base_url).replace('timeout = "20s"', f'timeout = "{timeout}"')
        text = text.replace('state = "sqlite:///acme-referee.db"', f'state = "sqlite:///{tmp_path / name}.db"')
        self.db = tmp_path / f"{name}.db"
        self.config = tmp_path / f"{name}.toml"
        self.config.write_text(text, encoding="utf-8")
        self.env = {"ACME_TOKEN": crm.DEFAULT_TOKEN, "ACME_WEBHOOK_SECRET": "demo-webhook-secret"}

    @property
    def crm(self) -> Any:
        return self.server.crm

    def sync(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return run_referee("sync", "-c", str(self.config), "--apply", "--now", DEMO_NOW, *extra, env=self.env)

    def start(self) -> subprocess.Popen[str]:
        args = [*REFEREE, "sync", "-c", str(self.config), "--apply", "--now", DEMO_NOW]
        return subprocess.Popen(
            args, cwd=ROOT, env={**os.environ, **self.env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def state(self) -> dict[str, Any]:
        """What a person sees in the CRM: owner, tags and note texts of every lead."""
        return {
            lead_id: (lead["owner"]["id"], sorted(lead["tags"]), sorted(n["text"] for n in lead["notes"]))
            for lead_id, lead in self.crm.leads.items()
        }

    def journal(self) -> Counter[str]:
        store = Store.open(f"sqlite:///{self.db}")
        try:
            return Counter(e.status.value for e in store.list_journal(limit=10_000))
        finally:
            store.close()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def clean(tmp_path: Path) -> Iterator[tuple[dict[str, Any], Counter[str]]]:
    """The CRM and journal after one undisturbed run: what every faulty run must end up as."""
    acme = Acme(tmp_path, "clean")
    try:
        result = acme.sync()
        assert result.returncode == 0, result.stderr
        yield acme.state(), acme.journal()
    finally:
        acme.close()


@pytest.fixture
def acme(tmp_path: Path) -> Iterator[Acme]:
    crm = Acme(tmp_path, "faulty", timeout="1s")
    try:
        yield crm
    finally:
        crm.close()


def test_rest_writes_slower_than_the_timeout_are_sent_once_and_settled_next_run(acme: Acme, clean) -> None:
    acme.crm.write_delay = 1.6
    first = acme.sync("--format", "json")
    assert first.returncode == 4, first.stderr
    statuses = Counter(a["status"] for a in json.loads(first.stdout)["actions"])
    assert statuses["failed"] == 0 and statuses["unknown"] >= 3, statuses
    acme.crm.write_delay = 0.0
    second = acme.sync("--format", "json")
    assert second.returncode == 0, second.stderr
    assert sum(s["applied"] for s in json.loads(second.stdout)["settled"]) == statuses["unknown"]
    assert (acme.state(), acme.journal()) == clean


@pytest.mark.parametrize("nth", [1, 4])
def test_rest_kill_9_mid_apply_then_one_sync_ends_like_a_clean_run(acme: Acme, clean, nth: int) -> None:
    box: list[subprocess.Popen[str]] = []
    seen = [0]

    def kill(method: str, path: str) -> None:
        seen[0] += 1
        if seen[0] == nth:
            os.kill(box[0].pid, signal.SIGKILL)

    acme.crm.on_write = kill
    acme.crm.write_delay = 0.2
    box.append(acme.start())
    box[0].communicate(timeout=120)
    assert box[0].returncode == -signal.SIGKILL
    acme.crm.on_write, acme.crm.write_delay = None, 0.0
    assert acme.journal()["applying"] == 1
    dry = run_referee("sync", "-c", str(acme.config), "--now", DEMO_NOW, "--break-lock", "--format", "json", env=acme.env)
    [unsettled] = json.loads(dry.stdout)["unsettled"]
    assert unsettled["actions"] == 1 and unsettled["resolve"].startswith("referee journal --resolve --run ")
    again = acme.sync("--format", "json")
    assert again.returncode == 0, again.stderr
    assert (acme.state(), acme.journal()) == clean
