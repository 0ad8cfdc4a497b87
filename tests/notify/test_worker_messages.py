"""The webhook worker posts one message per decision; a dry-run decision is announced once."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from connector.config import Config, parse_config
from connector.domain import User
from connector.identity_index import refresh_keys
from connector.inbox import Inbox
from connector.protocol import InboundEvent
from connector.store import Store
from connector.worker import Worker
from tests.notify.receivers import HttpReceiver, http_receiver
from tests.server.test_worker import CONFIG, NOW, FakeCrm, call, lead


@pytest.fixture
def http() -> Iterator[HttpReceiver]:
    with http_receiver() as receiver:
        yield receiver


def worker_setup(make_store: Callable[[str], Store], store_url: str, url: str, *, apply: bool) -> tuple[Store, Config]:
    raw = {**CONFIG, "referee": {"apply": apply},
           "notify": {"targets": [{"name": "chat", "url": url, "events": ["worker"]}]}}
    config = parse_config(raw, environ={})
    store = make_store(store_url)
    store.upsert_users("crm", [User(id="u-li", name="李娜"), User(id="u-wang", name="王强")])
    existing = lead("L-1", "u-li", days_ago=10)
    store.upsert_records([existing], seen_at=NOW)
    refresh_keys(store, [existing], config.identity)
    store.upsert_activities([call("L-1", "u-li", 5), call("L-2", "u-wang", 1)])
    return store, config


def test_a_worker_decision_is_posted_with_names(make_store: Callable[[str], Store], store_url: str,
                                                http: HttpReceiver) -> None:
    store, config = worker_setup(make_store, store_url, http.url(), apply=True)
    worker = Worker(config, store, {"crm": FakeCrm()}, clock=lambda: NOW)
    Inbox(store).add("crm", InboundEvent(event_id="e1", records=[lead("L-2", "u-wang", 2)]), b"{}", now=NOW)
    assert worker.drain() == 1
    [message] = http.messages
    assert message["title"].startswith("crm-referee decided on Acme Inc. (Leads/L-")
    assert "1 new conflict(s)" in message["title"]
    assert "李娜 and 王强" in message["message"] and "(webhook, apply)" in message["message"]


def test_a_dry_run_decision_is_announced_once(make_store: Callable[[str], Store], store_url: str,
                                              http: HttpReceiver) -> None:
    store, config = worker_setup(make_store, store_url, http.url(), apply=False)
    worker = Worker(config, store, {"crm": FakeCrm()}, clock=lambda: NOW)
    inbox = Inbox(store)
    newcomer = lead("L-2", "u-wang", 2)
    inbox.add("crm", InboundEvent(event_id="e1", records=[newcomer]), b"{}", now=NOW)
    inbox.add("crm", InboundEvent(event_id="e2", records=[newcomer]), b"{}", now=NOW)  # planned again
    assert worker.drain() == 2
    assert len(http.messages) == 1


def test_a_chat_outage_does_not_fail_the_event(make_store: Callable[[str], Store], store_url: str,
                                               http: HttpReceiver) -> None:
    store, config = worker_setup(make_store, store_url, http.url(), apply=True)
    http.statuses = [503]
    worker = Worker(config, store, {"crm": FakeCrm()}, clock=lambda: NOW)
    inbox = Inbox(store)
    inbox.add("crm", InboundEvent(event_id="e1", records=[lead("L-2", "u-wang", 2)]), b"{}", now=NOW)
    assert worker.drain() == 1
    assert [e.status.value for e in inbox.list()] == ["done"]
    assert len(store.get_values("notify-outbox")) == 1


def test_an_applying_worker_reports_only_moves_that_landed(make_store: Callable[[str], Store], store_url: str,
                                                           http: HttpReceiver) -> None:
    """A reassignment left planned (the CRM refused or credits ran out) is not announced as a move."""
    from connector.domain import Action, ActionResult, ActionStatus, ActionType, Module, RecordRef
    from connector.notify.hooks import notify_decision

    store, config = worker_setup(make_store, store_url, http.url(), apply=True)
    target = RecordRef(adapter="crm", module=Module.LEADS, id="L-1")

    def reassign(key: str, status: ActionStatus) -> ActionResult:
        action = Action(type=ActionType.REASSIGN, target=target, new_owner_id="u-wang", previous_owner_id="u-li",
                        reason="first-contact SLA missed", rule="first-contact", idempotency_key=key)
        return ActionResult(action=action, status=status)

    sent: list[str] = []

    def capture(_target: object, message: object) -> None:
        sent.append(str(message))

    notify_decision(config, store, [], [reassign("k-left", ActionStatus.PLANNED)], run_id="r1",
                    mode="webhook-apply", now=NOW, send=capture)
    notify_decision(config, store, [], [reassign("k-done", ActionStatus.APPLIED)], run_id="r2",
                    mode="webhook-apply", now=NOW, send=capture)
    assert len(sent) == 1 and "r2" in sent[0] and "r1" not in sent[0]
