"""Zoho Calls, Events (meetings) and Tasks → :class:`Activity`, and what "done" means. Pure.

A rule counts an activity only when ``completed`` is true, so this module decides what a rep
really did:

- **Calls**: the call's status (``Outgoing_Call_Status``, or ``Call_Status`` where an org has it)
  decides first: ``Completed`` is done; ``Scheduled``, ``Overdue`` and ``Cancelled`` are not a
  contact. A ``Missed`` call (``Call_Type``) is not a contact either. A logged call without a
  status (inbound calls, older data) is done once its ``Call_Start_Time`` has passed.
- **Events**: never when ``$event_cancelled`` is true; otherwise done once ``Start_DateTime`` passed.
- **Tasks**: done when ``Status`` is ``Completed`` or ``Closed_Time`` is set (at ``Closed_Time``);
  an open task is dated by its ``Due_Date``.

An activity links to its record through ``What_Id`` + ``$se_module`` (a Lead, Account or Deal)
and to the Contact in ``Who_Id``; the Contact link gets the id ``<id>:who``.
Sources: Zoho's SDK field lists (``zohocrm-python-sdk-8.0`` ``record/field.py``: Calls
``Outgoing_Call_Status``, ``Call_Type``; Tasks ``Status``, ``Closed_Time``), the Cancel Meeting
page (https://www.zoho.com/crm/developer/docs/api/v8/meeting-cancel.html: "refer to the
$event_cancelled key in the response from the GET Meetings API").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from adapters.zoho.wire import is_true, lookup_id, parse_time
from connector.domain import Activity, ActivityKind, Module, RecordRef

_LINKS = ("Owner", "What_Id", "$se_module", "Who_Id", "Created_Time", "Modified_Time")
ACTIVITY_FIELDS: Mapping[str, tuple[str, ...]] = {
    "Calls": (*_LINKS, "Call_Start_Time", "Call_Type", "Outgoing_Call_Status", "Call_Status"),
    "Events": (*_LINKS, "Start_DateTime", "End_DateTime", "$event_cancelled"),
    "Tasks": (*_LINKS, "Status", "Due_Date", "Closed_Time"),
}
"""What Get Records (and Bulk Read) must be asked for: Zoho returns only the fields named."""

OPTIONAL_FIELDS: Mapping[str, frozenset[str]] = {
    "Calls": frozenset({"Call_Status"}),
    "Events": frozenset({"$event_cancelled"}),
}
"""Fields an org may not have: when Zoho refuses one by name, the pull drops it and goes on."""

ACTIVITY_KINDS: Mapping[str, ActivityKind] = {
    "Calls": ActivityKind.CALL,
    "Events": ActivityKind.MEETING,
    "Tasks": ActivityKind.TASK,
}
CALL_DONE = frozenset({"completed"})
CALL_NOT_A_CONTACT = frozenset({"scheduled", "overdue", "cancelled", "canceled"})


def activity_ids(raw: Mapping[str, Any]) -> tuple[str, str]:
    """Every id one Zoho activity can be stored under: its own and its Contact link's."""
    return str(raw["id"]), f"{raw['id']}:who"


def _parent_refs(adapter: str, raw: Mapping[str, Any], wanted: frozenset[Module]) -> list[RecordRef]:
    """What the activity is about: ``What_Id`` (+ ``$se_module``) first, then ``Who_Id`` (a Contact)."""
    refs: list[RecordRef] = []
    what_id = lookup_id(raw.get("What_Id"))
    se_module = raw.get("$se_module")
    if what_id and se_module in {m.value for m in wanted}:
        refs.append(RecordRef(adapter=adapter, module=Module(se_module), id=what_id))
    who_id = lookup_id(raw.get("Who_Id"))
    if who_id and Module.CONTACTS in wanted:
        ref = RecordRef(adapter=adapter, module=Module.CONTACTS, id=who_id)
        if ref not in refs:
            refs.append(ref)
    return refs


def _due_date(value: Any, tz: ZoneInfo) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        return datetime.combine(date.fromisoformat(value), time(0), tzinfo=tz)
    except ValueError:
        return None


def _text(value: Any) -> str:
    return str(value or "").strip().lower()


def call_outcome(raw: Mapping[str, Any], now: datetime) -> tuple[datetime | None, bool]:
    """When the call happened (or is planned) and whether it was a contact."""
    occurred = parse_time(raw.get("Call_Start_Time")) or parse_time(raw.get("Created_Time"))
    status = _text(raw.get("Outgoing_Call_Status")) or _text(raw.get("Call_Status"))
    if status in CALL_DONE:
        return occurred, occurred is not None and occurred <= now
    if status in CALL_NOT_A_CONTACT or _text(raw.get("Call_Type")) == "missed":
        return occurred, False
    return occurred, occurred is not None and occurred <= now


def event_outcome(raw: Mapping[str, Any], now: datetime) -> tuple[datetime | None, bool]:
    occurred = parse_time(raw.get("Start_DateTime")) or parse_time(raw.get("Created_Time"))
    if is_true(raw.get("$event_cancelled")):
        return occurred, False
    return occurred, occurred is not None and occurred <= now


def task_outcome(raw: Mapping[str, Any], tz: ZoneInfo) -> tuple[datetime | None, bool]:
    closed = parse_time(raw.get("Closed_Time"))
    completed = _text(raw.get("Status")) == "completed" or closed is not None
    due = _due_date(raw.get("Due_Date"), tz)
    occurred = (closed if completed else due) or closed or due or parse_time(raw.get("Created_Time"))
    return occurred, completed


def to_activities(
    adapter: str,
    activity_module: str,
    raw: Mapping[str, Any],
    *,
    now: datetime,
    default_tz: str,
    modules: Sequence[Module],
) -> list[Activity]:
    """One Call/Event/Task → an Activity per linked record (none when linked to nothing we track)."""
    kind = ACTIVITY_KINDS[activity_module]
    if activity_module == "Calls":
        occurred, completed = call_outcome(raw, now)
    elif activity_module == "Events":
        occurred, completed = event_outcome(raw, now)
    else:
        occurred, completed = task_outcome(raw, ZoneInfo(default_tz))
    if occurred is None:
        return []
    own_id, who_id = activity_ids(raw)
    owner = lookup_id(raw.get("Owner"))
    return [
        Activity(
            id=own_id if i == 0 else who_id,
            adapter=adapter,
            record=ref,
            owner_id=owner,
            kind=kind,
            occurred_at=occurred,
            completed=completed,
        )
        for i, ref in enumerate(_parent_refs(adapter, raw, frozenset(modules)))
    ]
