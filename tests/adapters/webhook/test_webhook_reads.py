"""Per-record reads, deletions, own writes and time zones, against ``responses`` and a real store."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import responses
from responses import matchers
from webhook_builders import BASE, NOW, make_config

from adapters.webhook.adapter import WebhookAdapter
from adapters.webhook.fanout import fan_out
from connector.domain import (
    Action,
    ActionResult,
    ActionStatus,
    ActionType,
    Module,
    Record,
    RecordRef,
    action_key,
)
from connector.errors import CrmApiError
from connector.http import HttpClient
from connector.store import Store

LEADS = f"{BASE}/leads"


def leads(*ids: str, **extra: Any) -> dict[str, Any]:
    return {"data": [{"id": i, "owner": {"id": "u-1"}, "updated_at": "2026-11-20T10:00:00+08:00", **extra} for i in ids]}


def per_record(**extra: Any) -> dict[str, Any]:
    return {
        "activities": {
            "for_each": "records",
            "path": "/leads/{record.id}/calls",
            "items": "calls",
            "fields": {"id": "id", "owner_id": "by", "occurred_at": "at", "text": "note", "created_by": "by"},
            **extra,
        }
    }


def collect(adapter: WebhookAdapter) -> tuple[list[Record], list[Any], list[RecordRef], list[str]]:
    """Everything one pull brings, and the run warnings it left (their messages)."""
    records: list[Record] = []
    activities: list[Any] = []
    deleted: list[RecordRef] = []
    for batch in adapter.pull({}):
        records += batch.records
        activities += batch.activities
        deleted += batch.deleted
    return records, activities, deleted, [w.message for w in adapter.drain_warnings()]


@pytest.fixture
def store(tmp_path: Any) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    yield opened
    opened.close()


# -- per-record fan-out -----------------------------------------------------------------------------


def test_activities_are_read_once_per_record_the_pull_brought(
    make_adapter: Callable[..., WebhookAdapter], crm_http: responses.RequestsMock
) -> None:
    crm_http.get(LEADS, json=leads("L-1", "L-2", "L-3"))
    crm_http.get(f"{LEADS}/L-1/calls", json={"calls": [{"id": "c1", "by": "u-1", "at": "2026-11-20T10:00:00Z"}]})
    crm_http.get(f"{LEADS}/L-2/calls", json={"calls": [{"id": "c2", "by": "u-2", "at": 1764000000}, {"id": "c3", "by": "u-2", "at": "2026-11-21"}]})
    crm_http.get(f"{LEADS}/L-3/calls", status=404, json={"message": "lead deleted"})  # gone meanwhile
    adapter = make_adapter(read=per_record())
    _, activities, _, problems = collect(adapter)
    assert sorted((a.id, a.record.id, a.record.module) for a in activities) == [
        ("c1", "L-1", Module.LEADS), ("c2", "L-2", Module.LEADS), ("c3", "L-2", Module.LEADS)
    ]
    assert problems == []
    assert adapter.api_calls() == {"GET /leads": 1, "GET /leads/{record.id}/calls": 3}


def test_per_record_params_and_a_missing_record_field(
    make_adapter: Callable[..., WebhookAdapter], crm_http: responses.RequestsMock
) -> None:
    read = per_record(path="/activities", params={"lead": "{record.id}", "team": "{record.region}"})
    read["records"] = {"params": {}, "fields": {"region": "region"}}
    crm_http.get(LEADS, json={"data": [{"id": "L-1", "region": "east"}, {"id": "L-2"}]})
    crm_http.get(f"{BASE}/activities", json={"calls": []}, match=[matchers.query_param_matcher({"lead": "L-1", "team": "east"})])
    crm_http.get(f"{BASE}/activities", json={"calls": []}, match=[matchers.query_param_matcher({"lead": "L-2"})])
    collect(make_adapter(read=read))


def test_for_modules_limits_the_records_read_for(
    make_adapter: Callable[..., WebhookAdapter], crm_http: responses.RequestsMock
) -> None:
    read = per_record(for_modules=["Contacts"])
    crm_http.get(LEADS, json=leads("L-1"))
    adapter = make_adapter(read=read)
    collect(adapter)
    assert "GET /leads/{record.id}/calls" not in adapter.api_calls()


def test_a_server_error_on_one_record_stops_the_pull(
    make_adapter: Callable[..., WebhookAdapter], crm_http: responses.RequestsMock
) -> None:
    crm_http.get(LEADS, json=leads("L-1"))
    crm_http.get(f"{LEADS}/L-1/calls", status=400, json={"message": "bad request"})
    with pytest.raises(CrmApiError, match=r"GET /leads/\{record.id\}/calls answered HTTP 400: bad request"):
        collect(make_adapter(read=per_record()))


def test_fan_out_keeps_order_and_never_exceeds_its_concurrency() -> None:
    running, most = 0, 0
    lock = threading.Lock()

    def work(n: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.001)
        with lock:
            running -= 1
        return n * n

    assert list(fan_out(range(50), work, concurrency=3)) == [n * n for n in range(50)]
    assert most <= 3


def test_fan_out_raises_the_first_error_and_cancels_the_rest() -> None:
    started: list[int] = []

    def work(n: int) -> int:
        started.append(n)
        if n == 2:
            raise CrmApiError("boom")
        return n

    with pytest.raises(CrmApiError, match="boom"):
        list(fan_out(range(1000), work, concurrency=2))
    assert len(started) < 1000


def test_a_retry_after_holds_every_thread_back() -> None:
    """The shared HTTP layer: one request's 429 Retry-After pauses the others' first attempts."""
    slept: list[float] = []
    http = HttpClient("acme", sleep=slept.append, max_attempts=3)
    with responses.RequestsMock() as rsps:
        rsps.get(f"{BASE}/a", status=429, headers={"Retry-After": "30"})
        rsps.get(f"{BASE}/a", json={})
        http.request("GET", f"{BASE}/a")  # 429, waits 30 s (recorded), then 200
        assert slept == [30.0]
        http._resume_at = time.monotonic() + 30  # as if the 429 had just come on another thread
        rsps.get(f"{BASE}/b", json={})
        http.request("GET", f"{BASE}/b")
    assert len(slept) == 2 and 29 < slept[1] <= 30
    assert http.calls == {"GET": 3}


# -- deletions --------------------------------------------------------------------------------------


def test_a_deleted_records_endpoint_with_lookback_and_the_cursor_from_the_body(
    make_adapter: Callable[..., WebhookAdapter], crm_http: responses.RequestsMock
) -> None:
    read = {
        "records": None,
        "deleted": {
            "path": "/leads/deleted",
            "params": {"start": "{cursor}", "end": "{now}"},
            "items": "deletedRecords",
            "cursor_path": "latestDateCovered",
            "lookback": "1d",
            "module": "Leads",
            "fields": {"id": "id"},
        },
    }
    crm_http.get(
        f"{LEADS}/deleted",
        json={"deletedRecords": [{"id": "L-7", "deletedDate": "x"}], "latestDateCovered": "2026-11-27T01:59:00.000+0000"},
        match=[matchers.query_param_matcher({"start": "2026-11-26T02:00:00Z", "end": "2026-11-27T02:00:00Z"})],
    )
    batches = list(make_adapter(read=read).pull({}))
    assert batches[0].deleted == [RecordRef(adapter="acme", module=Module.LEADS, id="L-7")]
    assert batches[-1].cursor == "2026-11-27T01:59:00.000+0000"


def test_missing_from_a_full_read_means_deleted_but_not_on_an_empty_answer(
    crm_http: responses.RequestsMock, store: Store
) -> None:
    config = make_config(read={"records": {"params": {}, "missing_means_deleted": True, "module": "Leads"}})
    adapter = WebhookAdapter("acme", config, store=store, default_tz="UTC", clock=lambda: NOW)
    store.upsert_records(
        [Record(adapter="acme", module=Module.LEADS, id=i) for i in ("L-1", "L-2", "L-3")]
        + [Record(adapter="acme", module=Module.CONTACTS, id="C-1")],
        seen_at=NOW,
    )
    crm_http.get(LEADS, json=leads("L-1", "L-3"))
    _, _, deleted, _ = collect(adapter)
    assert deleted == [RecordRef(adapter="acme", module=Module.LEADS, id="L-2")]  # contacts not covered

    crm_http.replace(responses.GET, LEADS, json={"data": []})
    _, _, deleted, problems = collect(adapter)
    assert deleted == [] and problems == ["acme: records: the CRM returned no items, so records missing from this full read were not deleted"]


def test_a_deleted_flag_removes_the_record_through_the_real_sync(crm_http: responses.RequestsMock, store: Store) -> None:
    from connector.config import parse_config
    from connector.sync import SyncOptions, run_sync

    config = make_config(read={"records": {"params": {}, "deleted": "archived"}})
    crm_http.get(LEADS, json=leads("L-1", "L-2"))
    adapter = WebhookAdapter("acme", config, store=store, default_tz="UTC", clock=lambda: NOW)
    run_sync(parse_config({}, environ={}), store, {"acme": adapter}, SyncOptions(now=NOW))
    assert {r.id for r in store.load_records("acme")} == {"L-1", "L-2"}
    crm_http.replace(responses.GET, LEADS, json={"data": [{"id": "L-2", "archived": True}]})
    run_sync(parse_config({}, environ={}), store, {"acme": adapter}, SyncOptions(now=NOW, full=True))
    assert {r.id for r in store.load_records("acme")} == {"L-1"}


# -- own writes are not activity ----------------------------------------------------------------------


def journal_note(store: Store, ref: RecordRef) -> None:
    action = Action(type=ActionType.NOTE, target=ref, text="crm-referee: …", reason="r", rule="x",
                    idempotency_key=action_key(ActionType.NOTE, ref, "t"))
    store.journal_plan("run-1", [action], now=NOW)
    store.journal_result("run-1", ActionResult(action=action, status=ActionStatus.APPLIED, applied_at=NOW), now=NOW)


def test_our_notes_and_the_integration_users_work_are_dropped(crm_http: responses.RequestsMock, store: Store) -> None:
    config = make_config(read=per_record(), integration_user="u-bot")
    adapter = WebhookAdapter("acme", config, store=store, default_tz="UTC", clock=lambda: NOW)
    journal_note(store, RecordRef(adapter="acme", module=Module.LEADS, id="L-1"))
    crm_http.get(LEADS, json=leads("L-1", "L-2"))
    at = "2026-11-20T10:00:00Z"
    crm_http.get(f"{LEADS}/L-1/calls", json={"calls": [
        {"id": "ours", "by": "u-3", "at": at, "note": "<p>crm-referee: 2 reps are pursuing …</p>"},  # mark + journal
        {"id": "bot", "by": "u-bot", "at": at, "note": "automatic"},  # the integration user
        {"id": "rep", "by": "u-3", "at": at, "note": "called back"},
    ]})
    crm_http.get(f"{LEADS}/L-2/calls", json={"calls": [
        {"id": "quoted", "by": "u-4", "at": at, "note": "crm-referee: said we pursue, I disagree"},  # no journal entry
    ]})
    _, activities, _, _ = collect(adapter)
    assert sorted(a.id for a in activities) == ["quoted", "rep"]


def test_records_last_changed_by_the_integration_user_carry_the_echo_mark(
    make_adapter: Callable[..., WebhookAdapter], crm_http: responses.RequestsMock
) -> None:
    crm_http.get(LEADS, json={"data": [{"id": "L-1", "by": "u-bot"}, {"id": "L-2", "by": "u-3"}]})
    adapter = make_adapter(integration_user="u-bot", read={"records": {"params": {}, "fields": {"modified_by": "by"}}})
    records, _, _, _ = collect(adapter)
    assert [r.extra for r in records] == [{"modified_by_integration": True}, {}]


# -- time zones and bad items ---------------------------------------------------------------------------


def test_naive_timestamps_use_the_adapters_time_zone(crm_http: responses.RequestsMock) -> None:
    config = make_config(timezone="UTC", read={"records": {"params": {}, "fields": {"created_at": "c"}}})
    crm_http.get(LEADS, json={"data": [{"id": "L-1", "c": "2026-11-20 09:00:00"}]})
    adapter = WebhookAdapter("acme", config, store=None, default_tz="Asia/Shanghai")
    [record], _, _, _ = collect(adapter)
    assert record.created_at == datetime(2026, 11, 20, 9, tzinfo=UTC)


def test_a_bad_item_is_reported_and_the_rest_of_the_page_is_read(
    make_adapter: Callable[..., WebhookAdapter], crm_http: responses.RequestsMock
) -> None:
    crm_http.get(LEADS, json={"data": [{"id": "L-1", "tags": ["a"]}, {"id": "L-2", "tags": None}, {"id": "L-3", "tags": []}]})
    adapter = make_adapter(read={"records": {"params": {}, "fields": {"tags": "join(',', tags)"}}})
    records, _, _, problems = collect(adapter)
    assert [r.id for r in records] == ["L-1", "L-3"]
    assert problems == [
        "acme: records item L-2: field tags: path \"join(',', tags)\" failed: In function join(), invalid type "
        "for value: None, expected one of: ['array-string'], received: \"null\" (check read.records.fields.tags)"
    ]


def test_co_owners_survive_the_store(store: Store) -> None:
    shared = Record(adapter="acme", module=Module.LEADS, id="L-1", owner_id="u-1", co_owner_ids=("u-2", "u-3"), extra={"k": 1})
    store.upsert_records([shared, Record(adapter="acme", module=Module.LEADS, id="L-2", owner_id="u-1")], seen_at=NOW)
    loaded = {r.id: r for r in store.load_records("acme")}
    assert loaded["L-1"] == shared and loaded["L-1"].extra == {"k": 1}
    assert loaded["L-2"].co_owner_ids == ()


def test_many_bad_items_are_listed_up_to_the_cap_with_a_total_first(
    make_adapter: Callable[..., WebhookAdapter], crm_http: responses.RequestsMock
) -> None:
    crm_http.get(LEADS, json={"data": [{"id": f"L-{i}", "c": "never"} for i in range(60)]})
    adapter = make_adapter(read={"records": {"params": {}, "fields": {"created_at": "c"}}})
    records, _, _, messages = collect(adapter)
    assert records == [] and len(messages) == 51
    assert messages[0].startswith("60 items could not be read and were skipped; the first 50 are listed")
    assert adapter.drain_warnings() == []  # drained: the next run starts clean
