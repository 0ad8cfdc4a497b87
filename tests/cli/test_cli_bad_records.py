"""Bad CRM data is a bad line, not a stopped sync: ``referee sync`` against the fake REST CRM, on
SQLite and PostgreSQL, with records no store can hold among good ones."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from connector.store import Store
from tests.adapters.webhook.webhook_builders import load_fake_crm
from tests.cli.conftest import DEMO_NOW, ROOT, run_referee

pytestmark = pytest.mark.e2e


def _deep(levels: int) -> Any:
    value: Any = "bottom"
    for _ in range(levels):
        value = {"d": value}
    return value


BAD = {
    "L-BIG": {"company": {"name": "Acme " * 220_000}},  # a 1 MB company name
    "L-NUL": {"company": {"name": "Acme\x00 Trading"}},
    "L-SURROGATE": {"company": {"name": "Acme \ud800 Trading"}},
    "L-EARLY": {"updated_at": "0001-01-01T00:00:00+14:00"},  # before year 1 in UTC
}
LONG_BUT_FINE = {"L-LONGWORD": {"company": {"name": "A" * 10_000}}}  # over an index row, under the cap


@pytest.fixture
def crm_with_bad_records(tmp_path: Path, store_url: str) -> Iterator[tuple[Any, Path, dict[str, str]]]:
    crm = load_fake_crm()
    server, thread, base_url = crm.serve(0, clock=lambda: datetime(2026, 11, 27, 2, 5, tzinfo=UTC))
    template = next(iter(server.crm.leads.values()))
    for lead_id, override in {**BAD, **LONG_BUT_FINE}.items():
        lead = copy.deepcopy(template)
        lead["id"] = lead_id
        for key, value in override.items():
            lead[key] = {**lead[key], **value} if isinstance(value, dict) and isinstance(lead.get(key), dict) else value
        server.crm.leads[lead_id] = lead
    text = (ROOT / "examples/acme-crm/config.toml").read_text(encoding="utf-8")
    text = text.replace("http://127.0.0.1:8765/api/v2", base_url)
    text = text.replace('state = "sqlite:///acme-referee.db"', f'state = "{store_url}"')
    assert base_url in text and store_url in text
    config = tmp_path / "acme.toml"
    config.write_text(text, encoding="utf-8")
    env = {"ACME_TOKEN": crm.DEFAULT_TOKEN, "ACME_WEBHOOK_SECRET": "demo-webhook-secret"}
    try:
        yield server, config, env
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_records_no_store_can_hold_are_reported_and_skipped(crm_with_bad_records, store_url: str) -> None:
    server, config, env = crm_with_bad_records

    result = run_referee("sync", "-c", str(config), "--now", DEMO_NOW, "--format", "json", env=env)

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    assert report["counts"]["records_rejected"] == len(BAD)
    rejected = [w["message"] for w in report["warnings"] if w["code"] == "record_rejected"]
    for lead_id, field in (("L-BIG", "company"), ("L-NUL", "company"), ("L-SURROGATE", "company"),
                           ("L-EARLY", "modified_at")):
        line = next(m for m in rejected if f"Leads {lead_id}:" in m)
        assert line.startswith("acme: ") and f"field {field}" in line and "skipped" in line
    store = Store(store_url)
    try:
        stored = {r.id for r in store.load_records("acme")}
    finally:
        store.close()
    good = set(server.crm.leads) - set(BAD)
    assert stored == good


def test_an_export_with_invalid_utf8_or_deep_lines_lists_them_without_a_traceback(demo_config: Path) -> None:
    records = demo_config.parent / "demo-crm" / "records.jsonl"
    with records.open("ab") as handle:
        handle.write(b'{"id": "L-BAD-1", "module": "Leads", "company": "\xff\xfe"}\n')
        handle.write(b'{"id": "L-BAD-2", "module": "Leads", "extra": ' + b"[" * 10_000 + b"]" * 10_000 + b"}\n")

    result = run_referee("plan", "-c", str(demo_config), "--now", DEMO_NOW)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: 2 bad line(s) in the export")
    assert "records.jsonl:" in result.stderr and "not UTF-8" in result.stderr and "nests too deeply" in result.stderr


def test_an_export_record_with_a_lone_surrogate_is_skipped_and_the_run_goes_on(demo_config: Path) -> None:
    records = demo_config.parent / "demo-crm" / "records.jsonl"
    with records.open("a", encoding="utf-8") as handle:
        handle.write('{"id": "L-SURR", "module": "Leads", "company": "Acme \\ud800"}\n')

    result = run_referee("plan", "-c", str(demo_config), "--now", DEMO_NOW, "--format", "json")

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["counts"]["records_rejected"] == 1
    [warning] = [w for w in report["warnings"] if w["code"] == "record_rejected"]
    assert warning["message"].startswith("demo: Leads L-SURR: field company is not valid Unicode")
