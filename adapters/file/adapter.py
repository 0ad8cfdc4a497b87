""":class:`FileAdapter`: a CRM that is a directory of exports (``users``, ``records``, ``activities``).

Files are full exports: every pull reads them whole, and a cursor only narrows what is *yielded*
(lines changed after it). Records that disappear from a later export are not reported as deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from adapters.file.atomic import write_atomic
from adapters.file.config import FileAdapterConfig
from adapters.file.parse import BadValue, to_activity, to_record, to_user
from adapters.file.source import BadLine, Format, Row, iter_rows, locate
from adapters.file.writeback import apply_to_lines, verify_lines
from connector.domain import Action, ActionResult, ActionStatus, ActionType, Activity, Record, SkipCode, User
from connector.errors import DataError
from connector.protocol import PullBatch

MAX_LISTED_ERRORS = 20
CSV_READ_ONLY = "CSV exports are read-only; export as JSON Lines to write back"
_WRITABLE = frozenset(t.value for t in ActionType)
T = TypeVar("T")


def _first_problem(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors(include_input=False, include_url=False)[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"{where}: {first.get('msg', 'invalid')}" if where else str(first.get("msg", "invalid"))
    if isinstance(exc, RecursionError):
        return "nests too deeply to be a record"
    return str(exc) or type(exc).__name__


def _utcnow() -> datetime:
    return datetime.now(UTC)


class FileAdapter:
    """Reads JSON Lines or CSV exports; writes actions back into ``records.jsonl`` / ``notes.jsonl``."""

    def __init__(
        self,
        name: str,
        config: FileAdapterConfig,
        default_tz: str = "UTC",
        *,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.name = name
        self.config = config
        self.directory = Path(config.path)
        self._tz: tzinfo = ZoneInfo(default_tz)
        self._clock = clock

    # -- reading -------------------------------------------------------------------------------

    def pull_users(self) -> Sequence[User]:
        users, errors = self._load("users", lambda row: to_user(row.data, self._tz), lambda u: u.id)
        _raise_if(errors)
        return users

    def pull(self, cursors: Mapping[str, str], *, full: bool = False) -> Iterator[PullBatch]:
        """Yield ``records`` then ``activities`` changed after their cursors, in ``batch_size`` chunks.

        Both files are read and checked completely before the first batch, so bad data never
        leaves half a pull in the store.
        """
        records, record_errors = self._load(
            "records", lambda row: to_record(row.data, self.name, self._tz), lambda r: f"{r.module}/{r.id}"
        )
        activities, activity_errors = self._load(
            "activities", lambda row: to_activity(row.data, self.name, self._tz), lambda a: a.id
        )
        _raise_if(record_errors + activity_errors)
        previous = {} if full else cursors
        for chunk, cursor in self._chunks(records, _record_stamp, previous.get("records")):
            yield PullBatch(stream="records", records=chunk, cursor=cursor)
        for activity_chunk, cursor in self._chunks(activities, _activity_stamp, previous.get("activities")):
            yield PullBatch(stream="activities", activities=activity_chunk, cursor=cursor)

    def _chunks(
        self, items: Sequence[T], stamp: Callable[[T], datetime | None], cursor: str | None
    ) -> Iterator[tuple[tuple[T, ...], str | None]]:
        """Items changed after ``cursor`` in chunks (at least one); the last carries the new cursor."""
        since = _parse_cursor(cursor)
        stamps = [stamp(item) for item in items]
        changed = [
            item for item, at in zip(items, stamps, strict=True) if since is None or at is None or at > since
        ]
        newest = max((at for at in stamps if at is not None), default=None)
        if since is not None and (newest is None or since > newest):
            newest = since
        new_cursor = newest.isoformat() if newest is not None else cursor
        size = self.config.batch_size
        chunks = [changed[i : i + size] for i in range(0, len(changed), size)] or [[]]
        for number, chunk in enumerate(chunks, start=1):
            yield tuple(chunk), (new_cursor if number == len(chunks) else None)

    def _load(
        self, stream: str, convert: Callable[[Row], T], identity: Callable[[T], str]
    ) -> tuple[list[T], list[str]]:
        path, fmt = self._locate(stream)
        items: list[T] = []
        errors: list[str] = []
        seen: dict[str, int] = {}
        for row in iter_rows(path, fmt, self.config.columns.for_stream(stream)):
            if isinstance(row, BadLine):
                errors.append(str(row))
                continue
            try:
                item = convert(row)
            except BadValue as exc:
                errors.append(f"{row.file}:{row.line}: {exc}")
                continue
            except (ValidationError, ValueError, OverflowError, RecursionError) as exc:
                errors.append(f"{row.file}:{row.line}: {_first_problem(exc)}")
                continue
            key = identity(item)
            if key in seen:
                errors.append(f"{row.file}:{row.line}: duplicate id {key} (first on line {seen[key]})")
                continue
            seen[key] = row.line
            items.append(item)
        return items, errors

    def _locate(self, stream: str) -> tuple[Path, Format]:
        return locate(self.directory, stream, self.config.format)

    # -- writing -------------------------------------------------------------------------------

    def supported_actions(self) -> frozenset[str]:
        _, fmt = self._locate("records")
        return _WRITABLE if fmt == "jsonl" else frozenset()

    def why_unsupported(self, action_type: str) -> str:
        """A CSV export cannot be written back (only JSON Lines can)."""
        return CSV_READ_ONLY

    lists_notes = True
    """``notes.jsonl`` is read before notes are appended: one written by another store is not repeated."""

    def verify(self, actions: Sequence[Action]) -> dict[str, ActionStatus]:
        """What the files show: owner and tags in ``records.jsonl``, keys in ``notes.jsonl``."""
        path, fmt = self._locate("records")
        if fmt != "jsonl" or not path.exists():
            return {}
        lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
        notes = self.directory / "notes.jsonl"
        note_lines = notes.read_text(encoding="utf-8").splitlines() if notes.exists() else []
        return verify_lines(lines, note_lines, actions, columns=self.config.columns.records)

    def apply(self, actions: Sequence[Action]) -> Sequence[ActionResult]:
        """Apply all actions in one atomic rewrite of ``records.jsonl`` (+ one of ``notes.jsonl``).

        A reassign whose ``previous_owner_id`` no longer matches the file is ``skipped``. If a write
        fails, the files stay as they were and every action that needed it is ``failed``.
        """
        if not actions:
            return []
        path, fmt = self._locate("records")
        if fmt != "jsonl":
            return [
                ActionResult(
                    action=a, status=ActionStatus.SKIPPED, message=CSV_READ_ONLY, code=SkipCode.READ_ONLY_SOURCE
                )
                for a in actions
            ]
        now = self._clock()
        if now.tzinfo is None:
            now = now.replace(tzinfo=self._tz)
        lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
        outcome = apply_to_lines(
            lines, actions, adapter=self.name, columns=self.config.columns.records, now=now
        )
        notes_path = self.directory / "notes.jsonl"
        try:
            if outcome.changed:
                write_atomic(path, outcome.lines)
        except OSError as exc:
            return _fail_applied(outcome.results, f"could not write {path.name}: {exc}; nothing was changed")
        try:
            if outcome.notes:
                existing = notes_path.read_text(encoding="utf-8") if notes_path.exists() else ""
                if existing and not existing.endswith("\n"):
                    existing += "\n"
                write_atomic(notes_path, [existing, *outcome.notes])
        except OSError as exc:
            message = f"could not write {notes_path.name}: {exc}; the note was not added"
            return _fail_applied(outcome.results, message, only=ActionType.NOTE)
        return outcome.results


def _fail_applied(
    results: Sequence[ActionResult], message: str, only: ActionType | None = None
) -> list[ActionResult]:
    """Turn ``applied`` results into ``failed`` ones after the write they depended on failed."""
    out = []
    for result in results:
        hit = result.status is ActionStatus.APPLIED and (only is None or result.action.type is only)
        out.append(
            result.model_copy(update={"status": ActionStatus.FAILED, "message": message, "applied_at": None})
            if hit
            else result
        )
    return out


def _record_stamp(record: Record) -> datetime | None:
    return record.modified_at or record.created_at


def _activity_stamp(activity: Activity) -> datetime | None:
    return activity.occurred_at


def _parse_cursor(cursor: str | None) -> datetime | None:
    """Our own cursor text back to a datetime; anything unreadable means "read everything"."""
    if not cursor:
        return None
    try:
        parsed = datetime.fromisoformat(cursor)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _raise_if(errors: Sequence[str]) -> None:
    if not errors:
        return
    listed = "\n".join(f"  {e}" for e in errors[:MAX_LISTED_ERRORS])
    more = len(errors) - MAX_LISTED_ERRORS
    tail = f"\n  ... and {more} more" if more > 0 else ""
    raise DataError(f"{len(errors)} bad line(s) in the export; fix them and run again:\n{listed}{tail}")
