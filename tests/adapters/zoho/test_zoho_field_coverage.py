"""Every Zoho key the parser reads is a key the adapter asks Zoho for.

Real Zoho v8 returns only the fields named in ``fields`` (plus ``id``). A key the parser reads but
never requests is always missing in production, silently: that is how every activity was once
dropped (``$se_module`` was read, never requested). This test feeds the parser records that hold
every field a module has, in many shapes (hypothesis), records every key it reads, and checks
each one is in that module's ``fields`` list, which must stay within Zoho's 50-field limit.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fake_zoho_org import SCHEMA
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.zoho.activities import ACTIVITY_FIELDS, to_activities
from adapters.zoho.bulk_wire import bulk_fields
from adapters.zoho.config import MAPPABLE_FIELDS
from adapters.zoho.wire import MAX_FIELDS, fields_for, to_record
from connector.domain import Module

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
# Every domain field mapped to a custom Zoho field: the longest field list a config can produce.
ALL_MAPPED = {key: f"Custom_{key.title()}__c" for key in sorted(MAPPABLE_FIELDS)}


class ReadRecorder(dict[str, Any]):
    """A record that remembers every key the parser looked at."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        super().__init__(data)
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)

    def __iter__(self) -> Iterator[str]:
        raise AssertionError("the parser must read named keys, not iterate a record")


def _value(key: str, draw: st.DrawFn) -> Any:
    """A value of the shape Zoho sends for ``key``, sometimes empty."""
    if draw(st.booleans()) and key != "id":
        return None
    if key in ("Owner", "Modified_By", "Created_By", "What_Id", "Who_Id", "Account_Name", "Contact_Name"):
        return {"id": str(draw(st.integers(1, 10**6))), "name": "x"}
    if key.endswith(("_Time", "_DateTime")) or key in ("Call_Start_Time",):
        return (NOW + timedelta(hours=draw(st.integers(-500, 500)))).isoformat()
    if key in ("Due_Date", "Closing_Date"):
        return (NOW + timedelta(days=draw(st.integers(-30, 30)))).date().isoformat()
    if key in ("Converted__s", "$event_cancelled"):
        return draw(st.booleans())
    if key == "$se_module":
        return draw(st.sampled_from(["Leads", "Accounts", "Deals", "Contacts", "Cases"]))
    if key == "Tag":
        return [{"name": draw(st.sampled_from(["VIP", "referee:conflict"])), "id": "1"}]
    if key in ("Outgoing_Call_Status", "Call_Status"):
        return draw(st.sampled_from(["Completed", "Scheduled", "Overdue", "Cancelled", ""]))
    if key == "Call_Type":
        return draw(st.sampled_from(["Outbound", "Inbound", "Missed"]))
    if key == "Status":
        return draw(st.sampled_from(["Completed", "Not Started", "Deferred"]))
    return draw(st.text(max_size=5))


@st.composite
def full_records(draw: st.DrawFn, module: str, extra: tuple[str, ...] = ()) -> ReadRecorder:
    keys = sorted(SCHEMA[module] | set(extra))
    return ReadRecorder({key: _value(key, draw) for key in keys} | {"id": str(draw(st.integers(1, 10**9)))})


@pytest.mark.parametrize("module", [m for m in Module], ids=str)
@pytest.mark.parametrize("overrides", [{}, ALL_MAPPED], ids=["default-fields", "every-field-mapped"])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_record_parser_reads_only_requested_fields(module: Module, overrides: dict[str, str], data: Any) -> None:
    fields = fields_for(module, overrides)
    assert len(fields) <= MAX_FIELDS
    raw = data.draw(full_records(module.value, tuple(overrides.values())))
    to_record("zoho", module, raw, overrides, integration_user_id="1")
    assert raw.read <= {*fields, "id"}, f"{module} parser reads {sorted(raw.read - {*fields, 'id'})} unrequested"


@pytest.mark.parametrize("module", sorted(ACTIVITY_FIELDS))
@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_activity_parser_reads_only_requested_fields(module: str, data: Any) -> None:
    fields = ACTIVITY_FIELDS[module]
    assert len(fields) <= MAX_FIELDS and len(set(fields)) == len(fields)
    raw = data.draw(full_records(module))
    to_activities("zoho", module, raw, now=NOW, default_tz="UTC", modules=list(Module))
    assert raw.read <= {*fields, "id"}, f"{module} parser reads {sorted(raw.read - {*fields, 'id'})} unrequested"


@pytest.mark.parametrize("module", [*(m.value for m in Module), *ACTIVITY_FIELDS])
def test_bulk_read_asks_for_everything_get_records_asks_for(module: str) -> None:
    """The CSV path feeds the same parser, so its column list must cover the same keys."""
    fields = ACTIVITY_FIELDS.get(module) or fields_for(Module(module), {})
    assert set(fields) <= set(bulk_fields(module, fields))


def test_the_known_activity_links_are_requested() -> None:
    """The regression that dropped every activity: ``$se_module`` says what ``What_Id`` points at."""
    for module in ("Calls", "Events", "Tasks"):
        assert {"What_Id", "$se_module", "Who_Id", "Owner"} <= set(ACTIVITY_FIELDS[module])
    assert {"Outgoing_Call_Status", "Call_Type"} <= set(ACTIVITY_FIELDS["Calls"])
    assert "$event_cancelled" in ACTIVITY_FIELDS["Events"]
    assert {"Status", "Closed_Time"} <= set(ACTIVITY_FIELDS["Tasks"])
    assert "Converted__s" in fields_for(Module.LEADS, {})
