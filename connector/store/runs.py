"""Runs, the run lock (one sync per store), per-stream cursors and the small key/value store."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, exc, func, insert, select, update

from connector.errors import StateError, SyncLockedError
from connector.run_warnings import RunWarning, warnings_to_json
from connector.store import schema
from connector.store.base import StoreBase, upsert

_LOCK_NAME = "sync"


@dataclass(frozen=True)
class RunInfo:
    """One row of the run history (``referee runs``, ``/readyz``)."""

    run_id: str
    mode: str
    adapters: tuple[str, ...]
    started_at: datetime
    finished_at: datetime | None
    status: str
    counts: dict[str, int] = field(default_factory=dict)
    error: str | None = None
    warnings: tuple[RunWarning, ...] = ()
    wall_started_at: datetime | None = None
    """When the run really started (``started_at`` is its ``--now``); ``None`` for runs before v7."""
    wall_finished_at: datetime | None = None

    @property
    def duration_seconds(self) -> float | None:
        if self.wall_started_at is None or self.wall_finished_at is None:
            return None
        return (self.wall_finished_at - self.wall_started_at).total_seconds()


class RunStore(StoreBase):
    # --- the run lock ---------------------------------------------------------------------

    @contextmanager
    def run_lock(self, holder: str, now: datetime, *, break_lock: bool = False) -> Iterator[None]:
        """Hold the store's single sync lock for the ``with`` block.

        The lock is a row whose primary key makes a second INSERT fail atomically, in any process,
        on SQLite and PostgreSQL. It is released on exit, also on exceptions; a process killed
        while holding it leaves the row behind, which ``break_lock=True`` removes first.
        """
        token = uuid.uuid4().hex
        lock = schema.run_lock
        taken = datetime.now(UTC)  # the wall clock, not ``now``: a replayed --now must not look weeks old
        if break_lock:
            with self._write() as conn:
                conn.execute(delete(lock).where(lock.c.name == _LOCK_NAME))
        for _attempt in range(3):
            try:
                with self._write() as conn:
                    conn.execute(
                        insert(lock).values(name=_LOCK_NAME, token=token, holder=holder, acquired_at=taken)
                    )
                break
            except exc.IntegrityError:
                with self._read() as conn:
                    held = conn.execute(
                        select(lock.c.holder, lock.c.acquired_at).where(lock.c.name == _LOCK_NAME)
                    ).first()
                if held is not None:  # else it was released in between: try again
                    raise SyncLockedError(
                        f"another sync is running: {held.holder}, started {describe_age(held.acquired_at, taken)}; "
                        "if that process is gone (check with ps on that host), run with --break-lock"
                    ) from None
        else:
            raise StateError("could not take the sync lock: it changed hands three times in a row; retry")
        try:
            yield
        finally:
            with self._write() as conn:
                conn.execute(delete(lock).where(lock.c.name == _LOCK_NAME, lock.c.token == token))

    def lock_holder(self) -> tuple[str, datetime] | None:
        """Who holds the sync lock and since when, or ``None`` (for status pages)."""
        lock = schema.run_lock
        with self._read() as conn:
            held = conn.execute(
                select(lock.c.holder, lock.c.acquired_at).where(lock.c.name == _LOCK_NAME)
            ).first()
        return None if held is None else (held.holder, held.acquired_at)

    # --- runs -----------------------------------------------------------------------------

    def start_run(self, *, mode: str, adapters: Sequence[str], now: datetime) -> str:
        """Record a started run; the id sorts by start time (``20261127T100000-<random>``)."""
        run_id = f"{now.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:12]}"
        with self._write() as conn:
            conn.execute(
                insert(schema.runs).values(
                    run_id=run_id,
                    mode=mode,
                    adapters=json.dumps(list(adapters)),
                    started_at=now,
                    wall_started_at=datetime.now(UTC),
                    status="running",
                )
            )
        return run_id

    def finish_run(
        self,
        run_id: str,
        *,
        now: datetime,
        status: str,
        counts: Mapping[str, int],
        error: str | None = None,
        warnings: Sequence[RunWarning] = (),
    ) -> None:
        runs = schema.runs
        with self._write() as conn:
            result = conn.execute(
                update(runs)
                .where(runs.c.run_id == run_id)
                .values(
                    finished_at=now,
                    wall_finished_at=datetime.now(UTC),
                    status=status,
                    counts=json.dumps(dict(counts), sort_keys=True),
                    error=error,
                    warnings=json.dumps(warnings_to_json(warnings)) if warnings else None,
                )
            )
            if result.rowcount != 1:
                raise StateError(f'run "{run_id}" is not in the state store (was it started with start_run?)')

    def list_runs(self, limit: int = 20, *, by_wall_clock: bool = False) -> list[RunInfo]:
        """The latest runs first: by evaluation time (``--now``), or by when they really started."""
        runs = schema.runs
        first = func.coalesce(runs.c.wall_started_at, runs.c.started_at) if by_wall_clock else runs.c.started_at
        query = select(runs).order_by(first.desc(), runs.c.run_id.desc()).limit(limit)
        with self._read() as conn:
            return [_run_info(row) for row in conn.execute(query)]

    def last_finished_run(self, *, exclude_mode_prefix: str = "webhook") -> RunInfo | None:
        """The latest finished sync run (webhook worker runs left out), for ``/metrics``."""
        runs = schema.runs
        query = (
            select(runs)
            .where(runs.c.finished_at.is_not(None), ~runs.c.mode.startswith(exclude_mode_prefix, autoescape=True))
            .order_by(runs.c.started_at.desc(), runs.c.run_id.desc())
            .limit(1)
        )
        with self._read() as conn:
            row = conn.execute(query).first()
        return None if row is None else _run_info(row)

    # --- cursors --------------------------------------------------------------------------

    def get_cursors(self, adapter: str) -> dict[str, str]:
        cursors = schema.cursors
        with self._read() as conn:
            rows = conn.execute(select(cursors.c.stream, cursors.c.value).where(cursors.c.adapter == adapter))
            return {stream: value for stream, value in rows}

    def set_cursor(self, adapter: str, stream: str, value: str) -> None:
        with self._write() as conn:
            conn.execute(
                upsert(self.dialect, schema.cursors, ("adapter", "stream")),
                {"adapter": adapter, "stream": stream, "value": value},
            )

    def clear_cursors(self, adapter: str) -> None:
        """Forget every cursor of ``adapter`` (the next pull is a full one)."""
        with self._write() as conn:
            conn.execute(delete(schema.cursors).where(schema.cursors.c.adapter == adapter))

    # --- key/value ------------------------------------------------------------------------

    def get_value(self, namespace: str, key: str) -> str | None:
        kv = schema.kv
        with self._read() as conn:
            return conn.execute(
                select(kv.c.value).where(kv.c.namespace == namespace, kv.c.key == key)
            ).scalar_one_or_none()

    def set_value(self, namespace: str, key: str, value: str) -> None:
        with self._write() as conn:
            conn.execute(
                upsert(self.dialect, schema.kv, ("namespace", "key")),
                {"namespace": namespace, "key": key, "value": value},
            )

    def get_values(self, namespace: str) -> dict[str, str]:
        kv = schema.kv
        with self._read() as conn:
            rows = conn.execute(select(kv.c.key, kv.c.value).where(kv.c.namespace == namespace))
            return {key: value for key, value in rows}

    def delete_value(self, namespace: str, key: str) -> None:
        kv = schema.kv
        with self._write() as conn:
            conn.execute(delete(kv).where(kv.c.namespace == namespace, kv.c.key == key))


def _run_info(row: Any) -> RunInfo:
    return RunInfo(
        run_id=row.run_id,
        mode=row.mode,
        adapters=tuple(json.loads(row.adapters)),
        started_at=row.started_at,
        finished_at=row.finished_at,
        status=row.status,
        counts=json.loads(row.counts) if row.counts else {},
        error=row.error,
        warnings=_warnings(row.warnings),
        wall_started_at=row.wall_started_at,
        wall_finished_at=row.wall_finished_at,
    )


def describe_age(at: datetime, now: datetime) -> str:
    """``2026-12-04 02:31:15 UTC (3m 12s ago)``: a wall-clock time and how long ago it was."""
    seconds = max(0, int((now - at).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    age = f"{hours}h {minutes}m" if hours else f"{minutes}m {secs}s" if minutes else f"{secs}s"
    return f"{at.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S')} UTC ({age} ago)"


def _warnings(raw: str | None) -> tuple[RunWarning, ...]:
    if not raw:
        return ()
    try:
        items = json.loads(raw)
    except ValueError:
        return ()
    return tuple(RunWarning.from_json(i) for i in items if isinstance(i, dict))
