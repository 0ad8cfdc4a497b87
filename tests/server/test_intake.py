"""The group commit on SQLite and PostgreSQL: an event the store refuses fails alone."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from connector.domain import Module, Record
from connector.errors import WebhookRejectedError
from connector.inbox import Inbox
from connector.protocol import InboundEvent
from connector.server.intake import BatchWriter
from connector.store import Store


def event(event_id: str, company: str = "Acme") -> InboundEvent:
    record = Record(adapter="acme", module=Module.LEADS, id=f"L-{event_id}", company=company)
    return InboundEvent(event_id=event_id, records=(record,))


def test_a_batch_the_store_refuses_is_retried_one_by_one(
    make_store: Callable[[str], Store], store_url: str
) -> None:
    """A lone surrogate cannot be encoded by any driver; it gets past intake's checks only here,
    where no check ran, and must still fail only its own request."""
    inbox = Inbox(make_store(store_url))
    events = [event(f"ok-{i}") for i in range(20)]
    events.insert(7, event("poison", company="\ud800 Acme"))

    async def run() -> list[object]:
        writer = BatchWriter(inbox)
        writer.start()
        try:
            return await asyncio.gather(
                *(writer.add("acme", e, b"{}") for e in events), return_exceptions=True
            )
        finally:
            await writer.stop()

    results = asyncio.run(run())

    assert isinstance(results[7], WebhookRejectedError) and results[7].status == 400
    assert results[:7] + results[8:] == [True] * 20
    assert {e.event_id for e in inbox.list(limit=100)} == {f"ok-{i}" for i in range(20)}


@pytest.mark.parametrize("company", ["Acme\x00", "\udfff", "x" * 20_000])
def test_intake_check_names_the_field(company: str) -> None:
    from connector.sanitize import event_problem

    problem = event_problem(event("e", company=company))

    assert problem is not None and problem.startswith("acme: Leads L-e: field company")
