"""``referee doctor`` in a subprocess against the example REST CRM (a real HTTP server), and the
plan's honesty about writes it cannot make and hosts it cannot reach."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.adapters.webhook.webhook_builders import load_fake_crm
from tests.cli.conftest import DEMO_NOW, ROOT, run_referee

pytestmark = pytest.mark.e2e


@pytest.fixture
def acme(tmp_path: Path) -> Iterator[tuple[str, Path, dict[str, str]]]:
    """The Acme fake CRM serving on a free port, and a copy of its example config pointing at it."""
    crm = load_fake_crm()
    server, thread, base_url = crm.serve(0, clock=lambda: datetime(2026, 11, 27, 2, 5, tzinfo=UTC))
    config = tmp_path / "acme.toml"
    config.write_text(_example().replace("http://127.0.0.1:8765/api/v2", base_url), encoding="utf-8")
    env = {"ACME_TOKEN": crm.DEFAULT_TOKEN, "ACME_WEBHOOK_SECRET": "demo-webhook-secret"}
    try:
        yield base_url, config, env
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _example() -> str:
    return (ROOT / "examples/acme-crm/config.toml").read_text(encoding="utf-8")


def _doctor(config: Path, env: dict[str, str]) -> tuple[int, dict[str, Any], str]:
    result = run_referee("doctor", "-c", str(config), "--json", env=env)
    table = run_referee("doctor", "-c", str(config), env=env)
    assert table.returncode == result.returncode and "Traceback" not in table.stderr + result.stderr
    return result.returncode, json.loads(result.stdout), table.stdout


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again when the block ends: nothing listens there


def test_doctor_passes_against_the_example_crm(acme) -> None:
    _, config, env = acme
    code, report, table = _doctor(config, env)
    assert code == 0, table
    assert report["ok"] is True
    subjects = [c["subject"] for c in report["checks"]]
    assert "state store schema" in subjects
    for stream in ("users", "records", "activities"):
        assert any(s.startswith(f"adapter acme: read {stream}") for s in subjects), subjects
    for kind in ("reassign", "flag", "note"):  # the rules reassign, flag and write notes
        [write] = [c for c in report["checks"] if c["subject"] == f"adapter acme: write {kind}"]
        assert write["outcome"] == "pass" and "doctor never writes" in write["message"]
    assert table.strip().endswith("All checks passed.")


def test_doctor_with_a_wrong_token_fails_with_the_fix(acme) -> None:
    _, config, env = acme
    code, report, table = _doctor(config, {**env, "ACME_TOKEN": "wrong-token"})
    assert code == 3
    failures = [c for c in report["checks"] if c["outcome"] == "fail"]
    assert failures and all("HTTP 401" in c["message"] for c in failures)
    assert "check [adapters.acme.auth]" in failures[0]["fix"]
    assert "wrong-token" not in table
    assert "FAIL adapter acme: read users" in table


def test_doctor_with_a_wrong_url_names_the_url(acme) -> None:
    base_url, config, env = acme
    port = _closed_port()
    config.write_text(config.read_text(encoding="utf-8").replace(base_url, f"http://127.0.0.1:{port}/api/v2"),
                      encoding="utf-8")
    code, report, _ = _doctor(config, env)
    assert code == 3
    [failure] = [c for c in report["checks"] if c["outcome"] == "fail"]  # one line, not one per stream
    assert f"GET http://127.0.0.1:{port}/api/v2/users" in failure["message"]
    assert "check base_url" in failure["fix"]
    plan = run_referee("plan", "-c", str(config), "--now", DEMO_NOW, env=env)
    assert plan.returncode == 3
    assert f"GET http://127.0.0.1:{port}/api/v2/users" in plan.stderr and plan.stderr.startswith("Error: ")


def test_doctor_with_a_missing_write_endpoint_fails_and_the_plan_shows_it_skipped(acme) -> None:
    _, config, env = acme
    text = config.read_text(encoding="utf-8")
    section = '[adapters.acme.write.flag]\nmethod = "POST"\npath = "/leads/{id}/tags"\nbody = { tag = "{tag}" }\n'
    assert section in text
    config.write_text(text.replace(section, ""), encoding="utf-8")
    code, report, _ = _doctor(config, env)
    assert code == 2
    [failure] = [c for c in report["checks"] if c["outcome"] == "fail"]
    assert failure["subject"] == "adapter acme: write flag"
    assert "same-customer" in failure["message"] and "[adapters.acme.write.flag]" in failure["fix"]

    plan = run_referee("plan", "-c", str(config), "--now", DEMO_NOW, "--format", "json", env=env)
    assert plan.returncode == 0, plan.stderr
    flags = [a for a in json.loads(plan.stdout)["actions"] if a["type"] == "flag"]
    assert flags and {a["status"] for a in flags} == {"skipped"}  # as docs/generic-crm.md promises
    assert all("no write.flag endpoint" in a["message"] for a in flags)


def test_doctor_on_the_demo_files(tmp_path: Path, demo_config: Path) -> None:
    result = run_referee("doctor", "-c", str(demo_config))
    assert result.returncode == 0, result.stdout
    assert "ok   adapter demo: write-back (reassign, flag, note)" in result.stdout
    (demo_config.parent / "demo-crm" / "users.jsonl").unlink()
    missing = run_referee("doctor", "-c", str(demo_config), "--json")
    assert missing.returncode == 2
    [failure] = [c for c in json.loads(missing.stdout)["checks"] if c["outcome"] == "fail"]
    assert failure["subject"] == "adapter demo: users" and "no users.jsonl or users.csv" in failure["message"]
