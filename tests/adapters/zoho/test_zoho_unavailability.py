"""Users' unavailability: absences pulled with the users, and a refused feature never fails a run."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from zoho_support import API, NOW, add_token, load

from adapters.zoho.unavailability import to_absences, window_filter
from connector.domain import Absence, Module, Record
from connector.errors import AuthError, QuotaExhaustedError
from rules.assign import Assigner, AssignmentConfig, TeamConfig

URL = f"{API}/settings/users_unavailability"
LOGGER = "adapters.zoho.unavailability"
PATRICIA, RAVI = "554023000000235011", "554023000000235022"
LEAD = Record(adapter="zoho", module=Module.LEADS, id="L1", owner_id="u9", status="New")


def _filters(call: Any) -> dict[str, Any]:
    return json.loads(parse_qs(urlsplit(call.request.url).query)["filters"][0])


def _unavailability_calls(rsps: Any) -> list[Any]:
    return [c for c in rsps.calls if "/settings/users_unavailability" in c.request.url]


def test_absences_are_attached_to_the_pulled_users(zoho_http, make_adapter) -> None:
    add_token(zoho_http)
    zoho_http.get(f"{API}/users", json=load("users"))
    zoho_http.get(URL, json=load("users_unavailability"))

    users = {u.id: u for u in make_adapter().pull_users()}

    assert users[PATRICIA].unavailable == (
        Absence(
            starts_at=datetime(2025, 2, 28, 15, 0, tzinfo=UTC),
            ends_at=datetime(2025, 3, 4, 0, 0, tzinfo=UTC),
            reason="Annual leave",
        ),
    )
    trade_fair = users[RAVI].unavailable[0]
    assert trade_fair.reason == "Trade fair in Berlin"  # no comments: the title explains it
    assert not trade_fair.covers(NOW)
    assert "554023000000235099" not in users  # an absence of someone not pulled adds no user


def test_the_request_asks_only_for_absences_overlapping_the_next_30_days(zoho_http, make_adapter) -> None:
    add_token(zoho_http)
    zoho_http.get(f"{API}/users", json=load("users"))
    zoho_http.get(URL, json=load("users_unavailability"))
    adapter = make_adapter()

    adapter.pull_users()

    (call,) = _unavailability_calls(zoho_http)
    assert _filters(call) == {
        "group_operator": "and",
        "group": [
            {
                "comparator": "greater_equal",
                "field": {"api_name": "to"},
                "value": "2025-02-28T12:00:00+00:00",
            },
            {"comparator": "less_equal", "field": {"api_name": "from"}, "value": "2025-03-31T12:00:00+00:00"},
        ],
    }
    assert adapter.api_calls()["GET /settings/users_unavailability"] == 1


def test_pulled_absences_make_the_assigner_skip_the_rep(zoho_http, make_adapter) -> None:
    add_token(zoho_http)
    zoho_http.get(f"{API}/users", json=load("users"))
    zoho_http.get(URL, json=load("users_unavailability"))
    users = {u.id: u for u in make_adapter().pull_users()}

    team = TeamConfig(members=(PATRICIA,))
    now = Assigner({"sales": team}, AssignmentConfig(), users, [], {}, NOW).pick("team:sales", LEAD)
    assert now.user_id is None
    assert f"Patricia Boyle ({PATRICIA}) is unavailable until 2025-03-04 00:00 UTC (reported by the CRM)" in now.reason
    back = NOW + timedelta(days=3)
    later = Assigner({"sales": team}, AssignmentConfig(), users, [], {}, back).pick("team:sales", LEAD)
    assert later.user_id == PATRICIA


@pytest.mark.parametrize(
    ("status", "body"),
    [
        pytest.param(401, load("error_scope_mismatch"), id="oauth-scope-mismatch"),
        pytest.param(
            403,
            {
                "code": "NO_PERMISSION",
                "details": {"permissions": ["Crm_Implied_Manage_Users"]},
                "message": "permission denied",
                "status": "error",
            },
            id="no-permission",
        ),
        pytest.param(
            400,
            {
                "code": "FEATURE_NOT_SUPPORTED",
                "details": {},
                "message": "The feature is not supported in this edition",
                "status": "error",
            },
            id="edition-without-the-feature",
        ),
    ],
)
def test_a_refusal_warns_once_and_the_run_goes_on(
    zoho_http, make_adapter, caplog: pytest.LogCaptureFixture, status: int, body: dict[str, Any]
) -> None:
    add_token(zoho_http)
    zoho_http.get(f"{API}/users", json=load("users"))
    zoho_http.get(URL, status=status, json=body)
    adapter = make_adapter()

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        first = adapter.pull_users()
        second = adapter.pull_users()

    assert [u.id for u in first] == [PATRICIA, RAVI] == [u.id for u in second]
    assert all(u.unavailable == () for u in (*first, *second))
    assert len(_unavailability_calls(zoho_http)) == 1  # refused once: not asked again
    warnings = [r for r in caplog.records if r.name == LOGGER]
    assert len(warnings) == 1
    assert "ZohoCRM.settings.users_unavailability.READ" in warnings[0].getMessage()
    assert "pull_unavailability = false" in warnings[0].getMessage()


def test_another_client_error_skips_absences_for_that_pull_only(
    zoho_http, make_adapter, caplog: pytest.LogCaptureFixture
) -> None:
    add_token(zoho_http)
    zoho_http.get(f"{API}/users", json=load("users"))
    bad_filter = {
        "code": "UNABLE_TO_PARSE_DATA_TYPE",
        "details": {},
        "message": "either the request body or parameters is in wrong format",
        "status": "error",
    }
    zoho_http.get(URL, status=400, json=bad_filter)
    adapter = make_adapter()

    with caplog.at_level(logging.WARNING, logger=LOGGER):
        users = adapter.pull_users()
        adapter.pull_users()

    assert all(u.unavailable == () for u in users)
    assert len(_unavailability_calls(zoho_http)) == 2  # not a refusal: asked again next time
    assert "UNABLE_TO_PARSE_DATA_TYPE" in caplog.records[0].getMessage()


def test_204_means_nobody_is_away(zoho_http, make_adapter) -> None:
    add_token(zoho_http)
    zoho_http.get(f"{API}/users", json=load("users"))
    zoho_http.get(URL, status=204)
    assert [u.unavailable for u in make_adapter().pull_users()] == [(), ()]


def test_switched_off_it_costs_no_call(zoho_http, make_adapter) -> None:
    add_token(zoho_http)
    zoho_http.get(f"{API}/users", json=load("users"))
    adapter = make_adapter(pull_unavailability=False)
    assert [u.unavailable for u in adapter.pull_users()] == [(), ()]
    assert "GET /settings/users_unavailability" not in adapter.api_calls()


def test_used_up_credits_still_stop_the_run(zoho_http, make_adapter) -> None:
    add_token(zoho_http)
    zoho_http.get(f"{API}/users", json=load("users"))
    zoho_http.get(URL, status=429, json=load("error_credits_exhausted"))
    with pytest.raises(QuotaExhaustedError):
        make_adapter().pull_users()


def test_an_expired_token_is_refreshed_once(zoho_http_ordered, make_adapter) -> None:
    add_token(zoho_http_ordered)
    zoho_http_ordered.get(f"{API}/users", json=load("users"))
    zoho_http_ordered.get(URL, status=401, json=load("error_invalid_token"))
    add_token(zoho_http_ordered)
    zoho_http_ordered.get(URL, json=load("users_unavailability"))
    users = {u.id: u for u in make_adapter().pull_users()}
    assert users[PATRICIA].unavailable[0].reason == "Annual leave"


def test_a_token_rejected_twice_is_an_auth_error(zoho_http_ordered, make_adapter) -> None:
    add_token(zoho_http_ordered)
    zoho_http_ordered.get(f"{API}/users", json=load("users"))
    zoho_http_ordered.get(URL, status=401, json=load("error_invalid_token"))
    add_token(zoho_http_ordered)
    zoho_http_ordered.get(URL, status=401, json=load("error_invalid_token"))
    with pytest.raises(AuthError, match="refresh token may be revoked"):
        make_adapter().pull_users()


def test_more_entries_than_one_page_are_reported(
    zoho_http, make_adapter, caplog: pytest.LogCaptureFixture
) -> None:
    add_token(zoho_http)
    zoho_http.get(f"{API}/users", json=load("users"))
    body = load("users_unavailability")
    body["info"]["more_records"] = True
    zoho_http.get(URL, json=body)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        users = {u.id: u for u in make_adapter().pull_users()}
    assert users[PATRICIA].unavailable  # what was read is used
    assert "more users' unavailability entries than one page" in caplog.records[0].getMessage()


# --- pure mapping -------------------------------------------------------------------------


def _entry(user: str | None, start: str | None, end: str | None, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"id": "1", "from": start, "to": end, **extra}
    if user is not None:
        out["user"] = {"name": "x", "id": user, "zuid": "z"}
    return out


WINDOW = (NOW - timedelta(days=1), NOW + timedelta(days=30))


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param(_entry(None, "2025-03-01T00:00:00+00:00", "2025-03-02T00:00:00+00:00"), id="no-user"),
        pytest.param(_entry("u1", "2025-03-01T00:00:00", "2025-03-02T00:00:00+00:00"), id="naive-from"),
        pytest.param(_entry("u1", "soon", "2025-03-02T00:00:00+00:00"), id="garbage-from"),
        pytest.param(_entry("u1", "2025-03-02T00:00:00+00:00", None), id="no-to"),
        pytest.param(
            _entry("u1", "2025-03-02T00:00:00+00:00", "2025-03-01T00:00:00+00:00"), id="ends-before-start"
        ),
        pytest.param(
            _entry("u1", "2025-01-01T00:00:00+00:00", "2025-01-02T00:00:00+00:00"), id="before-window"
        ),
        pytest.param(
            _entry("u1", "2025-06-01T00:00:00+00:00", "2025-06-02T00:00:00+00:00"), id="after-window"
        ),
        pytest.param("not an object", id="not-an-object"),
    ],
)
def test_unusable_or_out_of_window_entries_are_dropped(entry: Any) -> None:
    good = _entry("u2", "2025-03-01T00:00:00+00:00", "2025-03-02T00:00:00+00:00", comments="  ")
    found = to_absences({"users_unavailability": [entry, good]}, *WINDOW)
    assert list(found) == ["u2"]
    assert found["u2"][0].reason is None  # blank comments are no reason


def test_absences_are_sorted_and_duplicates_merged() -> None:
    late = _entry("u1", "2025-03-05T00:00:00+00:00", "2025-03-06T00:00:00+00:00")
    early = _entry("u1", "2025-03-02T00:00:00+00:00", "2025-03-03T00:00:00+00:00")
    found = to_absences({"users_unavailability": [late, early, late]}, *WINDOW)
    assert [a.starts_at.day for a in found["u1"]] == [2, 5]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="empty"),
        pytest.param({"users_unavailability": None}, id="null-list"),
        pytest.param([], id="not-an-object"),
    ],
)
def test_odd_bodies_give_no_absences(body: Any) -> None:
    assert to_absences(body, *WINDOW) == {}


def test_window_filter_is_compact_json() -> None:
    text = window_filter(*WINDOW)
    assert " " not in text
    assert json.loads(text)["group_operator"] == "and"
