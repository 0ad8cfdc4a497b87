"""Field paths and value conversion: JSON items → domain models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters.webhook.mapping import Mapper, cursor_key, parse_timestamp, search
from connector.domain import ActivityKind, Module
from connector.errors import CrmApiError

SHANGHAI = ZoneInfo("Asia/Shanghai")
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
        pytest.param("2026-11-20", datetime(2026, 11, 19, 16, tzinfo=UTC), id="date-only"),
        pytest.param(1764000000, datetime(2025, 11, 24, 16, 0, tzinfo=UTC), id="epoch-seconds"),
        pytest.param("1764000000", datetime(2025, 11, 24, 16, 0, tzinfo=UTC), id="epoch-text"),
        pytest.param(1764000000123, datetime(2025, 11, 24, 16, 0, 0, 123000, tzinfo=UTC), id="epoch-ms"),
        pytest.param(None, None, id="missing"),
        pytest.param("", None, id="empty"),
    ],
)
def test_parse_timestamp(value: Any, expected: datetime | None) -> None:
    assert parse_timestamp(value, SHANGHAI) == expected


@pytest.mark.parametrize("value", ["next tuesday", True, {"at": 1}])
def test_parse_timestamp_rejects(value: Any) -> None:
    with pytest.raises(ValueError, match="not"):
        parse_timestamp(value, SHANGHAI)


def test_cursor_key_orders_instants_not_text() -> None:
    values = ["2026-11-20T10:00:00+08:00", "2026-11-20T03:00:00Z", "1763600000"]
    assert max(values, key=cursor_key) == "2026-11-20T03:00:00Z"


def mapper(**fields: str) -> Mapper:
    return Mapper("acme", SHANGHAI, records={"id": "id", **fields})


def test_record_mapping_fills_domain_fields_and_extra() -> None:
    record = mapper(
        module="'Deals'",
        owner_id="owner.id",
        assigned_at="owner.assigned_at",
        emails="contacts[*].email",
        phone="contacts[*].phone",
        tax_id='"custom-fields"."tax no"',
        tags="labels",
        priority="priority",
        region="'east'",
    ).to_record(ITEM)
    assert record.id == "42" and record.module is Module.DEALS and record.owner_id == "u-1"
    assert record.assigned_at == datetime(2026, 11, 20, 9, tzinfo=timezone(timedelta(hours=8)))
    assert record.emails == ("a@x.cn", "b@x.cn") and record.phones == ("+86 1",)
    assert record.tax_id == "9131" and record.tags == ("vip", "hot")
    assert record.extra == {"region": "east"}  # unknown keys go to extra; missing ones are left out
    assert record.company is None


@pytest.mark.parametrize("raw", ["Leads", "lead", "LEADS", "leads"])
def test_module_names_are_forgiving(raw: str) -> None:
    assert mapper(module="kind").to_record({"id": 1, "kind": raw}).module is Module.LEADS


def test_bad_values_name_the_config_key() -> None:
    with pytest.raises(
        CrmApiError, match=r"records item 1: module \"Tickets\" is not a module.*fields.module"
    ):
        mapper(module="kind").to_record({"id": 1, "kind": "Tickets"})
    with pytest.raises(CrmApiError, match=r"records item 1: created_at .*fields.created_at"):
        mapper(created_at="c").to_record({"id": 1, "c": "soon"})
    with pytest.raises(CrmApiError, match="a records item has no id"):
        mapper().to_record({"name": "x"})


def test_activity_mapping_with_kinds_and_completion() -> None:
    m = Mapper(
        "acme",
        SHANGHAI,
        activities={
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
    call = m.to_activity({**base, "type": "phone_call", "status": "done"})
    assert (call.kind, call.completed, call.record.id, call.record.module) == (
        ActivityKind.CALL,
        True,
        "7",
        Module.LEADS,
    )
    assert m.to_activity({**base, "type": "meeting", "status": "planned"}).completed is False
    assert m.to_activity({**base, "type": "wechat"}).kind is ActivityKind.TASK
    with pytest.raises(CrmApiError, match="occurred_at is missing"):
        m.to_activity({**base, "at": None})


def test_user_mapping() -> None:
    m = Mapper(
        "acme", SHANGHAI, users={"id": "id", "name": "n", "active": "state", "teams": "groups[*].name"}
    )
    user = m.to_user({"id": "u-1", "n": "Li Na", "state": "inactive", "groups": [{"name": "east"}]})
    assert (user.id, user.name, user.active, user.teams) == ("u-1", "Li Na", False, ("east",))
    with pytest.raises(CrmApiError, match='active "maybe" is not a yes/no value'):
        m.to_user({"id": "u-2", "state": "maybe"})
