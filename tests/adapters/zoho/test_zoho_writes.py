"""Write-back: batching, per-record statuses, the owner re-check, budgets."""

from __future__ import annotations

import json
from typing import Any

from responses import matchers
from zoho_support import API, add_token, load, sent_json

from connector.domain import Action, ActionStatus, ActionType, Module, RecordRef

A, B, C = "554023000000235011", "554023000000235022", "554023000000235033"
L1, L2 = "554023000000536001", "554023000000536002"


def _action(kind: ActionType, rid: str, *, module: Module = Module.LEADS, **kw: Any) -> Action:
    return Action(
        type=kind,
        target=RecordRef(adapter="zoho", module=module, id=rid),
        reason="both reps pursue Zylker Ltd",
        rule="pursuit",
        idempotency_key=f"{kind}-{module}-{rid}-{kw.get('new_owner_id')}",
        **kw,
    )


def _tags_exist(rsps: Any, module: str, *names: str) -> None:
    """``GET /settings/tags?module=…`` listing ``names`` (get-tag-list.html; ``Response_Wrapper`` in tags.json)."""
    tags = [{"name": n, "id": f"49{i}", "color_code": None} for i, n in enumerate(names)]
    rsps.get(
        f"{API}/settings/tags",
        json={"tags": tags, "info": {"count": len(tags), "allowed_count": 100}},
        match=[matchers.query_param_matcher({"module": module})],
    )


def _echo_items(request: Any) -> tuple[int, dict[str, str], str]:
    """A bulk write answering SUCCESS for every id or data item it was sent."""
    body = json.loads(request.body)
    ids = body.get("ids") or [d.get("id", f"n{i}") for i, d in enumerate(body.get("data", []))]
    items = [{"code": "SUCCESS", "status": "success", "message": "ok", "details": {"id": i}} for i in ids]
    return 200, {}, json.dumps({"data": items})


def test_change_owner_is_batched_by_500_and_grouped_by_new_owner(zoho_http, make_adapter) -> None:
    add_token(zoho_http)
    zoho_http.add_callback("POST", f"{API}/Leads/actions/change_owner", callback=_echo_items)
    actions = [_action(ActionType.REASSIGN, str(i), new_owner_id=A) for i in range(501)]
    actions.append(_action(ActionType.REASSIGN, "x1", new_owner_id=B))
    results = make_adapter(notify=True).apply(actions)
    assert {r.status for r in results} == {ActionStatus.APPLIED}
    bodies = [sent_json(c) for c in zoho_http.calls[1:]]
    assert [(len(b["ids"]), b["owner"], b["notify"]) for b in bodies] == [
        (500, {"id": A}, True),
        (1, {"id": A}, True),
        (1, {"id": B}, True),
    ]


def test_partial_failure_in_202_is_reported_per_record(zoho_http, make_adapter) -> None:
    add_token(zoho_http)
    zoho_http.post(f"{API}/Leads/actions/change_owner", status=202, json=load("change_owner_202_mixed"))
    results = make_adapter().apply(
        [_action(ActionType.REASSIGN, L1, new_owner_id=A), _action(ActionType.REASSIGN, L2, new_owner_id=A)]
    )
    assert [(r.action.target.id, r.status) for r in results] == [
        (L1, ActionStatus.APPLIED),
        (L2, ActionStatus.FAILED),
    ]
    assert "INVALID_DATA: the id given seems to be invalid" in results[1].message
    assert results[0].applied_at is not None


def test_owner_changed_meanwhile_is_skipped_after_one_fresh_read(zoho_http, make_adapter) -> None:
    add_token(zoho_http)
    zoho_http.get(
        f"{API}/Leads",
        json=load("leads_page"),
        match=[matchers.query_param_matcher({"ids": f"{L1},{L2}", "fields": "Owner,Modified_Time"})],
    )
    zoho_http.add_callback("POST", f"{API}/Leads/actions/change_owner", callback=_echo_items)
    results = make_adapter().apply(
        [
            _action(ActionType.REASSIGN, L1, new_owner_id=C, previous_owner_id=A),  # still A: goes ahead
            _action(ActionType.REASSIGN, L2, new_owner_id=C, previous_owner_id=A),  # now B: skip
        ]
    )
    assert [(r.status, r.message) for r in results] == [
        (ActionStatus.APPLIED, f"owner changed to {C}"),
        (ActionStatus.SKIPPED, f"owner changed meanwhile (planned from {A}, now {B})"),
    ]
    assert sent_json(zoho_http.calls[-1])["ids"] == [L1]


def test_reassign_already_done_is_applied_without_writing(zoho_http, make_adapter) -> None:
    add_token(zoho_http)
    zoho_http.get(
        f"{API}/Leads", json={"data": [load("leads_page")["data"][0]], "info": {"more_records": False}}
    )
    [result] = make_adapter().apply([_action(ActionType.REASSIGN, L1, new_owner_id=A, previous_owner_id=B)])
    assert (result.status, result.message) == (ActionStatus.APPLIED, f"already owned by {A}")


