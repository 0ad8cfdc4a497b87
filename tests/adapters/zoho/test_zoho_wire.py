"""Pure mapping and classification (``adapters/zoho/wire.py``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from zoho_support import NOW, load

from adapters.zoho import wire
from adapters.zoho.activities import to_activities
from adapters.zoho.wire import Outcome, classify
from connector.domain import ActivityKind, Module, RecordRef

IST = timezone(timedelta(hours=5, minutes=30))
BOT = "554023000000299999"


def test_lead_maps_owner_times_contacts_tags_and_mapped_fields() -> None:
    raw = load("leads_page")["data"][0]
    record = wire.to_record("zoho", Module.LEADS, raw, {"tax_id": "Tax_ID"}, integration_user_id=BOT)
    assert record.owner_id == "554023000000235011"
    assert record.created_at == datetime(2025, 2, 27, 10, 2, 11, tzinfo=IST)
    assert record.modified_at == datetime(2025, 3, 1, 9, 15, 42, tzinfo=IST)
    assert (record.status, record.company, record.first_name, record.last_name) == (
        "Contacted",
        "Zylker Ltd",
        "Christopher",
        "Maclead",
    )
    assert record.emails == ("christopher-maclead@zylker.com",)
    assert record.phones == ("+1-555-555-5555", "555-555-5555")
    assert (record.website, record.country, record.city, record.tax_id) == (
        "https://www.zylker.com",
        "United States",
        "Chicago",
        "US-99-1234567",
    )
    assert record.tags == ("Trade show",)
    assert record.assigned_at is None
    assert record.extra == {"modified_by_id": "554023000000235011"}


def test_field_mapping_overrides_default_and_feeds_assigned_at() -> None:
    raw = {
        **load("leads_page")["data"][0],
        "Country_Code": "US",
        "Assigned_Time__c": "2025-02-28T09:00:00+00:00",
    }
    record = wire.to_record(
        "zoho", Module.LEADS, raw, {"country": "Country_Code", "assigned_at": "Assigned_Time__c"}
    )
    assert record.country == "US"
    assert record.assigned_at == datetime(2025, 2, 28, 9, tzinfo=UTC)
    assert "Country_Code" in wire.fields_for(Module.LEADS, {"country": "Country_Code"})
    assert "Country" not in wire.fields_for(Module.LEADS, {"country": "Country_Code"})


def test_record_modified_by_the_integration_user_is_marked_for_echo_suppression() -> None:
    raw = load("leads_page")["data"][1]
    record = wire.to_record("zoho", Module.LEADS, raw, {}, integration_user_id=BOT)
    assert record.extra["modified_by_integration"] is True
    assert record.emails == ("james@chemel.com", "jmerced@gmail.com")


def test_contact_takes_account_lookup_as_account_and_company() -> None:
    record = wire.to_record("zoho", Module.CONTACTS, load("contacts_page")["data"][0], {})
    assert record.account_id == "554023000000545001"
    assert record.company == "King (Sample)"
    assert (record.country, record.city) == ("United States", "Baltimore")


def test_fields_list_is_explicit_and_capped_at_fifty() -> None:
    fields = wire.fields_for(Module.DEALS, {})
    assert fields[:5] == ["Owner", "Created_Time", "Modified_Time", "Modified_By", "Tag"]
    assert {"Stage", "Deal_Name", "Account_Name"} <= set(fields)
    too_many = {key: f"X{i}" for i, key in enumerate(sorted(wire.DEFAULT_FIELDS[Module.LEADS]))}
    assert len(wire.fields_for(Module.LEADS, too_many)) < wire.MAX_FIELDS
    with pytest.raises(ValueError, match="at most 50"):
        wire.fields_for(Module.LEADS, {f"k{i}": f"F{i}" for i in range(50)})


def test_calls_link_through_what_id_and_who_id() -> None:
    calls = load("calls_page")["data"]
    done = to_activities("zoho", "Calls", calls[0], now=NOW, default_tz="UTC", modules=list(Module))
    assert [(a.id, a.record, a.kind, a.completed) for a in done] == [
        (
            "554023000000600001",
            RecordRef(adapter="zoho", module=Module.LEADS, id="554023000000536001"),
            ActivityKind.CALL,
            True,
        )
    ]
    assert done[0].occurred_at == datetime(2025, 3, 1, 10, 30, tzinfo=IST)
    deal_call = to_activities("zoho", "Calls", calls[1], now=NOW, default_tz="UTC", modules=list(Module))
    assert [(a.id, a.record.module, a.completed) for a in deal_call] == [
        ("554023000000600002", Module.DEALS, False),  # scheduled in the future: not done yet
        ("554023000000600002:who", Module.CONTACTS, False),
    ]
    assert to_activities("zoho", "Calls", calls[2], now=NOW, default_tz="UTC", modules=list(Module)) == []


def test_activity_on_untracked_module_is_dropped() -> None:
    call = load("calls_page")["data"][0]
    assert to_activities("zoho", "Calls", call, now=NOW, default_tz="UTC", modules=[Module.DEALS]) == []


@pytest.mark.parametrize(
    ("fixture", "index", "kind", "occurred", "completed"),
    [
        pytest.param(
            "events_page",
            0,
            ActivityKind.MEETING,
            datetime(2025, 3, 5, 15, 0, tzinfo=IST),
            False,
            id="future-meeting",
        ),
        pytest.param(
            "tasks_page",
            0,
            ActivityKind.TASK,
            datetime(2025, 3, 1, 17, 20, tzinfo=IST),
            True,
            id="completed-task-uses-closed-time",
        ),
        pytest.param(
            "tasks_page",
            1,
            ActivityKind.TASK,
            datetime(2025, 3, 4, tzinfo=UTC),
            False,
            id="open-task-uses-due-date",
        ),
    ],
)
def test_events_and_tasks(
    fixture: str, index: int, kind: ActivityKind, occurred: datetime, completed: bool
) -> None:
    raw = load(fixture)["data"][index]
    module = "Events" if fixture.startswith("events") else "Tasks"
    [activity] = to_activities("zoho", module, raw, now=NOW, default_tz="UTC", modules=list(Module))
    assert (activity.kind, activity.occurred_at, activity.completed) == (kind, occurred, completed)


def test_users_keep_status_and_time_zone() -> None:
    users = [wire.to_user(u) for u in load("users")["users"]]
    assert [(u.id, u.name, u.active, u.time_zone) for u in users] == [
        ("554023000000235011", "Patricia Boyle", True, "America/Chicago"),
        ("554023000000235022", "Kris Marrier", False, "Asia/Kolkata"),
    ]


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        pytest.param(200, load("leads_page"), Outcome.OK, id="200-data"),
        pytest.param(304, {}, Outcome.NOT_MODIFIED, id="304-not-modified"),
        pytest.param(204, {}, Outcome.EMPTY, id="204-empty"),
        pytest.param(401, load("error_invalid_token"), Outcome.TOKEN_EXPIRED, id="401-invalid-token"),
        pytest.param(401, load("error_scope_mismatch"), Outcome.SCOPE, id="401-scope-mismatch"),
        pytest.param(200, load("token_access_denied"), Outcome.TOKEN_THROTTLED, id="200-access-denied"),
        pytest.param(200, load("token_invalid_client"), Outcome.AUTH, id="200-invalid-client"),
        pytest.param(400, load("error_limit_reached"), Outcome.ERROR, id="400-limit-reached-is-per-endpoint"),
        pytest.param(429, load("error_credits_exhausted"), Outcome.CREDITS, id="429-24-hour-credits"),
        pytest.param(429, load("error_too_many_requests"), Outcome.ERROR, id="429-concurrency-is-short-term"),
        pytest.param(400, load("error_pagination_limit"), Outcome.RESTART_CHAIN, id="400-page-token-cap"),
        pytest.param(
            403,
            {"code": "NO_PERMISSION", "message": "permission denied", "status": "error"},
            Outcome.ERROR,
            id="403-no-permission",
        ),
        pytest.param(202, load("change_owner_202_mixed"), Outcome.OK, id="202-mixed-is-read-per-item"),
    ],
)
def test_classify(status: int, body: object, outcome: Outcome) -> None:
    assert classify(status, body).outcome is outcome


def test_item_outcomes_read_every_status() -> None:
    outcomes = wire.item_outcomes(load("change_owner_202_mixed"))
    assert [(o.record_id, o.ok, o.code) for o in outcomes] == [
        ("554023000000536001", True, "SUCCESS"),
        ("554023000000536002", False, "INVALID_DATA"),
    ]


def test_token_expiry_in_milliseconds_when_expires_in_sec_present() -> None:
    token = wire.parse_token(
        {"access_token": "a", "expires_in": 3600000, "expires_in_sec": 3600}, NOW, "https://www.zohoapis.eu"
    )
    assert token.expires_at == NOW + timedelta(hours=1)
    assert token.api_domain == "https://www.zohoapis.eu"


def _activity(module: str, **fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "id": "7001",
        "Owner": {"id": "554023000000235011", "name": "Ann"},
        "What_Id": {"id": "554023000000536001", "name": "Lead"},
        "$se_module": "Leads",
        "Who_Id": None,
        "Created_Time": (NOW - timedelta(days=2)).isoformat(),
    }
    return base | fields


PAST, FUTURE = (NOW - timedelta(hours=2)).isoformat(), (NOW + timedelta(hours=2)).isoformat()


@pytest.mark.parametrize(
    ("module", "fields", "completed"),
    [
        pytest.param(
            "Calls", {"Call_Start_Time": PAST, "Outgoing_Call_Status": "Completed"}, True, id="call-completed"
        ),
        pytest.param(
            "Calls", {"Call_Start_Time": PAST, "Outgoing_Call_Status": "Overdue"}, False, id="call-overdue"
        ),
        pytest.param(
            "Calls",
            {"Call_Start_Time": PAST, "Outgoing_Call_Status": "Cancelled"},
            False,
            id="call-cancelled",
        ),
        pytest.param(
            "Calls",
            {"Call_Start_Time": FUTURE, "Outgoing_Call_Status": "Scheduled"},
            False,
            id="call-scheduled",
        ),
        pytest.param(
            "Calls", {"Call_Start_Time": PAST, "Call_Status": "Scheduled"}, False, id="call-status-field"
        ),
        pytest.param("Calls", {"Call_Start_Time": PAST, "Call_Type": "Missed"}, False, id="call-missed"),
        pytest.param(
            "Calls", {"Call_Start_Time": PAST, "Call_Type": "Inbound"}, True, id="call-logged-inbound"
        ),
        pytest.param(
            "Calls", {"Call_Start_Time": FUTURE, "Call_Type": "Outbound"}, False, id="call-in-the-future"
        ),
        pytest.param("Events", {"Start_DateTime": PAST, "$event_cancelled": False}, True, id="meeting-held"),
        pytest.param(
            "Events", {"Start_DateTime": PAST, "$event_cancelled": True}, False, id="meeting-cancelled"
        ),
        pytest.param(
            "Events", {"Start_DateTime": PAST, "$event_cancelled": "true"}, False, id="meeting-cancelled-csv"
        ),
        pytest.param("Events", {"Start_DateTime": FUTURE}, False, id="meeting-ahead"),
        pytest.param("Tasks", {"Status": "Completed", "Closed_Time": PAST}, True, id="task-completed"),
        pytest.param("Tasks", {"Status": "Deferred", "Closed_Time": PAST}, True, id="task-closed-time-set"),
        pytest.param("Tasks", {"Status": "Not Started", "Due_Date": "2025-03-01"}, False, id="task-open"),
    ],
)
def test_what_done_means(module: str, fields: dict[str, object], completed: bool) -> None:
    [activity] = to_activities(
        "zoho", module, _activity(module, **fields), now=NOW, default_tz="UTC", modules=list(Module)
    )
    assert activity.completed is completed


def test_a_converted_lead_is_status_converted_and_keeps_its_lead_status() -> None:
    raw = {**load("leads_page")["data"][0], "Converted__s": True}
    record = wire.to_record("zoho", Module.LEADS, raw, {})
    assert (record.status, record.extra["lead_status"]) == ("Converted", "Contacted")
    assert wire.to_record("zoho", Module.LEADS, {**raw, "Converted__s": False}, {}).status == "Contacted"


@pytest.mark.parametrize(
    ("status", "body", "header", "daily"),
    [
        pytest.param(
            429,
            {"message": "Number of API requests for the 24 hour period is exceeded"},
            None,
            True,
            id="24h",
        ),
        pytest.param(429, {"message": "API credits for the day exhausted"}, None, True, id="for-the-day"),
        pytest.param(
            429,
            {"message": "concurrency limit of the user for the app is exceeded"},
            None,
            False,
            id="concurrency",
        ),
        pytest.param(
            429,
            {
                "message": "Number of API requests for the 24 hour period is exceeded or the concurrency limit is exceeded"
            },
            None,
            False,
            id="ambiguous-stays-retried",
        ),
        pytest.param(429, {"message": ""}, "0", True, id="no-credits-left-header"),
        pytest.param(400, {"code": "LIMIT_REACHED", "message": "24 hour"}, None, False, id="not-a-429"),
    ],
)
def test_daily_quota_is_told_from_a_short_term_429(
    status: int, body: dict, header: str | None, daily: bool
) -> None:
    assert wire.is_daily_quota(status, body, header) is daily
