"""Auth styles, write templates and per-action results (through the shared retry layer)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
import responses
from responses import matchers
from webhook_builders import BASE, NOW, TOKEN, an_action

from adapters.webhook.templates import fill_body, fill_params, fill_path
from connector.domain import ActionStatus, ActionType
from connector.errors import AuthError, CrmApiError

LEADS = f"{BASE}/leads"
LEAD_1 = f"{BASE}/leads/L-1"
TAGS_1 = f"{BASE}/leads/L-1/tags"


# -- auth -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("auth", "header_matcher", "query"),
    [
        pytest.param({"type": "bearer", "token": "t0k"}, {"Authorization": "Bearer t0k"}, {}, id="bearer"),
        pytest.param(
            {"type": "basic", "username": "api", "password": "pw"},
            {"Authorization": "Basic " + base64.b64encode(b"api:pw").decode()},
            {},
            id="basic",
        ),
        pytest.param(
            {"type": "header", "name": "X-Api-Key", "value": "k3y"}, {"X-Api-Key": "k3y"}, {}, id="header"
        ),
        pytest.param(
            {"type": "query", "name": "api_key", "value": "k3y"}, {}, {"api_key": "k3y"}, id="query"
        ),
    ],
)
def test_auth_styles(
    make_adapter: Callable,
    crm_http: responses.RequestsMock,
    auth: dict[str, str],
    header_matcher: dict[str, str],
    query: dict[str, str],
) -> None:
    adapter = make_adapter(auth=auth)
    crm_http.get(
        LEADS,
        json={"data": [{"id": "1"}]},
        match=[matchers.header_matcher(header_matcher), matchers.query_param_matcher(query)],
    )
    assert [r.id for b in adapter.pull({}) for r in b.records] == ["1"]


def test_query_auth_is_added_to_followed_urls_and_writes(
    make_adapter: Callable, crm_http: responses.RequestsMock
) -> None:
    adapter = make_adapter(
        auth={"type": "query", "name": "api_key", "value": "k3y"},
        read={"records": {"pagination": {"style": "next-url", "next": "next"}}},
    )
    crm_http.get(
        LEADS,
        json={"data": [{"id": "1"}], "next": f"{LEADS}?after=1"},
        match=[matchers.query_param_matcher({"api_key": "k3y"})],
    )
    crm_http.get(
        LEADS,
        json={"data": [{"id": "2"}]},
        match=[matchers.query_param_matcher({"api_key": "k3y", "after": "1"})],
    )
    crm_http.patch(LEAD_1, json={}, match=[matchers.query_param_matcher({"api_key": "k3y"})])
    assert [r.id for b in adapter.pull({}) for r in b.records] == ["1", "2"]
    assert adapter.apply([an_action()])[0].status is ActionStatus.APPLIED


def test_401_on_read_is_an_auth_error_without_the_secret(
    make_adapter: Callable, crm_http: responses.RequestsMock
) -> None:
    adapter = make_adapter()
    crm_http.get(LEADS, status=401, json={"error": {"message": f"token {TOKEN} revoked"}})
    with pytest.raises(
        AuthError, match=r"HTTP 401: token \*\*\* revoked \(check \[adapters.acme.auth\]"
    ) as info:
        list(adapter.pull({}))
    assert TOKEN not in str(info.value)


def test_a_200_that_is_not_json_stops_the_pull_without_a_cursor(
    make_adapter: Callable, crm_http: responses.RequestsMock
) -> None:
    adapter = make_adapter()
    crm_http.get(LEADS, body="<html>maintenance</html>", content_type="text/html")
    batches = []
    with pytest.raises(CrmApiError, match=r"acme: GET /leads did not answer with JSON"):
        batches.extend(adapter.pull({}))
    assert all(b.cursor is None for b in batches)


def test_api_calls_are_counted_per_endpoint_template(
    make_adapter: Callable, crm_http: responses.RequestsMock
) -> None:
    adapter = make_adapter()
    crm_http.get(LEADS, json={"data": []})
    crm_http.patch(LEAD_1, json={})
    crm_http.patch(f"{BASE}/leads/L-2", json={})
    list(adapter.pull({}))
    adapter.apply([an_action(), an_action(record_id="L-2")])
    assert adapter.api_calls() == {"GET /leads": 1, "PATCH /leads/{id}": 2}


# -- templates ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "values", "expected"),
    [
        pytest.param("/leads/{id}", {"id": "L-1"}, "/leads/L-1", id="plain"),
        pytest.param("/leads/{id}", {"id": "a/b c?"}, "/leads/a%2Fb%20c%3F", id="url-encoded"),
        pytest.param("/{module}/{id}/owner", {"id": "7", "module": "Deals"}, "/Deals/7/owner", id="module"),
    ],
)
def test_fill_path(template: str, values: dict[str, str], expected: str) -> None:
    assert fill_path(template, values) == expected


def test_fill_path_without_a_value_says_which() -> None:
    with pytest.raises(ValueError, match=r"needs \{to\}"):
        fill_path("/leads/{id}/owner/{to}", {"id": "1", "to": None})


def test_fill_body_is_recursive_and_keeps_null() -> None:
    template: dict[str, Any] = {
        "owner": {"id": "{to}", "previous": "{from}"},
        "labels": ["{tag}", "fixed"],
        "comment": "Moved {id} to {to}",
        "count": 1,
    }
    values = {"to": "u-2", "from": None, "tag": "x", "id": "L-1"}
    assert fill_body(template, values) == {
        "owner": {"id": "u-2", "previous": None},
        "labels": ["x", "fixed"],
        "comment": "Moved L-1 to u-2",
        "count": 1,
    }


def test_fill_params_drops_params_without_values() -> None:
    params = {"updated_since": "{cursor}", "limit": "100", "active": True}
    assert fill_params(params, {"cursor": None}) == {"limit": "100", "active": True}
    assert fill_params(params, {"cursor": "2026"}) == {
        "updated_since": "2026",
        "limit": "100",
        "active": True,
    }


@pytest.mark.parametrize(
    ("action", "method", "url", "body"),
    [
        pytest.param(an_action(ActionType.REASSIGN), "PATCH", LEAD_1, {"owner_id": "u-2"}, id="reassign"),
        pytest.param(an_action(ActionType.FLAG), "POST", TAGS_1, {"tag": "referee:conflict"}, id="flag"),
        pytest.param(
            an_action(ActionType.NOTE),
            "POST",
            f"{BASE}/notes",
            {"parent": {"module": "Leads", "id": "L-1"}, "content": "Two reps pursue this customer."},
            id="note-nested-body",
        ),
    ],
)
def test_write_templates_become_requests(
    make_adapter: Callable, crm_http: responses.RequestsMock, action: Any, method: str, url: str, body: Any
) -> None:
    note = {"path": "/notes", "body": {"parent": {"module": "{module}", "id": "{id}"}, "content": "{text}"}}
    adapter = make_adapter(write={"note": note})
    crm_http.add(method, url, json={}, match=[matchers.json_params_matcher(body)])
    [result] = adapter.apply([action])
    assert (result.status, result.applied_at) == (ActionStatus.APPLIED, NOW)


# -- per-action results ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "expected", "message"),
    [
        pytest.param(200, {"ok": True}, ActionStatus.APPLIED, "", id="200-applied"),
        pytest.param(204, None, ActionStatus.APPLIED, "", id="204-applied"),
        pytest.param(
            409,
            {"message": "owner changed"},
            ActionStatus.SKIPPED,
            "changed meanwhile in acme (HTTP 409): owner changed",
            id="409-skipped",
        ),
        pytest.param(
            412,
            {"error": "etag mismatch"},
            ActionStatus.SKIPPED,
            "changed meanwhile in acme (HTTP 412): etag mismatch",
            id="412-skipped",
        ),
        pytest.param(
            422,
            {"errors": [{"message": "unknown user u-2"}]},
            ActionStatus.FAILED,
            "PATCH /leads/{id} answered HTTP 422: unknown user u-2",
            id="422-failed-with-message",
        ),
        pytest.param(
            404, "Not Found", ActionStatus.FAILED, "answered HTTP 404: Not Found", id="404-text-body"
        ),
    ],
)
def test_action_result_by_status(
    make_adapter: Callable,
    crm_http: responses.RequestsMock,
    status: int,
    body: Any,
    expected: ActionStatus,
    message: str,
) -> None:
    adapter = make_adapter()
    if isinstance(body, str):
        crm_http.patch(LEAD_1, status=status, body=body)
    else:
        crm_http.patch(LEAD_1, status=status, json=body)
    [result] = adapter.apply([an_action()])
    assert result.status is expected
    assert message in result.message


def test_long_error_bodies_are_truncated_and_secrets_blanked(
    make_adapter: Callable, crm_http: responses.RequestsMock
) -> None:
    adapter = make_adapter()
    crm_http.patch(LEAD_1, status=400, json={"message": f"bad request from {TOKEN} " + "x" * 500})
    [result] = adapter.apply([an_action()])
    assert result.status is ActionStatus.FAILED
    assert TOKEN not in result.message and "***" in result.message
    assert len(result.message) < 300 and result.message.endswith("…")


def test_429_is_retried_by_the_shared_layer_then_applied(
    make_adapter: Callable, crm_http_ordered: responses.RequestsMock, slept: list[float]
) -> None:
    adapter = make_adapter()
    crm_http_ordered.patch(LEAD_1, status=429, headers={"Retry-After": "2"})
    crm_http_ordered.patch(LEAD_1, status=200, json={})
    [result] = adapter.apply([an_action()])
    assert result.status is ActionStatus.APPLIED
    assert slept == [2.0]
    assert adapter.api_calls() == {"PATCH /leads/{id}": 2}


def test_persistent_5xx_fails_after_the_retries(
    make_adapter: Callable, crm_http_ordered: responses.RequestsMock, slept: list[float]
) -> None:
    adapter = make_adapter()
    for _ in range(3):
        crm_http_ordered.patch(LEAD_1, status=503)
    crm_http_ordered.post(TAGS_1, status=201, json={})
    results = adapter.apply([an_action(), an_action(ActionType.FLAG)])
    assert [r.status for r in results] == [ActionStatus.FAILED, ActionStatus.APPLIED]
    assert "HTTP 503" in results[0].message
    assert len(slept) == 2


def test_missing_write_endpoint_is_skipped_with_the_reason(
    make_adapter: Callable, crm_http: responses.RequestsMock
) -> None:
    adapter = make_adapter()
    [result] = adapter.apply([an_action(ActionType.NOTE)])
    assert result.status is ActionStatus.SKIPPED
    assert "no write.note endpoint" in result.message and "[adapters.acme.write.note]" in result.message
    assert adapter.supported_actions() == frozenset({"reassign", "flag"})


def test_action_missing_a_template_value_fails_without_a_call(
    make_adapter: Callable, crm_http: responses.RequestsMock
) -> None:
    adapter = make_adapter(write={"reassign": {"path": "/leads/{id}/owner/{to}"}})
    [result] = adapter.apply([an_action(new_owner_id=None)])
    assert result.status is ActionStatus.FAILED and "needs {to}" in result.message


def test_budget_exhaustion_fails_the_rest_without_calls(
    make_adapter: Callable, crm_http: responses.RequestsMock
) -> None:
    adapter = make_adapter()
    adapter.http.budget.limit = 1
    crm_http.patch(LEAD_1, json={})
    results = adapter.apply([an_action(), an_action(record_id="L-2"), an_action(record_id="L-3")])
    assert [r.status for r in results] == [ActionStatus.APPLIED, ActionStatus.FAILED, ActionStatus.FAILED]
    assert "budget of 1 API calls" in results[2].message


# -- honest success and CRM error bodies ------------------------------------------------------------


def test_a_200_with_an_error_body_fails_with_the_crm_words_and_no_secret(
    make_adapter: Callable[..., Any], crm_http: responses.RequestsMock
) -> None:
    crm_http.patch(LEAD_1, status=200, json={"error": True, "message": f"token {TOKEN} may not assign"})
    adapter = make_adapter(write={"reassign": {"success": "!error"}})
    [result] = adapter.apply([an_action()])
    assert result.status is ActionStatus.FAILED and result.applied_at is None
    assert result.message == (
        "PATCH /leads/{id} answered 200 but did not do it (success = !error is not true): token *** may not assign"
    )


def test_a_message_path_points_at_the_crm_words_and_bulk_items_are_judged(
    make_adapter: Callable[..., Any], crm_http: responses.RequestsMock
) -> None:
    answer = {
        "data": [{"code": "SUCCESS"}, {"code": "INVALID_DATA", "details": {"why": "owner is inactive"}}]
    }
    crm_http.patch(LEAD_1, status=200, json=answer)
    adapter = make_adapter(
        write={
            "reassign": {
                "success": "data && !(data[?code != 'SUCCESS'])",
                "message": "data[?code != 'SUCCESS'].details.why | [0]",
            }
        }
    )
    [result] = adapter.apply([an_action()])
    assert result.status is ActionStatus.FAILED and result.message.endswith(": owner is inactive")


def test_field_errors_in_a_4xx_are_named(
    make_adapter: Callable[..., Any], crm_http: responses.RequestsMock
) -> None:
    crm_http.patch(
        LEAD_1,
        status=400,
        json=[
            {
                "message": "Owner ID: owner cannot be inactive",
                "errorCode": "INACTIVE_OWNER_OR_USER",
                "fields": ["OwnerId"],
            }
        ],
    )
    [result] = make_adapter().apply([an_action()])
    assert result.message == (
        "PATCH /leads/{id} answered HTTP 400: Owner ID: owner cannot be inactive (field OwnerId: INACTIVE_OWNER_OR_USER)"
    )