def test_flags_tag_in_500s_and_set_flag_field_in_puts_of_100(zoho_http, make_adapter) -> None:
    add_token(zoho_http)
    _tags_exist(zoho_http, "Contacts", "referee-conflict")
    zoho_http.add_callback("POST", f"{API}/Contacts/actions/add_tags", callback=_echo_items)
    zoho_http.add_callback("PUT", f"{API}/Contacts", callback=_echo_items)
    actions = [_action(ActionType.FLAG, str(i), module=Module.CONTACTS) for i in range(150)]
    results = make_adapter(flag_field="Conflict__c").apply(actions)
    assert {r.status for r in results} == {ActionStatus.APPLIED}
    assert results[0].message == "tagged referee-conflict; set Conflict__c"
    tag_body, *puts = (sent_json(c) for c in zoho_http.calls[2:])
    assert tag_body["tags"] == [{"name": "referee-conflict"}] and tag_body["over_write"] is False
    assert len(tag_body["ids"]) == 150
    assert [len(p["data"]) for p in puts] == [100, 50]
    assert puts[0]["trigger"] == [] and puts[0]["data"][0] == {
        "id": "0",
        "Conflict__c": "both reps pursue Zylker Ltd",
    }


def test_trigger_workflows_leaves_trigger_out(zoho_http, make_adapter) -> None:
    add_token(zoho_http)
    _tags_exist(zoho_http, "Leads", "referee-conflict")
    zoho_http.post(f"{API}/Leads/actions/add_tags", json=load("add_tags_success"))
    zoho_http.put(f"{API}/Leads", json=load("update_success"))
    make_adapter(flag_field="Conflict__c", trigger_workflows=True).apply([_action(ActionType.FLAG, L1)])
    assert "trigger" not in sent_json(zoho_http.calls[-1])


def test_notes_are_batched_by_100_with_parent_id(zoho_http, make_adapter) -> None:
    add_token(zoho_http)
    zoho_http.add_callback("POST", f"{API}/Notes", callback=_echo_items)
    actions = [_action(ActionType.NOTE, str(i), text=f"note {i}") for i in range(101)]
    results = make_adapter().apply(actions)
    assert {r.status for r in results} == {ActionStatus.APPLIED}
    bodies = [sent_json(c) for c in zoho_http.calls[1:]]
    assert [len(b["data"]) for b in bodies] == [100, 1]
    assert bodies[0]["data"][0] == {
        "Note_Title": "crm-referee: pursuit",
        "Note_Content": "note 0",
        "Parent_Id": {"module": {"api_name": "Leads"}, "id": "0"},
    }


def test_notes_partial_failure(zoho_http, make_adapter) -> None:
    add_token(zoho_http)
    zoho_http.post(f"{API}/Notes", status=202, json=load("notes_202_mixed"))
    results = make_adapter().apply([_action(ActionType.NOTE, L1), _action(ActionType.NOTE, L2)])
    assert [r.status for r in results] == [ActionStatus.APPLIED, ActionStatus.FAILED]
    assert "INVALID_DATA" in results[1].message


def test_notes_off_and_unknown_actions_are_skipped_without_calls(zoho_http, make_adapter) -> None:
    results = make_adapter(notes=False).apply([_action(ActionType.NOTE, L1)])
    assert [(r.status, r.message) for r in results] == [
        (ActionStatus.SKIPPED, "notes are turned off (notes = false)")
    ]
    assert len(zoho_http.calls) == 0


def test_credits_used_up_mid_apply_leave_the_rest_planned_without_calling(zoho_http, make_adapter) -> None:
    add_token(zoho_http)
    zoho_http.post(f"{API}/Leads/actions/change_owner", status=429, json=load("error_credits_exhausted"))
    adapter = make_adapter()
    results = adapter.apply(
        [
            _action(ActionType.REASSIGN, L1, new_owner_id=A),
            _action(ActionType.NOTE, L2),
        ]
    )
    assert [r.status for r in results] == [ActionStatus.PLANNED, ActionStatus.PLANNED]  # Zoho wrote nothing
    assert all(r.message.startswith("not attempted: zoho: the org's daily API credits") for r in results)
    stopped = adapter.apply_stopped()
    assert stopped is not None and "daily API credits" in str(stopped)
    assert [w.code for w in adapter.drain_warnings()] == ["apply_stopped"]
    assert len(zoho_http.calls) == 2  # token + the refused change_owner; no notes call


def test_whole_call_refusal_fails_its_batch(zoho_http, make_adapter) -> None:
    add_token(zoho_http)
    _tags_exist(zoho_http, "Leads", "referee-conflict")
    zoho_http.post(
        f"{API}/Leads/actions/add_tags",
        status=403,
        json={"code": "NO_PERMISSION", "details": {}, "message": "permission denied", "status": "error"},
    )
    [result] = make_adapter().apply([_action(ActionType.FLAG, L1)])
    assert result.status is ActionStatus.FAILED
    assert "NO_PERMISSION: permission denied" in result.message


def test_credits_gone_during_the_owner_recheck_stop_every_later_call(org, make_adapter) -> None:
    org.add("Accounts", {"id": L2, "Owner": {"id": A}, "Account_Name": "y", "Tag": []})
    org.add("Leads", {"id": L1, "Owner": {"id": A}, "Last_Name": "x", "Tag": []})
    org.credits = 0  # the first re-check (Accounts) is refused: the Leads one is never sent
    results = make_adapter().apply(
        [
            _action(ActionType.REASSIGN, L2, module=Module.ACCOUNTS, new_owner_id=B, previous_owner_id=A),
            _action(ActionType.REASSIGN, L1, new_owner_id=B, previous_owner_id=A),
            _action(ActionType.NOTE, L1),
        ]
    )
    assert [r.status for r in results] == [ActionStatus.PLANNED] * 3
    assert [(r.path, r.status) for r in org.received if r.path != "/oauth/v2/token"] == [
        ("/crm/v8/Accounts", 429)
    ]
