"""Every pagination style, its stop rules, loop detection and the cursor a pull hands back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import responses
from responses import matchers
from webhook_builders import BASE

from adapters.webhook.adapter import WebhookAdapter
from connector.errors import CrmApiError

LEADS = f"{BASE}/leads"


def lead(ident: str, updated: str = "2026-11-20T10:00:00+08:00") -> dict[str, Any]:
    return {"id": ident, "owner": {"id": "u-1"}, "updated_at": updated}


def q(**params: str) -> list[Any]:
    return [matchers.query_param_matcher(params)]


def pulled_ids(adapter: WebhookAdapter, cursors: dict[str, str] | None = None) -> list[str]:
    return [r.id for batch in adapter.pull(cursors or {}) for r in batch.records]


def records_with(pagination: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"read": {"records": {"pagination": pagination, "params": {}, **extra}}}


def test_page_style_stops_on_empty_page(make_adapter: Callable, crm_http: responses.RequestsMock) -> None:
    adapter = make_adapter(**records_with({"style": "page", "param": "p", "limit_param": "size", "limit": 2}))
    crm_http.get(LEADS, json={"data": [lead("1"), lead("2")]}, match=q(p="1", size="2"))
    crm_http.get(LEADS, json={"data": [lead("3")]}, match=q(p="2", size="2"))
    crm_http.get(LEADS, json={"data": []}, match=q(p="3", size="2"))
    assert pulled_ids(adapter) == ["1", "2", "3"]


def test_page_style_short_page_is_the_last(make_adapter: Callable, crm_http: responses.RequestsMock) -> None:
    pagination = {"style": "page", "start": 0, "limit_param": "per_page", "limit": 2, "stop": "short"}
    adapter = make_adapter(**records_with(pagination))
    crm_http.get(LEADS, json={"data": [lead("1"), lead("2")]}, match=q(page="0", per_page="2"))
    crm_http.get(LEADS, json={"data": [lead("3")]}, match=q(page="1", per_page="2"))
    assert pulled_ids(adapter) == ["1", "2", "3"]


def test_has_more_flag_stops(make_adapter: Callable, crm_http: responses.RequestsMock) -> None:
    adapter = make_adapter(**records_with({"style": "page", "has_more": "meta.has_more"}))
    crm_http.get(LEADS, json={"data": [lead("1")], "meta": {"has_more": True}}, match=q(page="1"))
    crm_http.get(LEADS, json={"data": [lead("2")], "meta": {"has_more": False}}, match=q(page="2"))
    assert pulled_ids(adapter) == ["1", "2"]


def test_offset_style_advances_by_items_received(
    make_adapter: Callable, crm_http: responses.RequestsMock
) -> None:
    pagination = {"style": "offset", "param": "skip", "limit_param": "take", "limit": 3, "stop": "short"}
    adapter = make_adapter(**records_with(pagination))
    crm_http.get(LEADS, json={"data": [lead("1"), lead("2"), lead("3")]}, match=q(skip="0", take="3"))
    crm_http.get(LEADS, json={"data": [lead("4")]}, match=q(skip="3", take="3"))
    assert pulled_ids(adapter) == ["1", "2", "3", "4"]


def test_cursor_style_sends_the_token_back(make_adapter: Callable, crm_http: responses.RequestsMock) -> None:
    adapter = make_adapter(**records_with({"style": "cursor", "param": "cursor", "next": "meta.next"}))
    crm_http.get(LEADS, json={"data": [lead("1")], "meta": {"next": "abc"}}, match=q())
    crm_http.get(LEADS, json={"data": [lead("2")], "meta": {"next": "def"}}, match=q(cursor="abc"))
    crm_http.get(LEADS, json={"data": [lead("3")], "meta": {"next": None}}, match=q(cursor="def"))
    assert pulled_ids(adapter) == ["1", "2", "3"]


def test_link_header_style_follows_rel_next(make_adapter: Callable, crm_http: responses.RequestsMock) -> None:
    adapter = make_adapter(**records_with({"style": "link-header"}, items=None))
    second = f"{LEADS}?page=2&token=x"
    crm_http.get(
        LEADS,
        json=[lead("1")],
        headers={"Link": f'<{second}>; rel="next", <{LEADS}>; rel="first"'},
        match=q(),
    )
    crm_http.get(LEADS, json=[lead("2")], match=q(page="2", token="x"))
    assert pulled_ids(adapter) == ["1", "2"]


def test_link_header_relative_url_is_resolved(
    make_adapter: Callable, crm_http: responses.RequestsMock
) -> None:
    adapter = make_adapter(**records_with({"style": "link-header"}, items=None))
    crm_http.get(LEADS, json=[lead("1")], headers={"Link": '</api/v2/leads?page=2>; rel="next"'}, match=q())
    crm_http.get(LEADS, json=[lead("2")], match=q(page="2"))
    assert pulled_ids(adapter) == ["1", "2"]


def test_next_url_style_follows_the_body(make_adapter: Callable, crm_http: responses.RequestsMock) -> None:
    adapter = make_adapter(**records_with({"style": "next-url", "next": "links.next"}))
    crm_http.get(LEADS, json={"data": [lead("1")], "links": {"next": f"{LEADS}?after=1"}}, match=q())
    crm_http.get(LEADS, json={"data": [lead("2")], "links": {"next": None}}, match=q(after="1"))
    assert pulled_ids(adapter) == ["1", "2"]


@pytest.mark.parametrize(
    ("pagination", "pages", "ids"),
    [
        pytest.param(
            {"style": "cursor", "param": "cursor", "next": "next"},
            [({"data": [lead("1")], "next": "A"}, {}), ({"data": [lead("2")], "next": "A"}, {"cursor": "A"})],
            ["1", "2"],
            id="cursor-repeats",
        ),
        pytest.param(
            {"style": "cursor", "param": "cursor", "next": "next"},
            [({"data": [lead("1")], "next": ""}, {})],
            ["1"],
            id="cursor-empty-string",
        ),
        pytest.param(
            {"style": "cursor", "param": "cursor", "next": "next"},
            [({"data": [lead("1")], "next": 0}, {})],
            ["1"],
            id="cursor-zero",
        ),
        pytest.param(
            {"style": "offset", "param": "start", "next": "more.next_start"},
            [
                ({"data": [lead("1"), lead("2")], "more": {"next_start": 2}}, {"start": "0"}),
                ({"data": [lead("3")], "more": {"next_start": 0}}, {"start": "2"}),
            ],
            ["1", "2", "3"],
            id="next-offset-zero",
        ),
        pytest.param(
            {"style": "offset", "param": "start", "next": "more.next_start"},
            [
                ({"data": [lead("1")], "more": {"next_start": 1}}, {"start": "0"}),
                ({"data": [lead("2")], "more": {"next_start": 1}}, {"start": "1"}),
            ],
            ["1", "2"],
            id="next-offset-repeats",
        ),
        pytest.param(
            {"style": "next-url", "next": "next"},
            [
                ({"data": [lead("1")], "next": f"{LEADS}?p=2"}, {}),
                ({"data": [lead("2")], "next": f"{LEADS}?p=2"}, {"p": "2"}),
            ],
            ["1", "2"],
            id="next-url-repeats",
        ),
    ],
)
def test_a_zero_empty_or_repeated_next_value_ends_the_list(
    make_adapter: Callable,
    crm_http: responses.RequestsMock,
    pagination: dict[str, Any],
    pages: list[tuple[dict[str, Any], dict[str, str]]],
    ids: list[str],
) -> None:
    adapter = make_adapter(**records_with(pagination))
    for body, params in pages:
        crm_http.get(LEADS, json=body, match=q(**params))
    assert pulled_ids(adapter) == ids


def test_a_page_param_the_crm_ignores_is_an_error(make_adapter: Callable, crm_http: responses.RequestsMock) -> None:
    adapter = make_adapter(**records_with({"style": "page"}))
    crm_http.get(LEADS, json={"data": [lead("1")]}, match=q(page="1"))
    crm_http.get(LEADS, json={"data": [lead("1")]}, match=q(page="2"))
    with pytest.raises(CrmApiError, match="returned the same page twice"):
        pulled_ids(adapter)


def test_link_header_pointing_at_itself_ends_the_list(
    make_adapter: Callable, crm_http: responses.RequestsMock
) -> None:
    adapter = make_adapter(**records_with({"style": "link-header"}, items=None))
    crm_http.get(LEADS, json=[lead("1")], headers={"Link": f'<{LEADS}>; rel="next"'})
    assert pulled_ids(adapter) == ["1"]


def test_max_pages_is_a_hard_cap(make_adapter: Callable, crm_http: responses.RequestsMock) -> None:
    adapter = make_adapter(**records_with({"style": "page", "max_pages": 2}))
    crm_http.get(LEADS, json={"data": [lead("1")]}, match=q(page="1"))
    crm_http.get(LEADS, json={"data": [lead("2")]}, match=q(page="2"))
    with pytest.raises(CrmApiError, match="stopped after 2 pages"):
        pulled_ids(adapter)


def test_next_url_on_another_host_is_refused(
    make_adapter: Callable, crm_http: responses.RequestsMock
) -> None:
    adapter = make_adapter(**records_with({"style": "next-url", "next": "next"}))
    crm_http.get(LEADS, json={"data": [lead("1")], "next": "https://evil.example/steal"})
    with pytest.raises(CrmApiError, match="credentials are only sent to base_url"):
        pulled_ids(adapter)


def test_items_that_are_not_a_list_are_explained(
    make_adapter: Callable, crm_http: responses.RequestsMock
) -> None:
    adapter = make_adapter()
    crm_http.get(LEADS, json={"data": {"id": "1"}})
    with pytest.raises(CrmApiError, match='items = "data" is a dict, not a list'):
        pulled_ids(adapter)


def test_full_pull_omits_cursor_param_and_returns_max_cursor(
    make_adapter: Callable, crm_http: responses.RequestsMock
) -> None:
    adapter = make_adapter()
    crm_http.get(
        LEADS,
        json={"data": [lead("1", "2026-11-20T10:00:00+08:00"), lead("2", "2026-11-21T01:00:00Z"), lead("3")]},
        match=q(),
    )
    batches = list(adapter.pull({"records": "2026-01-01T00:00:00Z"}, full=True))
    assert [(b.stream, len(b.records), b.cursor) for b in batches] == [
        ("records", 3, None),
        ("records", 0, "2026-11-21T01:00:00Z"),
    ]


def test_incremental_pull_sends_the_stored_cursor(
    make_adapter: Callable, crm_http: responses.RequestsMock
) -> None:
    adapter = make_adapter()
    crm_http.get(LEADS, json={"data": []}, match=q(updated_since="2026-11-01T00:00:00Z"))
    batches = list(adapter.pull({"records": "2026-11-01T00:00:00Z"}))
    assert batches[-1].cursor == "2026-11-01T00:00:00Z"  # nothing new: the stored cursor stays


def test_epoch_cursor_values_compare_as_instants(
    make_adapter: Callable, crm_http: responses.RequestsMock
) -> None:
    adapter = make_adapter()
    crm_http.get(LEADS, json={"data": [lead("1", 1764000000), lead("2", 999999999)]})
    assert list(adapter.pull({}))[-1].cursor == "1764000000"


def test_failed_page_raises_and_yields_no_cursor(
    make_adapter: Callable, crm_http: responses.RequestsMock
) -> None:
    adapter = make_adapter(**records_with({"style": "cursor", "param": "c", "next": "next"}))
    crm_http.get(LEADS, json={"data": [lead("1")], "next": "n2"}, match=q())
    crm_http.get(LEADS, status=400, json={"message": "bad cursor"}, match=q(c="n2"))
    seen = []
    with pytest.raises(CrmApiError, match="HTTP 400: bad cursor"):
        for batch in adapter.pull({}):
            seen.append(batch.cursor)
    assert seen == [None]


def test_cursor_in_a_post_body_like_a_search_api(make_adapter: Callable, crm_http: responses.RequestsMock) -> None:
    """HubSpot-style search: ``after`` and ``limit`` travel in the JSON body, the filter stays in it."""
    adapter = make_adapter(
        read={
            "records": {
                "method": "POST",
                "path": "/leads/search",
                "params": None,
                "body": {"filters": [{"gte": "{cursor}"}], "sort": "updated_at"},
                "items": "results",
                "pagination": {
                    "style": "cursor",
                    "param": "after",
                    "next": "paging.next.after",
                    "location": "body",
                    "limit_param": "limit",
                    "limit": 2,
                },
            }
        }
    )
    search_url = f"{BASE}/leads/search"
    filters = {"filters": [{"gte": "2026-11-01T00:00:00Z"}], "sort": "updated_at"}
    crm_http.post(
        search_url,
        json={"results": [lead("1"), lead("2")], "paging": {"next": {"after": "2"}}},
        match=[matchers.json_params_matcher({**filters, "limit": 2}), matchers.query_param_matcher({})],
    )
    crm_http.post(
        search_url,
        json={"results": [lead("3")]},
        match=[matchers.json_params_matcher({**filters, "limit": 2, "after": "2"})],
    )
    assert pulled_ids(adapter, {"records": "2026-11-01T00:00:00Z"}) == ["1", "2", "3"]


def test_several_lists_in_one_answer_are_read_without_a_union(
    make_adapter: Callable, crm_http: responses.RequestsMock
) -> None:
    adapter = make_adapter(read={"records": {"params": {}, "items": ["data.open", "data.closed", "data.missing"]}})
    crm_http.get(LEADS, json={"data": {"open": [lead("1"), lead("2")], "closed": [lead("3")]}})
    assert pulled_ids(adapter) == ["1", "2", "3"]


def test_offsets_count_what_the_server_returned_not_what_the_mapping_kept(
    make_adapter: Callable, crm_http: responses.RequestsMock
) -> None:
    adapter = make_adapter(
        read={
            "records": {
                "params": {},
                "fields": {"created_at": "created"},
                "pagination": {"style": "offset", "param": "skip", "limit_param": "take", "limit": 3, "stop": "short"},
            }
        }
    )
    bad = {**lead("2"), "created": "not a time"}
    crm_http.get(LEADS, json={"data": [lead("1"), bad, lead("3")]}, match=q(skip="0", take="3"))
    crm_http.get(LEADS, json={"data": [lead("4")]}, match=q(skip="3", take="3"))
    batches = list(adapter.pull({}))
    assert [r.id for b in batches for r in b.records] == ["1", "3", "4"]
    [warning] = adapter.drain_warnings()
    assert warning.code == "bad_item" and warning.message.startswith("acme: records item 2: created_at")
    assert "read.records.fields.created_at" in warning.message


def test_a_failing_next_path_is_a_clear_error(make_adapter: Callable, crm_http: responses.RequestsMock) -> None:
    adapter = make_adapter(**records_with({"style": "cursor", "param": "c", "next": "join(',', meta)"}))
    crm_http.get(LEADS, json={"data": [lead("1")], "meta": None})
    with pytest.raises(CrmApiError, match=r"pagination.next: path \"join\(',', meta\)\" failed"):
        pulled_ids(adapter)
