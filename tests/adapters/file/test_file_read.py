"""Reading exports: JSON Lines and CSV, field mapping, time zones, cursors, and bad lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from file_builders import a_record, an_activity, make_adapter, pull_all, write_jsonl

from adapters.file.parse import parse_kind
from connector.domain import ActivityKind, Module, RecordRef
from connector.errors import ConfigError, DataError
from connector.protocol import CrmAdapter

CST = timedelta(hours=8)


def test_the_adapter_implements_the_protocol(export) -> None:
    assert isinstance(make_adapter(export()), CrmAdapter)


def test_users_map_team_string_or_list_to_teams(export) -> None:
    path = export(
        users=[
            {
                "id": "u-1",
                "name": "Li Na",
                "email": "li@x.cn",
                "team": "inside-sales",
                "time_zone": "Asia/Shanghai",
            },
            {"id": "u-2", "name": "Sam", "active": False, "team": ["key-accounts", "overseas"]},
            {"id": 3},
        ]
    )
    users = {u.id: u for u in make_adapter(path).pull_users()}
    assert users["u-1"].teams == ("inside-sales",)
    assert users["u-1"].time_zone == "Asia/Shanghai"
    assert users["u-2"].teams == ("key-accounts", "overseas")
    assert users["u-2"].active is False
    assert users["3"].active is True
    assert users["3"].name == ""


def test_record_fields_lists_and_extra_are_mapped(export) -> None:
    path = export(
        records=[
            a_record(
                "L-1",
                email=["a@acme.com", "b@acme.com"],
                phone="+86 138 0013 8000",
                mobile="13800138000",
                tags=["vip"],
                company="Acme Inc.",
                account_id="A-1",
                lead_source="展会",
                industry={"code": 7},
            ),
            a_record("C-1", module="Contacts", email="x@y.com; z@y.com", tags="a;b", owner_id=""),
        ]
    )
    _, records, _ = pull_all(make_adapter(path))
    lead, contact = records
    assert lead.module is Module.LEADS
    assert lead.emails == ("a@acme.com", "b@acme.com")
    assert lead.phones == ("+86 138 0013 8000", "13800138000")
    assert lead.tags == ("vip",)
    assert (lead.company, lead.account_id, lead.adapter) == ("Acme Inc.", "A-1", "crm")
    assert lead.extra == {"lead_source": "展会", "industry": {"code": 7}}
    assert contact.emails == ("x@y.com", "z@y.com")
    assert contact.tags == ("a", "b")
    assert contact.owner_id is None


def test_activities_link_to_module_and_record_and_map_kind_synonyms(export) -> None:
    path = export(
        records=[a_record("D-1", module="Deals")],
        activities=[an_activity("a-1", "D-1", module="Deals", kind="event", completed=False)],
    )
    _, _, activities = pull_all(make_adapter(path))
    (activity,) = activities
    assert activity.record == RecordRef(adapter="crm", module=Module.DEALS, id="D-1")
    assert activity.kind is ActivityKind.MEETING
    assert activity.completed is False


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        pytest.param("call", ActivityKind.CALL, id="call"),
        pytest.param("Phone Call", ActivityKind.CALL, id="phone-call"),
        pytest.param("phone", ActivityKind.CALL, id="phone"),
        pytest.param("event", ActivityKind.MEETING, id="event"),
        pytest.param("Meetings", ActivityKind.MEETING, id="zoho-module-name"),
        pytest.param("todo", ActivityKind.TASK, id="todo"),
        pytest.param("comment", ActivityKind.NOTE, id="comment"),
        pytest.param("E-mail", ActivityKind.EMAIL, id="e-mail"),
        pytest.param("拜访", ActivityKind.MEETING, id="chinese-visit"),
    ],
)
def test_activity_kind_synonyms(word: str, kind: ActivityKind) -> None:
    assert parse_kind(word) is kind


def test_timestamps_are_aware_and_naive_ones_use_the_config_zone(export) -> None:
    path = export(
        records=[
            a_record("L-1", created_at="2026-11-03T09:20:00Z", modified_at="2026-11-03 09:20:00"),
            a_record("L-2", created_at="2026-11-03", modified_at=None),
        ]
    )
    _, records, _ = pull_all(make_adapter(path, default_tz="Asia/Shanghai"))
    first, second = records
    assert first.created_at == datetime(2026, 11, 3, 9, 20, tzinfo=UTC)
    assert first.modified_at is not None and first.modified_at.utcoffset() == CST
    assert first.modified_at == datetime(2026, 11, 3, 1, 20, tzinfo=UTC)
    assert second.created_at is not None and second.created_at.utcoffset() == CST
    assert second.modified_at is None


ZOHO_HEADERS = (
    "Record Id,Lead Owner Id,Module,Company,Email,Phone,Tag,Created Time,Modified Time,Lead Source\n"
)


def test_csv_with_a_column_map_reads_a_crm_export_as_is(tmp_path: Path) -> None:
    (tmp_path / "records.csv").write_text(
        "\ufeff"
        + ZOHO_HEADERS
        + '4001,u-1,Leads,"ACME, Inc",a@acme.com;b@acme.com,,hot;vip,2026-11-03 09:20:00,,Web\n'
        + '4002,,Leads,"Multi\nline",,,,2026-11-03T09:20:00+00:00,,\n'
        + "4003,u-2,Leads,Globex,,,,,,Referral\n",
        encoding="utf-8",
    )
    (tmp_path / "users.csv").write_text(
        "id,name,active,team\nu-1,Li,yes,a;b\nu-2,Wang,0,\n", encoding="utf-8"
    )
    (tmp_path / "activities.csv").write_text(
        "id,record_id,module,owner_id,kind,occurred_at,completed\n"
        "a-1,4001,Leads,u-1,Calls,2026-11-03 10:00,true\n",
        encoding="utf-8",
    )
    columns = {
        "records": {
            "id": "Record Id",
            "owner_id": "Lead Owner Id",
            "module": "Module",
            "company": "Company",
            "email": "Email",
            "phone": "Phone",
            "tags": "Tag",
            "created_at": "Created Time",
            "modified_at": "Modified Time",
        }
    }
    adapter = make_adapter(tmp_path, columns=columns)
    users = {u.id: u for u in adapter.pull_users()}
    _, records, activities = pull_all(adapter)
    assert users["u-1"].teams == ("a", "b") and users["u-2"].active is False
    first, second, third = records
    assert (first.id, first.owner_id, first.company) == ("4001", "u-1", "ACME, Inc")
    assert first.emails == ("a@acme.com", "b@acme.com")
    assert first.tags == ("hot", "vip")
    assert first.phones == ()
    assert first.modified_at is None
    assert first.created_at == datetime(2026, 11, 3, 1, 20, tzinfo=UTC)
    assert first.extra == {"Lead Source": "Web"}
    assert second.owner_id is None and second.company == "Multi\nline"
    assert second.extra == {"Lead Source": None}
    assert third.company == "Globex"
    assert activities[0].kind is ActivityKind.CALL


def test_auto_prefers_jsonl_and_format_csv_forces_csv(export) -> None:
    path = export(records=[a_record("from-jsonl")])
    (path / "users.csv").write_text("id\nu-1\n", encoding="utf-8")
    (path / "records.csv").write_text("id,module\nfrom-csv,Leads\n", encoding="utf-8")
    (path / "activities.csv").write_text("id,record_id,module,kind,occurred_at\n", encoding="utf-8")
    assert [r.id for r in pull_all(make_adapter(path))[1]] == ["from-jsonl"]
    assert [r.id for r in pull_all(make_adapter(path, format="csv"))[1]] == ["from-csv"]


def test_a_mapped_column_missing_from_the_csv_header_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "records.csv").write_text("Id,Module\n1,Leads\n", encoding="utf-8")
    (tmp_path / "users.csv").write_text("id\n", encoding="utf-8")
    (tmp_path / "activities.csv").write_text("id\n", encoding="utf-8")
    adapter = make_adapter(tmp_path, columns={"records": {"id": "Record Id"}})
    with pytest.raises(ConfigError, match=r'records.csv: mapped column\(s\) "Record Id" \(for id\)'):
        pull_all(adapter)


def test_missing_directory_and_missing_file_are_config_errors(tmp_path: Path, export) -> None:
    with pytest.raises(ConfigError, match="no such directory"):
        make_adapter(tmp_path / "nope").pull_users()
    path = export()
    (path / "activities.jsonl").unlink()
    with pytest.raises(ConfigError, match=r"no activities.jsonl or activities.csv"):
        pull_all(make_adapter(path))


def test_unknown_canonical_field_in_the_column_map_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown canonical field"):
        make_adapter(Path("."), columns={"records": {"owner": "Lead Owner"}})


# -- cursors -------------------------------------------------------------------------------------


def _changing_export(export) -> Path:
    return export(
        records=[
            a_record("L-1", modified_at="2026-11-01T09:00:00+08:00"),
            a_record("L-2", modified_at="2026-11-05T09:00:00+08:00"),
            a_record("L-3", modified_at="2026-11-03T09:00:00Z"),
            a_record("L-4", created_at=None, modified_at=None),
        ],
        activities=[
            an_activity("a-1", occurred_at="2026-11-02T10:00:00+08:00"),
            an_activity("a-2", occurred_at="2026-11-06T10:00:00+08:00"),
        ],
    )


def test_first_pull_yields_everything_and_sets_cursors_to_the_max_seen(export) -> None:
    batches, records, activities = pull_all(make_adapter(_changing_export(export)))
    assert [b.stream for b in batches] == ["records", "activities"]
    assert [r.id for r in records] == ["L-1", "L-2", "L-3", "L-4"]
    assert len(activities) == 2
    assert batches[0].cursor == "2026-11-05T09:00:00+08:00"
    assert batches[1].cursor == "2026-11-06T10:00:00+08:00"


def test_with_cursors_only_later_lines_are_yielded_and_full_ignores_cursors(export) -> None:
    adapter = make_adapter(_changing_export(export))
    cursors = {"records": "2026-11-02T00:00:00+00:00", "activities": "2026-11-02T10:00:00+08:00"}
    batches, records, activities = pull_all(adapter, cursors)
    # L-3 is 2026-11-03T09:00Z (later than the cursor although its text sorts earlier); L-4 has no stamp
    assert [r.id for r in records] == ["L-2", "L-3", "L-4"]
    assert [a.id for a in activities] == ["a-2"]
    assert batches[0].cursor == "2026-11-05T09:00:00+08:00"
    _, records, activities = pull_all(adapter, cursors, full=True)
    assert len(records) == 4 and len(activities) == 2


def test_nothing_new_yields_one_empty_batch_per_stream_keeping_the_cursor(export) -> None:
    adapter = make_adapter(_changing_export(export))
    cursors = {"records": "2026-12-01T00:00:00+00:00", "activities": "2026-12-01T00:00:00+00:00"}
    batches, records, activities = pull_all(adapter, cursors)
    assert [r.id for r in records] == ["L-4"]
    assert activities == []
    assert [(b.stream, b.cursor) for b in batches] == [
        ("records", "2026-12-01T00:00:00+00:00"),
        ("activities", "2026-12-01T00:00:00+00:00"),
    ]


def test_batches_are_chunked_and_only_the_last_of_a_stream_carries_the_cursor(export) -> None:
    path = export(
        records=[a_record(f"L-{i}", modified_at=f"2026-11-0{i}T00:00:00+00:00") for i in range(1, 6)]
    )
    batches, _, _ = pull_all(make_adapter(path, batch_size=2))
    assert [(b.stream, len(b.records), b.cursor) for b in batches] == [
        ("records", 2, None),
        ("records", 2, None),
        ("records", 1, "2026-11-05T00:00:00+00:00"),
        ("activities", 0, None),
    ]


# -- bad lines -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stream", "line", "message"),
    [
        pytest.param("records", '{"id": "L-9", ', "records.jsonl:2: not valid JSON (", id="invalid-json"),
        pytest.param(
            "records", "[1, 2]", "records.jsonl:2: expected a JSON object, got list", id="not-object"
        ),
        pytest.param("records", '{"module": "Leads"}', 'records.jsonl:2: missing "id"', id="missing-id"),
        pytest.param(
            "records",
            '{"id": "L-9", "module": "Leads", "created_at": "yesterday"}',
            'records.jsonl:2: created_at "yesterday" is not an ISO 8601 timestamp',
            id="bad-timestamp",
        ),
        pytest.param(
            "records",
            '{"id": "T-1", "module": "Tickets"}',
            'records.jsonl:2: module "Tickets" is not one of Leads, Contacts, Accounts, Deals',
            id="unknown-module",
        ),
        pytest.param("records", '{"id": "L-9"}', 'records.jsonl:2: missing "module"', id="missing-module"),
        pytest.param(
            "records",
            '{"id": "L-1", "module": "Lead"}',
            "records.jsonl:2: duplicate id Leads/L-1 (first on line 1)",
            id="duplicate-id",
        ),
        pytest.param(
            "activities",
            '{"id": "a-9", "record_id": "L-1", "module": "Leads", "kind": "fax", "occurred_at": "2026-11"}',
            'activities.jsonl:2: kind "fax" is not one of call, meeting, task, note, email',
            id="unknown-kind",
        ),
        pytest.param(
            "activities",
            '{"id": "a-9", "module": "Leads", "kind": "call", "occurred_at": "2026-11-01"}',
            'activities.jsonl:2: missing "record_id"',
            id="missing-record-id",
        ),
        pytest.param(
            "activities",
            '{"id": "a-9", "record_id": "L-1", "module": "Leads", "kind": "call"}',
            'activities.jsonl:2: missing "occurred_at"',
            id="missing-occurred-at",
        ),
        pytest.param(
            "activities",
            '{"id": "a-9", "record_id": "L-1", "module": "Leads", "kind": "call", '
            '"occurred_at": "2026-11-01", "completed": "maybe"}',
            'activities.jsonl:2: completed "maybe" is not true or false',
            id="bad-bool",
        ),
    ],
)
def test_every_bad_line_kind_is_reported_with_file_and_line(
    export, stream: str, line: str, message: str
) -> None:
    good = {"records": a_record("L-1"), "activities": an_activity("a-1")}
    path = export(**{stream: [good[stream], line]})
    with pytest.raises(DataError) as caught:
        pull_all(make_adapter(path))
    assert message in str(caught.value)
    assert caught.value.exit_code == 2


def test_bad_user_lines_are_reported_by_pull_users(export) -> None:
    path = export(users=[{"id": "u-1"}, {"name": "nobody"}, {"id": "u-3", "time_zone": "Mars/Base"}])
    with pytest.raises(DataError) as caught:
        make_adapter(path).pull_users()
    assert 'users.jsonl:2: missing "id"' in str(caught.value)
    assert 'users.jsonl:3: time_zone "Mars/Base" is not an IANA time zone' in str(caught.value)


def test_all_bad_lines_are_collected_and_the_first_twenty_listed(export) -> None:
    bad_records = [a_record(f"L-{i}", created_at="yesterday") for i in range(24)]
    path = export(records=["", *bad_records], activities=["not json"])
    with pytest.raises(DataError) as caught:
        pull_all(make_adapter(path))
    text = str(caught.value)
    assert text.startswith("25 bad line(s) in the export")
    assert "records.jsonl:2: " in text and "records.jsonl:21: " in text
    assert "records.jsonl:22: " not in text
    assert "... and 5 more" in text


def test_a_csv_row_with_more_cells_than_the_header_is_a_bad_line(tmp_path: Path) -> None:
    (tmp_path / "records.csv").write_text("id,module\nL-1,Leads\nL-2,Leads,surprise\n", encoding="utf-8")
    (tmp_path / "users.csv").write_text("id\n", encoding="utf-8")
    (tmp_path / "activities.csv").write_text("id\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"records.csv:3: has more cells than the 2 header columns"):
        pull_all(make_adapter(tmp_path))


def test_bad_activities_stop_the_pull_before_any_batch_is_yielded(export) -> None:
    path = export(records=[a_record("L-1")], activities=["{oops"])
    pull = make_adapter(path).pull({})
    with pytest.raises(DataError):
        next(pull)


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "users.jsonl", [])
    write_jsonl(
        tmp_path / "records.jsonl", ["", a_record("L-1"), "   ", '{"id": 5, "module": "Leads", "x": 1}']
    )
    write_jsonl(tmp_path / "activities.jsonl", ["", "", "{"])
    with pytest.raises(DataError, match=r"activities.jsonl:3: not valid JSON"):
        pull_all(make_adapter(tmp_path))
    write_jsonl(tmp_path / "activities.jsonl", [])
    _, records, _ = pull_all(make_adapter(tmp_path))
    assert [r.id for r in records] == ["L-1", "5"]
    assert records[1].extra == {"x": 1}
