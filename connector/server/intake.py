"""Group commit for the webhook endpoint: many concurrent requests, one inbox transaction.

Each request hands its verified event to :meth:`BatchWriter.add` and waits; a single task
collects whatever is waiting, commits it in one transaction (in a thread) and only then wakes
the requests, which answer 202. Durability is unchanged (nothing is acknowledged before its
commit) while the per-commit cost (a WAL flush on PostgreSQL, the write lock on SQLite) is shared.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

from sqlalchemy import exc as exc_types
from starlette.concurrency import run_in_threadpool

from connector.errors import WebhookRejectedError
from connector.inbox import Inbox
from connector.protocol import InboundEvent

MAX_BATCH = 256
_Item = tuple[str, InboundEvent, bytes]


class BatchWriter:
    def __init__(self, inbox: Inbox, max_batch: int = MAX_BATCH) -> None:
        self.inbox = inbox
        self.max_batch = max_batch
        self._pending: list[tuple[_Item, asyncio.Future[bool]]] = []
        self._wakeup: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._wakeup = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._run(), name="referee-inbox-writer")

    async def stop(self) -> None:
        """Commit what is still waiting, then end the task."""
        if self._task is None:
            return
        await self._flush()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    async def add(self, adapter: str, event: InboundEvent, body: bytes) -> bool:
        """Return once the event is committed; ``False`` when it was a duplicate."""
        if self._task is None or self._wakeup is None:  # not started (e.g. no lifespan): commit alone
            return await run_in_threadpool(
                lambda: self.inbox.add(adapter, event, body, now=datetime.now(UTC))
            )
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending.append(((adapter, event, body), future))
        self._wakeup.set()
        return await future

    async def _run(self) -> None:
        assert self._wakeup is not None
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            await self._flush()

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
            items = [item for item, _ in batch]
            try:
                results = await run_in_threadpool(self.inbox.add_many, items, now=datetime.now(UTC))
            except Exception:
                await self._one_by_one(batch)
                continue
            for (_, future), inserted in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(inserted)

    async def _one_by_one(self, batch: list[tuple[_Item, asyncio.Future[bool]]]) -> None:
        """A failed batch is retried event by event, so only the event that fails gets the error.

        Events are checked before they join a batch (``connector.sanitize``); this is the net
        under that check. When the store itself is down, every event fails here too (→ 503).
        """
        for (adapter, event, body), future in batch:
            try:
                inserted = await run_in_threadpool(
                    lambda: self.inbox.add(adapter, event, body, now=datetime.now(UTC))  # noqa: B023
                )
            except (UnicodeError, ValueError, exc_types.DataError) as exc:  # this event's data
                if not future.done():
                    future.set_exception(
                        WebhookRejectedError(f"the event cannot be stored ({type(exc).__name__})", status=400)
                    )
                continue
            except Exception as exc:
                if not future.done():
                    future.set_exception(exc)
                continue
            if not future.done():
                future.set_result(inserted)
