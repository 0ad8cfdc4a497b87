"""Daily credits used up in the middle of write-back, through ``referee sync --apply`` in a subprocess.

Zoho answers HTTP 429 ``TOO_MANY_REQUESTS`` "Number of API requests for the 24 hour period is
exceeded" once the org's credits are spent (https://www.zoho.com/crm/developer/docs/api/v8/api-limits.html,
status-codes.html). The run must stop at that first answer, journal what it applied, keep the rest
planned (not failed), say so in one ``Error:`` line with exit status 3, and the next run applies the
rest without writing anything twice.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from test_zoho_e2e import CONFIG, ENV, build_org, sync

from connector.store import Store
from tests.cli.conftest import run_referee

pytestmark = pytest.mark.e2e


def _credits_before(received: list[Any], path: str, skip: int = 0) -> int:
    """Credits the org charged before the ``skip``-th write to ``path`` (1 per call, 2 for /deleted)."""
    spent = 0
    for entry in received:
        if entry.method == "POST" and entry.path == path:
            if skip == 0:
                return spent
            skip -= 1
        if entry.path != "/oauth/v2/token":
            spent += 2 if entry.path.endswith("/deleted") else 1
    raise AssertionError(f"the probe run never wrote {path}")


def _write_config(tmp_path: Path, name: str, url: str) -> Path:
    config = tmp_path / f"{name}.toml"
    config.write_text(CONFIG.format(db=tmp_path / f"{name}.db", url=url), encoding="utf-8")
    return config


def test_credits_used_up_mid_apply_stop_cleanly_and_the_next_run_applies_the_rest(tmp_path: Path) -> None:
    probe = build_org()  # the same org with unlimited credits: where do the writes fall?
    with probe.serve() as url:
        assert sync(_write_config(tmp_path, "probe", url), "--apply").returncode == 0
    # Enough credits for every read and the Accounts reassignment; the Deals one is refused.
    credits = _credits_before(probe.received, "/crm/v8/Deals/actions/change_owner")

    org = build_org(credits=credits)
    with org.serve() as url:
        config = _write_config(tmp_path, "state", url)
        first = sync(config, "--apply", "--format", "json")
        assert first.returncode == 3, first.stdout + first.stderr
        errors = [line for line in first.stderr.splitlines() if line.strip()]
        assert len(errors) == 1 and errors[0].startswith("Error: zoho: the org's daily API credits are used up")
        assert "Traceback" not in first.stderr
        report = json.loads(first.stdout)
        statuses = {(a["module"], a["id"], a["type"]): a["status"] for a in report["actions"]}
        applied = [k for k, s in statuses.items() if s == "applied"]
        planned = [k for k, s in statuses.items() if s == "planned"]
        assert applied and planned and "failed" not in statuses.values()
        assert [w["code"] for w in report["warnings"]] == ["apply_stopped"]
        refused = [r for r in org.received if r.status == 429]
        assert len(refused) == 1  # the first refusal stops the run: never retried, nothing sent after it
        assert org.received[-1] is refused[0]
        written_once = [(w.method, w.path, json.dumps(w.body, sort_keys=True)) for w in org.writes() if w.status < 300]

        store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
        try:
            [run] = store.list_runs()
            journal = store.journal_statuses([a["key"] for a in report["actions"] if "key" in a])
        finally:
            store.close()
        assert "daily API credits" in json.dumps([w.message for w in run.warnings])
        assert all(status.value in ("applied", "planned") for status in journal.values())

        org.credits = None  # a day later
        second = sync(config, "--apply", "--format", "json")
        assert second.returncode == 0, second.stdout + second.stderr
        runs = run_referee("runs", "-c", str(config), "--json", env=ENV)

    resent = [
        (w.method, w.path, json.dumps(w.body, sort_keys=True))
        for w in org.writes()[len(written_once) + 1 :]
        if w.status < 300
    ]
    assert not set(resent) & set(written_once)  # nothing applied in the first run is written again
    final = {rid: raw for rows in org.records.values() for rid, raw in rows.items()}
    expected = {rid: raw for rows in probe.records.values() for rid, raw in rows.items()}
    owners = {rid: (raw.get("Owner") or {}).get("id") for rid, raw in final.items()}
    assert owners == {rid: (raw.get("Owner") or {}).get("id") for rid, raw in expected.items()}
    tags = {rid: sorted(t["name"] for t in raw.get("Tag") or []) for rid, raw in final.items()}
    assert tags == {rid: sorted(t["name"] for t in raw.get("Tag") or []) for rid, raw in expected.items()}
    noted = sorted(n["Parent_Id"]["id"] for n in org.notes)
    assert noted == sorted(n["Parent_Id"]["id"] for n in probe.notes)  # every note once, none lost
    codes = sorted([w["code"] for w in run["warnings"]] for run in json.loads(runs.stdout))
    assert codes == [[], ["apply_stopped"]]  # both runs share --now, so their order is not asserted
