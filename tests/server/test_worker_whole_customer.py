"""The worker judges the whole customer, not only the records an event's record matches directly.

A~B by e-mail and B~C by phone make one customer for the sync (transitive resolution), though A
and C share nothing. A worker that saw only C's direct matches ({B, C}) chose a different keeper
than the sync, so the two kept undoing each other's decisions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from connector.config import parse_config
from connector.domain import Module, Record, User
from connector.identity_index import refresh_keys
from connector.inbox import Inbox
from connector.protocol import InboundEvent
from connector.store import Store
from connector.worker import Worker
from rules.engine import evaluate
from rules.snapshot import Snapshot
from tests.server.test_worker import CONFIG, NOW, FakeCrm, call


def _lead(record_id: str, owner: str, *, email: str | None, phone: str | None, company: str) -> Record:
    return Record(adapter="crm", module=Module.LEADS, id=record_id, owner_id=owner,
                  created_at=NOW - timedelta(days=20), company=company,
                  emails=(email,) if email else (), phones=(phone,) if phone else ())


def test_a_chained_customer_gets_the_keeper_the_sync_would_choose(
    make_store: Callable[[str], Store], store_url: str
) -> None:
    store = make_store(store_url)
    config = parse_config(CONFIG, environ={})
    users = [User(id="u-li", name="Li"), User(id="u-wang", name="Wang"), User(id="u-zhao", name="Zhao")]
    store.upsert_users("crm", users)
    first = _lead("L-A", "u-li", email="ops@northwind.example", phone=None, company="Northwind Trading")
    middle = _lead("L-B", "u-wang", email="ops@northwind.example", phone="+1 415 555 0199", company="NW Ltd")
    store.upsert_records([first, middle], seen_at=NOW)
    refresh_keys(store, [first, middle], config.identity)
    # Li touched the customer first, Wang later; Zhao's new lead shares only Wang's phone.
    store.upsert_activities([call("L-A", "u-li", 9), call("L-B", "u-wang", 4), call("L-C", "u-zhao", 1)])
    newcomer = _lead("L-C", "u-zhao", email=None, phone="+1 415 555 0199", company="Zhao's contact")

    crm = FakeCrm()
    worker = Worker(config, store, {"crm": crm}, clock=lambda: NOW)
    Inbox(store).add("crm", InboundEvent(event_id="e1", records=[newcomer]), b"{}", now=NOW)
    assert worker.drain() == 1

    everything = Snapshot(users={u.id: u for u in users}, records=store.load_records(),
                          activities=store.load_activities())
    sync_plan = evaluate(everything, config.ruleset(), NOW)
    [sync_finding] = sync_plan.findings
    assert sync_finding.keeper == "u-li" and len(sync_finding.records) == 3
    assert crm.applied, "the worker made no decision"
    assert {a.idempotency_key for a in crm.applied} <= {a.idempotency_key for a in sync_plan.actions}
    assert {a.target.id for a in crm.applied} == {a.target.id for a in sync_plan.actions}
