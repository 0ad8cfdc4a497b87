"""Write-back under faults: ``referee sync --apply`` in a subprocess against the strict fake org.

The org answers slower than the client's timeout (after carrying the write out), the process is
killed with SIGKILL or interrupted with SIGINT between a write and its answer, a person changes
an owner while the run writes, a second state store points at the same org. After one more
``sync`` the org must hold every write exactly once: owners, tags and one note per action.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from fake_zoho_org import FakeZohoOrg
from test_zoho_e2e import ACCOUNT, ANN, BEN, BOT, CONFIG, DEAL, ENV, LEAD, NOW, SILENT_LEAD, build_org, sync

from connector.store import Store
from tests.cli.conftest import REFEREE, ROOT, run_referee

pytestmark = pytest.mark.e2e

WRITES = r"/actions/(change_owner|add_tags)$|/Notes$"
EXPECTED_OWNERS = {("Leads", LEAD): ANN, ("Accounts", ACCOUNT): ANN, ("Deals", DEAL): ANN, ("Leads", SILENT_LEAD): ANN}
EXPECTED_TAGS = {
    ("Leads", LEAD): {"referee:conflict"},
    ("Accounts", ACCOUNT): {"referee:conflict"},
    ("Deals", DEAL): {"referee:conflict"},
    ("Leads", SILENT_LEAD): {"referee:sla-breach"},
}
NOTED = {("Leads", LEAD), ("Accounts", ACCOUNT), ("Deals", DEAL), ("Leads", SILENT_LEAD)}


def write_config(tmp_path: Path, url: str, *, db: str = "state.db", zoho: str = "", pursuit: str = "reassign") -> Path:
    text = CONFIG.format(db=tmp_path / db, url=url).replace("notes = true\n", f"notes = true\n{zoho}\n")
    text = text.replace('action = "reassign"', f'action = "{pursuit}"')
    path = tmp_path / f"{db}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def start_sync(config: Path, *extra: str) -> subprocess.Popen[str]:
    args = [*REFEREE, "sync", "-c", str(config), "--now", NOW.isoformat(), "--apply", *extra]
    return subprocess.Popen(
        args, cwd=ROOT, env={**os.environ, **ENV}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def kill_at(org: FakeZohoOrg, proc_box: list[subprocess.Popen[str]], nth: int, sig: int) -> None:
    """Send ``sig`` to the referee process when the org has carried out its ``nth`` write."""
    seen = [0]

    def hook(method: str, path: str) -> None:
        if method == "GET" or "/oauth/" in path:
            return
        seen[0] += 1
        if seen[0] == nth:
            os.kill(proc_box[0].pid, sig)

    org.on_answer = hook


def assert_written_once(org: FakeZohoOrg) -> None:
    """Every owner change, tag and note exactly once: what a clean run leaves."""
    owner_calls = Counter(
        (w.path.split("/")[3], str(i)) for w in org.writes() if w.path.endswith("change_owner") for i in w.body["ids"]
    )
    assert owner_calls and max(owner_calls.values()) == 1, owner_calls
    tag_calls = Counter(
        (w.path.split("/")[3], str(i), t["name"])
        for w in org.writes()
        if w.path.endswith("add_tags")
        for i in w.body["ids"]
        for t in w.body["tags"]
    )
    assert max(tag_calls.values()) == 1, tag_calls
    for (module, rid), owner in EXPECTED_OWNERS.items():
        assert org.records[module][rid]["Owner"]["id"] == owner, (module, rid)
    for (module, rid), tags in EXPECTED_TAGS.items():
        assert {t["name"] for t in org.records[module][rid]["Tag"]} == tags, (module, rid)
    per_record = Counter((n["Parent_Id"]["module"]["api_name"], n["Parent_Id"]["id"]) for n in org.notes)
    assert set(per_record) == NOTED and set(per_record.values()) == {1}, per_record
    for note in org.notes:
        assert "[crm-referee ref " in note["Note_Content"]


def journal(tmp_path: Path, db: str = "state.db") -> Counter[str]:
    store = Store.open(f"sqlite:///{tmp_path / db}")
    try:
        return Counter(e.status.value for e in store.list_journal(limit=1000))
    finally:
        store.close()


def test_writes_slower_than_the_timeout_are_never_sent_twice_and_settle_next_run(tmp_path: Path) -> None:
    org = build_org()
    org.slow("POST", WRITES, 1.5)
    with org.serve() as url:
        config = write_config(tmp_path, url, zoho="timeout = 0.4")
        first = sync(config, "--apply", "--format", "json")
        assert first.returncode == 4, first.stderr
        statuses = Counter(a["status"] for a in json.loads(first.stdout)["actions"])
        assert statuses["failed"] == 0 and statuses["unknown"] >= 4, statuses
        assert statuses["planned"] >= 1  # the reassignments' notes wait for their moves
        org.__dict__["_delays"].clear()
        second = sync(config, "--apply", "--format", "json")
    assert second.returncode == 0, second.stderr
    [settled] = json.loads(second.stdout)["settled"]
    assert settled["applied"] == statuses["unknown"] and settled["unresolved"] == 0
    assert_written_once(org)
    assert set(journal(tmp_path)) == {"applied"}


@pytest.mark.parametrize("nth", [1, 3, 6])
def test_kill_9_mid_apply_then_one_sync_writes_everything_once(tmp_path: Path, nth: int) -> None:
    org = build_org()
    org.slow("POST", WRITES, 0.2)
    box: list[subprocess.Popen[str]] = []
    kill_at(org, box, nth, signal.SIGKILL)
    with org.serve() as url:
        config = write_config(tmp_path, url)
        box.append(start_sync(config))
        box[0].communicate(timeout=120)
        assert box[0].returncode == -signal.SIGKILL
        org.on_answer = None
        assert journal(tmp_path)["applying"] >= 1
        runs = run_referee("runs", "-c", str(config), "--json", env=ENV)
        [killed] = [r for r in json.loads(runs.stdout) if r["unsettled"]]
        assert killed["unsettled"]["resolve"] == f"referee journal --resolve --run {killed['run_id']}"
        if nth == 3:  # the documented command, then the sync
            resolved = run_referee(
                "journal", "-c", str(config), "--resolve", "--run", killed["run_id"], "--break-lock", env=ENV
            )
            assert resolved.returncode == 0, resolved.stderr
            assert f"Resolved run {killed['run_id']}: " in resolved.stdout and "could not be checked" not in resolved.stdout
        again = sync(config, "--apply", "--break-lock", "--format", "json")
        assert again.returncode == 0, again.stderr
        after = run_referee("runs", "-c", str(config), "--json", env=ENV)
    assert_written_once(org)
    assert set(journal(tmp_path)) == {"applied"}
    history = {r["run_id"]: r for r in json.loads(after.stdout)}
    assert history[killed["run_id"]]["status"] == "crashed" and not history[killed["run_id"]]["unsettled"]


def test_sigint_mid_apply_stops_after_the_call_in_flight_and_the_next_run_finishes(tmp_path: Path) -> None:
    org = build_org()
    org.slow("POST", WRITES, 0.3)
    box: list[subprocess.Popen[str]] = []
    kill_at(org, box, 1, signal.SIGINT)
    with org.serve() as url:
        config = write_config(tmp_path, url)
        box.append(start_sync(config))
        _, err = box[0].communicate(timeout=120)
        org.on_answer = None
        assert box[0].returncode == 130, err
        assert "Interrupted: 1 actions done and journaled" in err and "left planned" in err
        assert "Traceback" not in err
        assert journal(tmp_path)["applying"] == 0
        runs = json.loads(run_referee("runs", "-c", str(config), "--json", env=ENV).stdout)
        assert runs[0]["status"] == "interrupted"
        again = sync(config, "--apply")
    assert again.returncode == 0, again.stderr
    assert_written_once(org)


def test_a_person_changing_an_owner_during_the_write_phase_wins_and_no_move_note_is_written(tmp_path: Path) -> None:
    org = build_org()

    def person_moves_the_deal(method: str, path: str) -> None:
        if path.endswith("/Accounts/actions/change_owner"):  # the first change_owner batch
            org.records["Deals"][DEAL]["Owner"] = {"id": BOT, "name": "Referee Bot"}

    org.on_answer = person_moves_the_deal
    with org.serve() as url:
        config = write_config(tmp_path, url)
        result = sync(config, "--apply", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert org.records["Deals"][DEAL]["Owner"]["id"] == BOT  # never overwritten
    assert not [w for w in org.writes() if w.path.endswith("/Deals/actions/change_owner")]
    by = {(a["type"], a["module"], a["id"]): a for a in json.loads(result.stdout)["actions"]}
    assert by[("reassign", "Deals", DEAL)]["status"] == "skipped"
    assert by[("reassign", "Deals", DEAL)]["code"] == "owner-changed"
    assert by[("note", "Deals", DEAL)]["code"] == "explained-not-done"
    assert ("Deals", DEAL) not in {(n["Parent_Id"]["module"]["api_name"], n["Parent_Id"]["id"]) for n in org.notes}
    assert org.records["Accounts"][ACCOUNT]["Owner"]["id"] == ANN


def test_notes_skipped_while_turned_off_are_written_once_they_are_turned_on(tmp_path: Path) -> None:
    org = build_org()
    with org.serve() as url:
        off = write_config(tmp_path, url, zoho="notes = false").read_text().replace("notes = true\n", "")
        (tmp_path / "off.toml").write_text(off)
        first = sync(tmp_path / "off.toml", "--apply", "--format", "json")
        assert first.returncode == 0, first.stderr
        codes = {a["code"] for a in json.loads(first.stdout)["actions"] if a["type"] == "note"}
        assert codes == {"turned-off"} and not org.notes
        second = sync(write_config(tmp_path, url), "--apply", "--format", "json")
    assert second.returncode == 0, second.stderr
    assert_written_once(org)


def test_a_second_store_on_the_same_org_writes_no_note_twice(tmp_path: Path) -> None:
    org = build_org()
    with org.serve() as url:
        first = sync(write_config(tmp_path, url, pursuit="flag"), "--apply")
        assert first.returncode == 0, first.stderr
        notes = len(org.notes)
        posts = sum(1 for w in org.writes() if w.path == "/crm/v8/Notes")
        other = write_config(tmp_path, url, db="typo.db", pursuit="flag")
        second = sync(other, "--apply", "--format", "json")
    assert second.returncode == 0, second.stderr
    assert notes >= 3 and len(org.notes) == notes
    assert sum(1 for w in org.writes() if w.path == "/crm/v8/Notes") == posts
    again = [a for a in json.loads(second.stdout)["actions"] if a["type"] == "note"]
    assert again and {(a["status"], a["code"]) for a in again} == {("applied", "already-done")}


def test_undo_restores_owners_removes_tags_and_leaves_a_persons_change_alone(tmp_path: Path) -> None:
    org = build_org()
    with org.serve() as url:
        config = write_config(tmp_path, url)
        applied = sync(config, "--apply", "--format", "json")
        assert applied.returncode == 0, applied.stderr
        run_id = json.loads(applied.stdout)["run_id"]
        org.records["Deals"][DEAL]["Owner"] = {"id": BOT, "name": "Referee Bot"}  # a person moves it after
        preview = run_referee("undo", run_id, "-c", str(config), "--dry-run", "--format", "json", env=ENV)
        assert preview.returncode == 0, preview.stderr
        writes_before = len(org.writes())
        planned = json.loads(preview.stdout)["actions"]
        assert {a["type"] for a in planned} == {"reassign", "unflag", "note"}
        assert len(org.writes()) == writes_before  # a dry run writes nothing
        undone = run_referee("undo", run_id, "-c", str(config), "--format", "json", env=ENV)
        twice = run_referee("undo", run_id, "-c", str(config), "--format", "json", env=ENV)
    assert undone.returncode == 0, undone.stderr
    assert org.records["Accounts"][ACCOUNT]["Owner"]["id"] == BEN
    assert org.records["Deals"][DEAL]["Owner"]["id"] == BOT  # changed since: left alone
    for module, rid in NOTED:
        assert org.records[module][rid]["Tag"] == [], (module, rid)
    by = {(a["type"], a["module"], a["id"]): a for a in json.loads(undone.stdout)["actions"]}
    assert by[("reassign", "Deals", DEAL)]["code"] == "owner-changed"
    undone_notes = [n for n in org.notes if "undone" in n["Note_Content"]]
    assert {(n["Parent_Id"]["module"]["api_name"], n["Parent_Id"]["id"]) for n in undone_notes} == NOTED
    assert twice.returncode == 0 and not [a for a in json.loads(twice.stdout)["actions"] if a["status"] == "applied"]
    runs = json.loads(run_referee("runs", "-c", str(config), "--json", env=ENV).stdout)
    assert [r["mode"] for r in runs[:3]] == ["undo", "undo", "undo-dry-run"]
