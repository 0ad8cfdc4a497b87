"""Writing actions back: records.jsonl rewritten atomically, notes appended, per-action results."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from file_builders import FIXED_NOW, a_record, make_adapter, pull_all

from adapters.file.adapter import CSV_READ_ONLY
from connector.domain import Action, ActionStatus, ActionType, Module, RecordRef, action_key


def _ref(id: str, module: Module = Module.LEADS, adapter: str = "crm") -> RecordRef:
    return RecordRef(adapter=adapter, module=module, id=id)


def reassign(id: str, new: str, previous: str | None = "u-1", **kw) -> Action:
    ref = kw.pop("ref", _ref(id))
    return Action(
        type=ActionType.REASSIGN, target=ref, new_owner_id=new, previous_owner_id=previous,
        reason="test", rule="r", idempotency_key=action_key(ActionType.REASSIGN, ref, new),
    )  # fmt: skip


def flag(id: str, tag: str | None = "referee:conflict", module: Module = Module.LEADS) -> Action:
    ref = _ref(id, module)
    return Action(
        type=ActionType.FLAG, target=ref, tag=tag, reason="test", rule="r",
        idempotency_key=action_key(ActionType.FLAG, ref, tag),
    )  # fmt: skip


def note(id: str, text: str = "两位销售在跟进同一客户") -> Action:
    ref = _ref(id)
    return Action(
        type=ActionType.NOTE, target=ref, text=text, reason="test", rule="pursuit",
        idempotency_key=action_key(ActionType.NOTE, ref, text),
    )  # fmt: skip


@pytest.fixture
def crm(export) -> Path:
    return export(
        records=[
            a_record("L-1", tags=["vip"], company="北京字节跳动科技有限公司", lead_source="展会"),
            a_record("L-2", owner_id="u-2"),
            a_record("C-1", module="Contacts"),
        ]
    )


def _statuses(results) -> dict[tuple[str, str], ActionStatus]:
    return {(r.action.type.value, r.action.target.id): r.status for r in results}


def test_supported_actions_for_jsonl(crm: Path) -> None:
    assert make_adapter(crm).supported_actions() == frozenset({"reassign", "flag", "note", "unflag"})


def test_reassign_flag_and_note_round_trip(crm: Path) -> None:
    before = (crm / "records.jsonl").read_text(encoding="utf-8").splitlines()
    results = make_adapter(crm).apply(
        [
            reassign("L-1", "u-9"),
            flag("L-1"),
            flag("L-1", "vip"),
            flag("C-1", module=Module.CONTACTS),
            note("L-2"),
        ]
    )
    assert {r.status for r in results} == {ActionStatus.APPLIED}
    assert all(r.applied_at == FIXED_NOW for r in results)

    fresh = make_adapter(crm)  # a second instance reads only what is on disk
    _, records, _ = pull_all(fresh)
    by_id = {r.id: r for r in records}
    assert by_id["L-1"].owner_id == "u-9"
    assert by_id["L-1"].assigned_at == FIXED_NOW
    assert by_id["L-1"].modified_at == FIXED_NOW
    assert by_id["L-1"].tags == ("vip", "referee:conflict")
    assert by_id["L-1"].extra == {"lead_source": "展会"}
    assert by_id["C-1"].tags == ("referee:conflict",)
    assert by_id["L-2"].modified_at != FIXED_NOW  # a note does not touch the record
    after = (crm / "records.jsonl").read_text(encoding="utf-8").splitlines()
    assert after[1] == before[1]  # untouched lines are kept byte for byte
    assert "北京字节跳动科技有限公司" in after[0]  # written as UTF-8, not \u escapes

    (line,) = (crm / "notes.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(line) == {
        "record": {"adapter": "crm", "module": "Leads", "id": "L-2"},
        "text": "两位销售在跟进同一客户",
        "rule": "pursuit",
        "idempotency_key": note("L-2").idempotency_key,
        "at": "2026-11-27T02:00:00+00:00",
    }


def test_an_applied_change_shows_up_in_the_next_incremental_pull(crm: Path) -> None:
    adapter = make_adapter(crm)
    batches, _, _ = pull_all(adapter)
    cursors = {b.stream: b.cursor for b in batches if b.cursor}
    adapter.apply([reassign("L-2", "u-3", previous="u-2")])
    _, records, _ = pull_all(adapter, cursors)
    assert [(r.id, r.owner_id) for r in records] == [("L-2", "u-3")]


def test_notes_are_appended_to_an_existing_notes_file(crm: Path) -> None:
    (crm / "notes.jsonl").write_text('{"old": true}', encoding="utf-8")  # no trailing newline
    make_adapter(crm).apply([note("L-1", "first")])
    make_adapter(crm).apply([note("L-1", "second")])
    lines = (crm / "notes.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(x).get("text") for x in lines] == [None, "first", "second"]


def test_reassign_is_skipped_when_the_owner_changed_meanwhile(crm: Path) -> None:
    before = (crm / "records.jsonl").read_bytes()
    (result,) = make_adapter(crm).apply([reassign("L-2", "u-9", previous="u-1")])
    assert result.status is ActionStatus.SKIPPED
    assert result.message == "owner changed meanwhile (file says u-2, expected u-1)"
    assert (crm / "records.jsonl").read_bytes() == before


def test_a_second_reassign_in_the_same_batch_sees_the_first(crm: Path) -> None:
    results = make_adapter(crm).apply([reassign("L-1", "u-8"), reassign("L-1", "u-9")])
    assert [r.status for r in results] == [ActionStatus.APPLIED, ActionStatus.SKIPPED]


def test_repeating_actions_already_carried_out_changes_nothing(crm: Path) -> None:
    adapter = make_adapter(crm)
    adapter.apply([reassign("L-1", "u-9"), flag("L-1")])
    before = (crm / "records.jsonl").read_bytes()
    results = adapter.apply([reassign("L-1", "u-9", previous="u-9"), flag("L-1")])
    assert [r.status for r in results] == [ActionStatus.APPLIED, ActionStatus.APPLIED]
    assert [r.message for r in results] == ["already owned by u-9", "already tagged referee:conflict"]
    assert (crm / "records.jsonl").read_bytes() == before


@pytest.mark.parametrize(
    ("action", "message"),
    [
        pytest.param(flag("L-404"), "record Leads/L-404 not found in records.jsonl", id="not-found"),
        pytest.param(flag("C-1"), "record Leads/C-1 not found in records.jsonl", id="wrong-module"),
        pytest.param(
            reassign("L-1", "u-9", ref=_ref("L-1", adapter="zoho")),
            'action targets adapter "zoho"',
            id="adapter",
        ),
        pytest.param(flag("L-1", tag=None), "flag without a tag", id="flag-without-tag"),
        pytest.param(note("L-1", text=""), "note without text", id="note-without-text"),
    ],
)
def test_actions_that_cannot_be_carried_out_fail_with_a_reason(
    crm: Path, action: Action, message: str
) -> None:
    before = (crm / "records.jsonl").read_bytes()
    (result,) = make_adapter(crm).apply([action])
    assert (result.status, result.message) == (ActionStatus.FAILED, message)
    assert (crm / "records.jsonl").read_bytes() == before
    assert not (crm / "notes.jsonl").exists()


def test_a_crash_at_replace_leaves_the_files_intact_and_no_temp_file(
    crm: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = (crm / "records.jsonl").read_bytes()
    listing = sorted(p.name for p in crm.iterdir())

    def crash(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", crash)
    results = make_adapter(crm).apply([reassign("L-1", "u-9"), note("L-1"), flag("L-404")])
    assert [r.status for r in results] == [ActionStatus.FAILED, ActionStatus.FAILED, ActionStatus.FAILED]
    assert results[0].message.startswith("could not write records.jsonl: ")
    assert results[0].message.endswith("nothing was changed")
    assert results[2].message == "record Leads/L-404 not found in records.jsonl"
    assert (crm / "records.jsonl").read_bytes() == before
    assert sorted(p.name for p in crm.iterdir()) == listing


def test_a_crash_writing_notes_fails_only_the_notes(crm: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_replace = os.replace

    def replace(src: str, dst: str) -> None:
        if str(dst).endswith("notes.jsonl"):
            raise OSError(13, "Permission denied")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    results = make_adapter(crm).apply([flag("L-2"), note("L-2")])
    assert [r.status for r in results] == [ActionStatus.APPLIED, ActionStatus.FAILED]
    assert results[1].message.startswith("could not write notes.jsonl")
    assert not (crm / "notes.jsonl").exists()
    assert sorted(p.name for p in crm.iterdir()) == ["activities.jsonl", "records.jsonl", "users.jsonl"]


def test_column_mapped_jsonl_is_written_back_under_the_mapped_keys(export) -> None:
    path = export(records=[{"Record Id": "L-1", "module": "Leads", "Owner": "u-1"}])
    columns = {"records": {"id": "Record Id", "owner_id": "Owner"}}
    make_adapter(path, columns=columns).apply([reassign("L-1", "u-2")])
    row = json.loads((path / "records.jsonl").read_text(encoding="utf-8"))
    assert row["Owner"] == "u-2" and "owner_id" not in row
    _, records, _ = pull_all(make_adapter(path, columns=columns))
    assert records[0].owner_id == "u-2"


def test_csv_exports_are_read_only(tmp_path: Path) -> None:
    (tmp_path / "users.csv").write_text("id\nu-1\n", encoding="utf-8")
    (tmp_path / "records.csv").write_text("id,module,owner_id\nL-1,Leads,u-1\n", encoding="utf-8")
    (tmp_path / "activities.csv").write_text("id,record_id,module,kind,occurred_at\n", encoding="utf-8")
    before = (tmp_path / "records.csv").read_bytes()
    adapter = make_adapter(tmp_path)
    assert adapter.supported_actions() == frozenset()
    results = adapter.apply([reassign("L-1", "u-2"), note("L-1")])
    assert [(r.status, r.message) for r in results] == [(ActionStatus.SKIPPED, CSV_READ_ONLY)] * 2
    assert (tmp_path / "records.csv").read_bytes() == before
    assert not (tmp_path / "notes.jsonl").exists()


def test_applying_nothing_touches_nothing(crm: Path) -> None:
    before = (crm / "records.jsonl").stat().st_mtime_ns
    assert make_adapter(crm).apply([]) == []
    assert (crm / "records.jsonl").stat().st_mtime_ns == before
