"""Field paths and value conversion: JSON items → domain models, and what happens when they fail."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.webhook.fieldpath import PathError, search
from adapters.webhook.mapping import ActivityMapper, BadItemError, Context, RecordMapper, UserMapper
from adapters.webhook.values import cursor_key, parse_timestamp
from connector.domain import ECHO_MARK, ActivityKind, Module, Record, RecordRef

SHANGHAI = ZoneInfo("Asia/Shanghai")
CTX = Context("acme", SHANGHAI)
ITEM: dict[str, Any] = {
    "id": 42,
    "owner": {"id": "u-1", "assigned_at": "2026-11-20T09:00:00"},
    "contacts": [
        {"email": "a@x.cn", "phone": "+86 1"},
        {"email": "b@x.cn", "phone": None},
    ],
    "custom-fields": {"tax no": "9131"},
    "labels": "vip, hot",
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        pytest.param("owner.id", "u-1", id="nested"),
        pytest.param("contacts[0].email", "a@x.cn", id="list-index"),
        pytest.param("contacts[-1].email", "b@x.cn", id="negative-index"),
        pytest.param("contacts[*].email", ["a@x.cn", "b@x.cn"], id="projection"),
        pytest.param("'Leads'", "Leads", id="quoted-literal"),
        pytest.param('"custom-fields"."tax no"', "9131", id="quoted-keys"),
        pytest.param("owner.name", None, id="missing-key"),
        pytest.param("contacts[5].email", None, id="missing-index"),
        pytest.param("id.deeper", None, id="through-a-scalar"),
    ],
)
def test_field_paths(path: str, expected: Any) -> None:
    assert search(path, ITEM) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("2026-11-20T09:00:00Z", datetime(2026, 11, 20, 9, tzinfo=UTC), id="iso-z"),
        pytest.param("2026-11-20T17:00:00+08:00", datetime(2026, 11, 20, 9, tzinfo=UTC), id="iso-offset"),
        pytest.param("2026-11-20T17:00:00", datetime(2026, 11, 20, 9, tzinfo=UTC), id="naive-is-default-tz"),
        pytest.param("2026-11-20 17:00:00", datetime(2026, 11, 20, 9, tzinfo=UTC), id="naive-with-space"),
        pytest.param("2013-05-07T22:07:19.000+0000", datetime(2013, 5, 7, 22, 7, 19, tzinfo=UTC), id="salesforce"),
        pytest.param("2026-11-20", datetime(2026, 11, 19, 16, tzinfo=UTC), id="date-only"),
        pytest.param(1764000000, datetime(2025, 11, 24, 16, 0, tzinfo=UTC), id="epoch-seconds"),
        pytest.param("1764000000", datetime(2025, 11, 24, 16, 0, tzinfo=UTC), id="epoch-text"),
        pytest.param(1764000000123, datetime(2025, 11, 24, 16, 0, 0, 123000, tzinfo=UTC), id="epoch-ms"),
        pytest.param("1764000000123", datetime(2025, 11, 24, 16, 0, 0, 123000, tzinfo=UTC), id="epoch-ms-text"),
        pytest.param(None, None, id="missing"),
        pytest.param("", None, id="empty"),
    ],
)
def test_parse_timestamp(value: Any, expected: datetime | None) -> None:
    assert parse_timestamp(value, SHANGHAI) == expected


@pytest.mark.parametrize(
    "value",
    [
        "next tuesday",
        True,
        {"at": 1},
        99999999999999999999,
        "99999999999999999999",
        "9" * 5000,
        1e308,
        float("inf"),
        -(10**30),
    ],
)
def test_parse_timestamp_rejects_with_a_value_error(value: Any) -> None:
    with pytest.raises(ValueError, match=r"not|out of range"):
        parse_timestamp(value, SHANGHAI)


@given(st.one_of(st.integers(), st.floats(allow_nan=True), st.text(), st.booleans(), st.none()))
def test_parse_timestamp_never_raises_anything_else(value: Any) -> None:
    with contextlib.suppress(ValueError):
        parse_timestamp(value, SHANGHAI)


def test_cursor_key_orders_instants_not_text() -> None:
    values = ["2026-11-20T10:00:00+08:00", "2026-11-20T03:00:00Z", "1763600000"]
    assert max(values, key=cursor_key) == "2026-11-20T03:00:00Z"


def mapper(owners: str = "first", ctx: Context = CTX, **fields: str) -> RecordMapper:
    return RecordMapper(ctx, {"id": "id", **fields}, owners=owners)  # type: ignore[arg-type]


def record(found: Record | RecordRef) -> Record:
    assert isinstance(found, Record)
    return found


def test_record_mapping_fills_domain_fields_and_extra() -> None:
    found = record(
        mapper(
            module="'Deals'",
            owner_id="owner.id",
            assigned_at="owner.assigned_at",
            emails="contacts[*].email",
            phone="contacts[*].phone",
            tax_id='"custom-fields"."tax no"',
            tags="labels",
            priority="priority",
            region="'east'",
        ).read(ITEM)
    )
    assert found.id == "42" and found.module is Module.DEALS and found.owner_id == "u-1"
    assert found.assigned_at == datetime(2026, 11, 20, 9, tzinfo=timezone(timedelta(hours=8)))
    assert found.emails == ("a@x.cn", "b@x.cn") and found.phones == ("+86 1",)
    assert found.tax_id == "9131" and found.tags == ("vip", "hot")
    assert found.extra == {"region": "east"}  # unknown keys go to extra; missing ones are left out
    assert found.company is None


@pytest.mark.parametrize("raw", ["Leads", "lead", "LEADS", "leads"])
def test_module_names_are_forgiving(raw: str) -> None:
    assert record(mapper(module="kind").read({"id": 1, "kind": raw})).module is Module.LEADS


def test_endpoint_module_is_the_default() -> None:
    contacts = RecordMapper(CTX, {"id": "Id"}, module=Module.CONTACTS)
    assert record(contacts.read({"Id": "003"})).module is Module.CONTACTS


def test_bad_values_name_the_item_field_and_key() -> None:
    with pytest.raises(BadItemError, match=r"records item 1: module \"Tickets\" is not a module.*fields.module"):
        mapper(module="kind").read({"id": 1, "kind": "Tickets"})
    with pytest.raises(BadItemError, match=r"records item 1: created_at .*fields.created_at"):
        mapper(created_at="c").read({"id": 1, "c": "soon"})
    with pytest.raises(BadItemError, match=r"records item 1: created_at 99999999999999999999 is out of range"):
        mapper(created_at="c").read({"id": 1, "c": 99999999999999999999})
    with pytest.raises(BadItemError, match="a records item has no id"):
        mapper().read({"name": "x"})


@pytest.mark.parametrize(
    ("path", "item"),
    [
        pytest.param("join(', ', tags)", {"id": 7, "tags": None}, id="function-on-null"),
        pytest.param("length(tags)", {"id": 7, "tags": 3}, id="length-of-a-number"),
        pytest.param("starts_with(name, 'A')", {"id": 7, "name": 5}, id="string-function-on-a-number"),
        pytest.param("sum(amounts)", {"id": 7, "amounts": ["1", "x"]}, id="sum-of-text"),
    ],
)
def test_a_path_that_fails_on_an_item_names_record_field_and_expression(path: str, item: Any) -> None:
    with pytest.raises(BadItemError) as info:
        mapper(company=path).read(item)
    message = str(info.value)
    assert "records item 7: field company" in message and f'"{path}" failed' in message
    assert "read.records.fields.company" in message


def test_a_failing_id_path_says_there_is_no_id_yet() -> None:
    with pytest.raises(BadItemError, match=r"item \(no id yet\): field id: path \"join"):
        RecordMapper(CTX, {"id": "join('-', parts)"}).read({"parts": None})


def test_path_errors_carry_the_expression() -> None:
    with pytest.raises(PathError) as info:
        search("abs(name)", {"name": "x"})
    assert info.value.expression == "abs(name)"


@pytest.mark.parametrize(
    ("owners", "value", "expected"),
    [
        pytest.param("first", ["u-1", "u-2"], ("u-1", ()), id="first-of-a-list"),
        pytest.param("all", ["u-1", "u-2", "u-1"], ("u-1", ("u-2",)), id="all-deduplicated"),
        pytest.param("all", "u-1;u-2", ("u-1", ("u-2",)), id="semicolon-list-hubspot"),
        pytest.param("all", "u-1", ("u-1", ()), id="single"),
        pytest.param("all", [], (None, ()), id="none"),
    ],
)
def test_owner_lists(owners: str, value: Any, expected: tuple[str | None, tuple[str, ...]]) -> None:
    found = record(mapper(owners, owner_id="assignees").read({"id": 1, "assignees": value}))
    assert (found.owner_id, found.co_owner_ids) == expected
    assert found.owner_ids == tuple(x for x in (expected[0], *expected[1]) if x)


def test_deleted_flag_gives_a_reference_not_a_record() -> None:
    gone = RecordMapper(CTX, {"id": "id"}, deleted="is_archived", module=Module.LEADS)
    assert gone.read({"id": "L-1", "is_archived": True}) == RecordRef(adapter="acme", module=Module.LEADS, id="L-1")
    assert isinstance(gone.read({"id": "L-2", "is_archived": False}), Record)


def test_changes_by_the_integration_user_carry_the_echo_mark() -> None:
    me = Context("acme", SHANGHAI, integration_user="005-BOT")
    m = mapper(ctx=me, modified_by="LastModifiedById")
    assert record(m.read({"id": 1, "LastModifiedById": "005-BOT"})).extra == {ECHO_MARK: True}
    assert record(m.read({"id": 2, "LastModifiedById": "005-REP"})).extra == {}


def test_activity_mapping_with_kinds_and_completion() -> None:
    m = ActivityMapper(
        CTX,
        {
            "id": "id",
            "record_id": "lead.id",
            "owner_id": "by",
            "kind": "type",
            "occurred_at": "at",
            "completed": "status",
        },
        kinds={"Phone_Call": "call"},
    )
    base = {"id": "a1", "lead": {"id": 7}, "by": "u-1", "at": 1764000000}
    call = m.read({**base, "type": "phone_call", "status": "done"}).activity
    assert (call.kind, call.completed, call.record.id, call.record.module) == (
        ActivityKind.CALL,
        True,
        "7",
        Module.LEADS,
    )
    assert m.read({**base, "type": "meeting", "status": "planned"}).activity.completed is False
    assert m.read({**base, "type": "wechat"}).activity.kind is ActivityKind.TASK
    with pytest.raises(BadItemError, match="occurred_at is missing"):
        m.read({**base, "at": None})


def test_per_record_activity_belongs_to_its_parent() -> None:
    m = ActivityMapper(CTX, {"id": "id", "occurred_at": "dateStart", "text": "description", "created_by": "by"})
    parent = RecordRef(adapter="acme", module=Module.CONTACTS, id="C-9")
    mapped = m.read({"id": "c1", "dateStart": "2026-11-20 09:00:00", "description": "hi", "by": "u"}, parent)
    assert mapped.activity.record == parent
    assert mapped.activity.occurred_at == datetime(2026, 11, 20, 1, tzinfo=UTC)  # naive → Asia/Shanghai
    assert (mapped.text, mapped.created_by) == ("hi", "u")


def test_user_mapping() -> None:
    m = UserMapper(CTX, {"id": "id", "name": "n", "active": "state", "teams": "groups[*].name"})
    user = m.read({"id": "u-1", "n": "Li Na", "state": "inactive", "groups": [{"name": "east"}]})
    assert (user.id, user.name, user.active, user.teams) == ("u-1", "Li Na", False, ("east",))
    with pytest.raises(BadItemError, match='active "maybe" is not a yes/no value'):
        m.read({"id": "u-2", "state": "maybe"})
