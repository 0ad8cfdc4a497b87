"""Ctrl-C and SIGTERM during a run: stop after the call in flight instead of dying mid-batch.

The first signal sets a flag the apply loop checks between call batches (and the pull between
pages); the run journals what came back, leaves the rest planned and ends ``interrupted`` with
exit status 130 (SIGINT) or 143 (SIGTERM). A second signal stops at once, as usual.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

EXIT_STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}


class StopFlag:
    """Which signal asked the run to stop (``None`` while none did)."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signum: int | None = None

    @property
    def exit_status(self) -> int:
        return EXIT_STATUS.get(signal.Signals(self.signum), 130) if self.signum is not None else 0


@contextmanager
def graceful_stop() -> Iterator[StopFlag]:
    """Install the handlers for the ``with`` block (main thread only; elsewhere a no-op)."""
    flag = StopFlag()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return
    previous = {sig: signal.getsignal(sig) for sig in EXIT_STATUS}

    def handler(signum: int, frame: FrameType | None) -> None:
        flag.signum = signum
        flag.event.set()
        for sig, old in previous.items():  # a second signal acts as it did before
            signal.signal(sig, old)

    for sig in EXIT_STATUS:
        signal.signal(sig, handler)
    try:
        yield flag
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
