"""Every request the adapter sends is valid against Zoho's published OpenAPI files.

The files are not vendored: ``ZOHO_OAS_DIR`` names the folder (``.ci/run`` sets it to
``../shared/zoho-oas/v8.0``). The ``zoho_http`` fixture checks every other HTTP test's requests
too; this module also proves the checker rejects what it should.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta

import pytest
from zoho_oas import OasContract
from zoho_support import API, NOW, OAS_ENV, add_token, load

from adapters.zoho.watch import enable_watch, renew_if_due
from connector.domain import Action, ActionType, Module, RecordRef

pytestmark = pytest.mark.skipif(
    not os.environ.get(OAS_ENV), reason=f"{OAS_ENV} is not set (point it at zoho/crm-oas v8.0 to run)"
)


@pytest.fixture
def contract() -> OasContract:
    return OasContract(os.environ[OAS_ENV])


def _problems(contract: OasContract, calls) -> list[str]:
    out: list[str] = []
    for call in calls:
        r = call.request
        if "zohoapis" in r.url:
            out += contract.validate(r.method, r.url, dict(r.headers), r.body)
    return out


def test_every_endpoint_the_adapter_uses(zoho_http, make_adapter, kv, contract) -> None:
    add_token(zoho_http)
    for path, body in (
        ("users", "users"),
        ("Leads", "leads_page"),
        ("Leads/deleted", "deleted_leads"),
        ("Calls", "calls_page"),
        ("Calls/deleted", "deleted_leads"),
        ("Events", "events_page"),
        ("Tasks", "tasks_page"),
        ("settings/users_unavailability", "users_unavailability"),
    ):
        zoho_http.get(f"{API}/{path}", json=load(body))
    zoho_http.post(f"{API}/Leads/actions/change_owner", status=202, json=load("change_owner_202_mixed"))
    zoho_http.post(f"{API}/Leads/actions/add_tags", json=load("add_tags_success"))
    zoho_http.put(f"{API}/Leads", json=load("update_success"))
    zoho_http.post(f"{API}/Notes", json=load("notes_success"))
    zoho_http.post(f"{API}/actions/watch", status=201, json=load("watch_enable"))
    zoho_http.patch(f"{API}/actions/watch", json=load("watch_enable"))
    zoho_http.delete(f"{API}/actions/watch", json=load("watch_disable"))
    zoho_http.get(f"{API}/Leads/actions/count", json={"count": 3})
    adapter = make_adapter(modules=["Leads"], flag_field="Conflict__c")
    adapter.pull_users()
    since = "2025-03-01T00:00:00+00:00"
    list(adapter.pull({"Leads": since, "Leads/deleted": since, "Calls": since, "Calls/deleted": since}))
    assert adapter.client.count("Leads") == 3
    target = RecordRef(adapter="zoho", module=Module.LEADS, id="554023000000536001")
    common = {"target": target, "reason": "r", "rule": "pursuit"}
    adapter.apply(
        [
            Action(
                type=ActionType.REASSIGN,
                new_owner_id="554023000000235022",
                previous_owner_id="554023000000235011",
                idempotency_key="k1",
                **common,
            ),
            Action(type=ActionType.FLAG, idempotency_key="k2", **common),
            Action(type=ActionType.NOTE, text="why", idempotency_key="k3", **common),
        ]
    )
    enable_watch(adapter, kv, "https://referee.example.com/webhooks/zoho", NOW)
    renew_if_due(adapter, kv, NOW + timedelta(days=6, hours=12))
    enable_watch(adapter, kv, None, NOW)  # re-create: unsubscribes the stored channel first
    methods = {(c.request.method, c.request.url.split("?")[0].removeprefix(API)) for c in zoho_http.calls}
    assert {
        ("GET", "/Leads"),
        ("GET", "/Leads/deleted"),
        ("GET", "/Calls"),
        ("GET", "/Calls/deleted"),
        ("GET", "/Leads/actions/count"),
        ("DELETE", "/actions/watch"),
        ("POST", "/Leads/actions/change_owner"),
        ("POST", "/Leads/actions/add_tags"),
        ("PUT", "/Leads"),
        ("POST", "/Notes"),
        ("POST", "/actions/watch"),
        ("PATCH", "/actions/watch"),
        ("GET", "/users"),
        ("GET", "/settings/users_unavailability"),
    } <= methods
    assert _problems(contract, zoho_http.calls) == []


@pytest.mark.parametrize(
    ("method", "url", "headers", "body", "expected"),
    [
        pytest.param(
            "GET",
            f"{API}/Leads?fields=Owner&pages=2",
            {},
            None,
            "'pages' is not declared",
            id="undeclared-query",
        ),
        pytest.param(
            "GET", f"{API}/Leads?fields=Owner&per_page=lots", {}, None, "not an integer", id="bad-integer"
        ),
        pytest.param(
            "GET",
            f"{API}/Leads?fields=Owner",
            {"If-Modified-Since": "yesterday"},
            None,
            "not an ISO 8601",
            id="bad-if-modified-since",
        ),
        pytest.param("GET", f"{API}/users?type=AllUsers", {}, None, "is not one of", id="enum"),
        pytest.param(
            "POST",
            f"{API}/Leads/actions/change_owner",
            {},
            json.dumps({"ids": "1", "owner": {"id": "2"}}),
            "is not of type 'array'",
            id="body-type",
        ),
        pytest.param(
            "POST",
            f"{API}/Notes",
            {},
            json.dumps({"data": [{"Note_Content": "x", "Parent_id": {"id": "1"}}]}),
            "Parent_id is not declared",
            id="body-typo",
        ),
        pytest.param("POST", f"{API}/Leads/frobnicate", {}, None, "no such operation", id="unknown-path"),
        pytest.param(
            "POST",
            "https://www.zohoapis.com/crm/bulk/v8/read",
            {},
            json.dumps({"query": {"module": {"api_name": "Leads"}, "page": 1}}),
            "'fields' is a required property",
            id="bulk-read-without-fields",
        ),
        pytest.param(
            "POST",
            "https://www.zohoapis.com/crm/bulk/v8/read",
            {},
            json.dumps({"query": {"module": {"api_name": "Leads"}, "fields": ["Owner"], "file_type": "csv"}}),
            "is not one of ['ics']",
            id="bulk-read-query-file-type",
        ),
    ],
)
def test_checker_rejects_bad_requests(contract, method, url, headers, body, expected) -> None:
    problems = contract.validate(method, url, headers, body)
    assert any(expected in p for p in problems), problems


def test_deleted_is_not_mistaken_for_a_record_id(contract) -> None:
    [op] = contract.operations("GET", "/crm/v8/Leads/deleted")
    assert op.template == "/crm/v8/{module_api_name}/deleted"
