"""Write-back a rep can live with: related work moves with the record, scope hints name the right
scope. Against the strict org fake, asserting on what the org holds afterwards."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from typing import Any

import pytest
from fake_zoho_schema import DOCUMENTED_SCOPES
from strict_zoho import Reply
from zoho_support import NOW

from connector.config import parse_config
from connector.domain import Action, ActionStatus, ActionType, Module, RecordRef
from connector.errors import ConfigError

ANN, BEN = "554023000000235011", "554023000000235022"
LEAD, OTHER_LEAD = "554023000000536001", "554023000000536002"


def _lookup(user: str) -> dict[str, str]:
    return {"id": user, "name": user}


def _activity(module: str, activity_id: str, **link: Any) -> dict[str, Any]:
    return {
        "id": activity_id,
        "Owner": _lookup(BEN),
        "Created_Time": (NOW - timedelta(days=1)).isoformat(),
        "Modified_Time": (NOW - timedelta(days=1)).isoformat(),
        "What_Id": None,
        "Who_Id": None,
        **link,
    }


def _arrange(org: Any) -> None:
    for lead in (LEAD, OTHER_LEAD):
        org.add("Leads", {"id": lead, "Owner": _lookup(BEN), "Last_Name": "Buyer", "Tag": []})
    org.add("Tasks", _activity("Tasks", "t1", What_Id=_lookup(LEAD), **{"$se_module": "Leads"}, Status="Not Started"))
    org.add("Events", _activity("Events", "e1", Who_Id=_lookup(LEAD)))
    org.add("Calls", _activity("Calls", "c1", What_Id=_lookup(LEAD), **{"$se_module": "Leads"}))
    org.add("Tasks", _activity("Tasks", "t2", What_Id=_lookup(OTHER_LEAD), **{"$se_module": "Leads"}))


def _reassign(record_id: str, owner: str) -> Action:
    return Action(
        type=ActionType.REASSIGN,
        target=RecordRef(adapter="zoho", module=Module.LEADS, id=record_id),
        new_owner_id=owner,
        reason="SLA breached",
        rule="first-contact",
        idempotency_key=f"reassign-{record_id}-{owner}",
    )


def _owners(org: Any) -> dict[str, str]:
    return {rid: raw["Owner"]["id"] for m in ("Tasks", "Events", "Calls") for rid, raw in org.records[m].items()}


def test_change_owner_moves_the_records_tasks_meetings_and_calls_by_default(org, make_adapter) -> None:
    _arrange(org)
    [result] = make_adapter().apply([_reassign(LEAD, ANN)])
    assert result.status is ActionStatus.APPLIED
    [sent] = [r for r in org.writes() if r.path == "/crm/v8/Leads/actions/change_owner"]
    assert sent.body["related_modules"] == [{"api_name": "Tasks"}, {"api_name": "Events"}, {"api_name": "Calls"}]
    assert org.records["Leads"][LEAD]["Owner"]["id"] == ANN
    assert _owners(org) == {"t1": ANN, "e1": ANN, "c1": ANN, "t2": BEN}  # another lead's task stays


def test_move_related_chooses_what_moves_and_an_empty_list_moves_nothing(org, make_adapter) -> None:
    _arrange(org)
    make_adapter(move_related=["Tasks"]).apply([_reassign(LEAD, ANN)])
    assert _owners(org) == {"t1": ANN, "e1": BEN, "c1": BEN, "t2": BEN}
    make_adapter(move_related=[]).apply([_reassign(OTHER_LEAD, ANN)])
    last = org.writes()[-1]
    assert "related_modules" not in last.body
    assert _owners(org)["t2"] == BEN


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param('["Notes"]', "move_related", id="not-an-activity-module"),
        pytest.param('["Tasks", "Tasks"]', "twice", id="duplicate"),
    ],
)
def test_move_related_is_checked_at_load(value: str, message: str) -> None:
    text = f"""
