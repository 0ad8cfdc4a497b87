"""Run one read per record, a bounded number at a time, and hand the results back in order.

For CRMs that list activities only per record (``GET /Lead/{id}/calls``). At most
``concurrency`` requests are in flight and at most twice that many results wait, so a pull of a
million records neither opens a million connections nor holds a million answers. Rate limits
are honoured by the shared HTTP layer (``Retry-After`` pauses every thread); the first error
cancels what has not started and is raised to the caller.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def fan_out(items: Iterable[T], work: Callable[[T], R], *, concurrency: int) -> Iterator[R]:
    """``work(item)`` for every item, ``concurrency`` at a time; results in the order of ``items``."""
    source = iter(items)
    if concurrency <= 1:
        for item in source:
            yield work(item)
        return
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="referee-fanout") as pool:
        window: deque[Future[R]] = deque()
        try:
            for item in source:
                window.append(pool.submit(work, item))
                if len(window) >= concurrency * 2:
                    break
            while window:
                result = window.popleft().result()
                following = next(source, _END)
                if following is not _END:
                    window.append(pool.submit(work, following))  # type: ignore[arg-type]
                yield result
        finally:
            for pending in window:
                pending.cancel()


_END = object()
