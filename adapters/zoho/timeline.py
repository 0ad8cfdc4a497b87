"""When did the current owner get a record? Zoho's Timeline API knows; records do not say.

Zoho has no "assigned at" field, so an SLA clock falls back to the record's creation time, which
is wrong for a lead reassigned last week. Before an SLA rule acts on such a clock, the pipeline
asks :meth:`TimelineLookup.assignment_times`: one ``GET /{module}/{id}/__timeline`` per record,
newest entries first (https://www.zoho.com/crm/developer/docs/api/v8/timeline-of-a-record.html).
The newest entry that changed ``Owner`` (a ``field_history`` item, or the action
``owner_assigned``) is when the current owner got the record; a first page without any owner
change and without more pages means the owner has had it since it was created.

Answers are cached in the store (``zoho:<adapter>`` / ``timeline:<module>:<id>``, with the owner
they are about), so a record costs one call until its owner changes again; pulled records get
``assigned_at`` from the cache, with ``extra["assigned_at_source"] = "timeline"`` so the finding
says where its clock came from. Lookups per run are capped by ``timeline_lookups`` and by half of
what is left of ``max_api_calls`` (write-backs keep the rest).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from adapters.zoho.auth import KeyValue, kv_namespace
from adapters.zoho.client import API, ZohoClient
from adapters.zoho.wire import Outcome, parse_time
from connector.domain import Record
from connector.errors import CrmApiError, QuotaExhaustedError
from connector.http import CallBudget
from connector.run_warnings import WarningLog

SOURCE = "timeline"
PREFIX = "timeline:"


def owner_assigned_at(
    entries: Sequence[Mapping[str, Any]], *, more: bool, created_at: datetime | None
) -> datetime | None:
    """From timeline entries (any order): when the owner last changed; ``created_at`` if it never did.

    ``None`` when the answer is unknowable from these entries (no owner change seen, more pages).
    """
    changes = [
        at
        for entry in entries
        if (at := parse_time(entry.get("audited_time"))) is not None and _changes_owner(entry)
    ]
    if changes:
        return max(changes)
    return None if more else created_at


def _changes_owner(entry: Mapping[str, Any]) -> bool:
    if entry.get("action") == "owner_assigned":
        return True
    history = entry.get("field_history")
    return isinstance(history, list) and any(
        isinstance(item, Mapping) and item.get("api_name") == "Owner" for item in history
    )


def _key(record: Record) -> str:
    return f"{PREFIX}{record.module.value}:{record.id}"


class TimelineLookup:
    """Timeline reads for one adapter run, with their cache."""

    def __init__(
        self,
        adapter: str,
        client: ZohoClient,
        kv: KeyValue | None,
        budget: CallBudget,
        limit: int,
        warnings: WarningLog,
    ) -> None:
        self.adapter, self.client, self.kv, self.budget = adapter, client, kv, budget
        self.limit, self.warnings = limit, warnings
        self.available = limit > 0
        self._cache: dict[str, tuple[str | None, datetime]] | None = None

    def apply_cached(self, record: Record) -> Record:
        """``record`` with the cached assignment time when its owner is still the one looked up."""
        if record.assigned_at is not None or self.kv is None:
            return record
        cached = self._loaded().get(_key(record))
        if cached is None or cached[0] != record.owner_id:
            return record
        return record.model_copy(
            update={"assigned_at": cached[1], "extra": {**record.extra, "assigned_at_source": SOURCE}}
        )

    def assignment_times(self, records: Sequence[Record]) -> list[Record]:
        """Records (of this adapter) whose clock would start at creation, with the true assignment time."""
        if self.budget.limit is not None:  # leave at least half of the calls left to the write-back
            self.limit = min(self.limit, max(0, self.budget.limit - self.budget.used) // 2)
        found: list[Record] = []
        for record in records:
            if not self.available or self.limit <= 0:
                break
            self.limit -= 1
            at = self._look_up(record)
            if at is None:
                continue
            self._remember(record, at)
            found.append(self.apply_cached(record))
        return found

    def _look_up(self, record: Record) -> datetime | None:
        module = record.module.value
        endpoint = f"GET /{module}/{{id}}/__timeline"
        try:
            reply = self.client.call(
                "GET",
                f"{API}/{module}/{record.id}/__timeline",
                endpoint=endpoint,
                params={"sort_by": "audited_time", "sort_order": "desc"},
                scope=f"ZohoCRM.modules.{module.lower()}.READ",
            )
        except QuotaExhaustedError:
            raise
        except CrmApiError as exc:
            self._stop(str(exc))
            return None
        if reply.answer.outcome is Outcome.EMPTY:
            return record.created_at
        if reply.answer.outcome is not Outcome.OK:
            self._stop(f"{endpoint} answered {reply.answer.code}: {reply.answer.message}")
            return None
        body = reply.body if isinstance(reply.body, Mapping) else {}
        entries = [e for e in body.get("__timeline") or [] if isinstance(e, Mapping)]
        raw_info = body.get("info")
        info: Mapping[str, Any] = raw_info if isinstance(raw_info, Mapping) else {}
        return owner_assigned_at(entries, more=bool(info.get("more_records")), created_at=record.created_at)

    def _stop(self, why: str) -> None:
        self.available = False
        self.warnings.add(
            "timeline_unavailable",
            f"could not read record timelines ({why.removeprefix('zoho: ')}); SLA clocks of records "
            "without a known assignment time start at their creation this run",
        )

    def _remember(self, record: Record, at: datetime) -> None:
        if self.kv is None:
            return
        self._loaded()[_key(record)] = (record.owner_id, at)
        value = json.dumps({"owner": record.owner_id, "at": at.isoformat()})
        self.kv.set_value(kv_namespace(self.adapter), _key(record), value)

    def _loaded(self) -> dict[str, tuple[str | None, datetime]]:
        if self._cache is None:
            self._cache = {}
            raw = self.kv.get_values(kv_namespace(self.adapter)) if self.kv is not None else {}
            for key, value in raw.items():
                if key.startswith(PREFIX):
                    try:
                        data = json.loads(value)
                        at = parse_time(data.get("at"))
                    except (ValueError, AttributeError):
                        continue
                    if at is not None:
                        self._cache[key] = (data.get("owner"), at)
        return self._cache