[adapters.zoho]
kind = "zoho"
client_id = "cid"
client_secret = "secret"
move_related = {value}
"""
    with pytest.raises(ConfigError, match=message):
        parse_config(tomllib.loads(text), environ={})


def test_a_token_without_module_write_is_told_to_add_write_not_update(org, make_adapter) -> None:
    org.scopes = (
        *(s for s in DOCUMENTED_SCOPES if s != "ZohoCRM.modules.ALL"),
        "ZohoCRM.modules.leads.READ",
        "ZohoCRM.modules.leads.UPDATE",
    )
    _arrange(org)
    flag = Action(
        type=ActionType.FLAG,
        target=RecordRef(adapter="zoho", module=Module.LEADS, id=LEAD),
        tag="referee:conflict",
        reason="two reps",
        rule="pursuit",
        idempotency_key="flag-1",
    )
    [result] = make_adapter().apply([flag])
    assert result.status is ActionStatus.FAILED
    assert "lacks the scope ZohoCRM.modules.leads.WRITE (or ZohoCRM.modules.ALL)" in result.message
    assert ".UPDATE" not in result.message


def _flag(record_id: str, tag: str = "referee:conflict") -> Action:
    return Action(
        type=ActionType.FLAG,
        target=RecordRef(adapter="zoho", module=Module.LEADS, id=record_id),
        tag=tag,
        reason="two reps",
        rule="pursuit",
        idempotency_key=f"flag-{record_id}-{tag}",
    )


def _tag_calls(org: Any) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in org.received if r.path.endswith(("/settings/tags", "/actions/add_tags"))]


def test_missing_tags_are_created_up_front_once_and_remembered(org, make_adapter, kv) -> None:
    _arrange(org)
    [result] = make_adapter().apply([_flag(LEAD)])
    assert result.status is ActionStatus.APPLIED
    assert _tag_calls(org) == [
        ("GET", "/crm/v8/settings/tags"),
        ("POST", "/crm/v8/settings/tags"),
        ("POST", "/crm/v8/Leads/actions/add_tags"),
    ]
    created = next(r for r in org.received if r.method == "POST" and r.path == "/crm/v8/settings/tags")
    assert (created.query, created.body) == ({"module": "Leads"}, {"tags": [{"name": "referee:conflict"}]})
    assert [t["name"] for t in org.tags["Leads"]] == ["referee:conflict"]

    org.received.clear()
    make_adapter().apply([_flag(OTHER_LEAD)])  # a later run, same state store: no tag calls at all
    assert _tag_calls(org) == [("POST", "/crm/v8/Leads/actions/add_tags")]


def test_a_tag_the_module_has_is_not_created_again(org, make_adapter) -> None:
    _arrange(org)
    org.tags["Leads"] = [{"name": "referee:conflict", "id": "1", "color_code": None}]
    make_adapter().apply([_flag(LEAD)])
    assert _tag_calls(org) == [("GET", "/crm/v8/settings/tags"), ("POST", "/crm/v8/Leads/actions/add_tags")]


@pytest.mark.parametrize("may_create", [True, False], ids=["user-may-create-tags", "user-may-not"])
def test_without_the_tags_scope_one_warning_says_how_and_add_tags_goes_ahead(
    org, make_adapter, may_create: bool
) -> None:
    org.scopes = tuple(s for s in DOCUMENTED_SCOPES if s != "ZohoCRM.settings.tags.ALL")
    org.may_create_tags = may_create
    _arrange(org)
    adapter = make_adapter()
    results = adapter.apply([_flag(LEAD), _flag(OTHER_LEAD)])
    [warning] = adapter.drain_warnings()
    assert warning.code == "tags_not_created"
    assert '"referee:conflict"' in warning.message and "ZohoCRM.settings.tags.ALL" in warning.message
    assert "Setup → Tags" in warning.message
    assert _tag_calls(org) == [("GET", "/crm/v8/settings/tags"), ("POST", "/crm/v8/Leads/actions/add_tags")]
    if may_create:
        assert {r.status for r in results} == {ActionStatus.APPLIED}
    else:
        assert {r.status for r in results} == {ActionStatus.FAILED}
        assert "NOT_ALLOWED: permission denied to create tags" in results[0].message


@pytest.mark.parametrize(
    ("code", "warned"),
    [
        pytest.param("DUPLICATE_DATA", False, id="created-meanwhile-is-fine"),
        pytest.param("NOT_ALLOWED", True, id="refused-is-one-warning"),
    ],
)
def test_a_create_answered_per_tag_is_read_per_tag(org, make_adapter, code: str, warned: bool) -> None:
    _arrange(org)
    item = {"code": code, "details": {"id": "1", "api_name": "name"}, "message": "refused", "status": "error"}
    org.fail("POST", r"/settings/tags$", Reply.of_json(400, {"tags": [item]}))
    adapter = make_adapter()
    [result] = adapter.apply([_flag(LEAD)])
    assert result.status is ActionStatus.APPLIED  # the fake's add_tags may still create it
    warnings = adapter.drain_warnings()
    assert [w.code for w in warnings] == (["tags_not_created"] if warned else [])
    if warned:
        assert f'"referee:conflict" ({code}: refused)' in warnings[0].message


def test_a_long_running_server_asks_for_tags_again_an_hour_after_a_refusal(org, make_adapter) -> None:
    org.scopes = tuple(s for s in DOCUMENTED_SCOPES if s != "ZohoCRM.settings.tags.ALL")
    _arrange(org)
    now = [NOW]
    adapter = make_adapter(clock=lambda: now[0])  # one adapter, many applies: the webhook worker

    def listings() -> int:
        return sum(1 for r in org.received if (r.method, r.path) == ("GET", "/crm/v8/settings/tags"))

    adapter.apply([_flag(LEAD)])
    now[0] += timedelta(minutes=30)
    adapter.apply([_flag(OTHER_LEAD)])
    assert listings() == 1
    org.scopes = DOCUMENTED_SCOPES  # the admin granted the scope
    now[0] += timedelta(minutes=31)
    adapter.apply([_flag(LEAD, tag="referee:sla-breach")])
    assert listings() == 2 and {t["name"] for t in org.tags["Leads"]} >= {"referee:sla-breach"}
