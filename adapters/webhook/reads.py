"""Everything the webhook adapter reads: users, record streams, deletions, activities, single records.

Streams run in a fixed order, records first, because per-record reads (``for_each``) fan out
over the records this pull brought. An item that cannot be mapped is skipped and reported in
``PullBatch.problems``; anything wrong with the endpoint itself (HTTP errors, a list that is not
a list) stops the stream before its cursor is saved, so the next run reads it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any, TypeVar

from adapters.webhook.config import WebhookAdapterConfig
from adapters.webhook.config_read import ReadEndpoint
from adapters.webhook.cursors import CursorTracker, formatted, stamp
from adapters.webhook.fanout import fan_out
from adapters.webhook.fieldpath import PathError, search
from adapters.webhook.mapping import (
    ActivityMapper,
    BadItemError,
    Context,
    DeletedMapper,
    MappedActivity,
    RecordMapper,
    UserMapper,
)
from adapters.webhook.own_writes import OwnWrites
from adapters.webhook.pagination import PageRequest, PageResponse, body_value, iter_pages
from adapters.webhook.templates import fill_params, fill_path, fill_read_body
from adapters.webhook.transport import Transport
from adapters.webhook.values import text
from adapters.webhook.vocab import RECORD_PLACEHOLDER_PREFIX, placeholders
from connector.domain import Activity, Module, Record, RecordRef, User
from connector.errors import CrmApiError
from connector.protocol import PullBatch

if TYPE_CHECKING:
    from connector.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")
BATCH = 500
"""Activities of per-record reads are handed to the store this many at a time."""


@dataclass(frozen=True)
class Parent:
    """A record a per-record read runs for, with the ``{record.*}`` values its templates use."""

    ref: RecordRef
    values: Mapping[str, str | None]


class Reader:
    def __init__(
        self,
        name: str,
        config: WebhookAdapterConfig,
        transport: Transport,
        *,
        tz: tzinfo,
        store: Store | None,
        clock: Callable[[], datetime],
        warn: Callable[[str, str], None],
    ) -> None:
        self.name = name
        self.warn = warn  # (code, message): a run warning; bad items are "bad_item"
        self.config = config
        self.read = config.read
        self.transport = transport
        self.store = store
        self.clock = clock
        ctx = Context(name, tz, config.integration_user)
        self.ctx = ctx
        self.users = UserMapper(ctx, self.read.users.fields) if self.read.users else None
        self.records = {
            stream: RecordMapper(
                ctx,
                e.fields,
                stream=stream,
                module=e.module,
                owners=e.owners,
                deleted=e.deleted,
            )
            for stream, e in self.read.streams("records")
        }
        self.activities = {
            stream: ActivityMapper(ctx, e.fields, kinds=e.kinds, stream=stream, module=e.module)
            for stream, e in self.read.streams("activities")
        }
        self.deletions = {
            stream: DeletedMapper(ctx, e.fields, stream=stream, module=e.module)
            for stream, e in self.read.streams("deleted")
        }
        self.own = OwnWrites(config.integration_user, store)
        self._wanted = _record_placeholders(self.read.activities)
        self._fans_out = any(e.for_each for e in self.read.activities)
        self._single: dict[Module, RecordMapper] = {}

    # -- users ----------------------------------------------------------------------------------

    def pull_users(self) -> list[User]:
        endpoint = self.read.users
        if endpoint is None or self.users is None:
            return []
        users: list[User] = []
        for items, _ in self._pages(endpoint, {}):
            for item in items:
                try:
                    users.append(self.users.read(item))
                except BadItemError as exc:
                    self.warn("bad_item", str(exc))
        return users

    # -- streams --------------------------------------------------------------------------------

    def pull(self, cursors: Mapping[str, str], *, full: bool = False) -> Iterator[PullBatch]:
        parents: list[Parent] = []
        for stream, endpoint in self.read.streams("records"):
            yield from self._record_stream(stream, endpoint, None if full else cursors.get(stream), parents)
        for stream, endpoint in self.read.streams("deleted"):
            yield from self._deleted_stream(stream, endpoint, None if full else cursors.get(stream))
        for stream, endpoint in self.read.streams("activities"):
            if endpoint.for_each:
                yield from self._per_record(stream, endpoint, parents)
            else:
                yield from self._activity_stream(stream, endpoint, None if full else cursors.get(stream))

    def _record_stream(
        self, stream: str, endpoint: ReadEndpoint, cursor: str | None, parents: list[Parent]
    ) -> Iterator[PullBatch]:
        mapper = self.records[stream]
        values = self._values(endpoint, cursor)
        tracker = CursorTracker(endpoint, cursor, self.name)
        seen: set[tuple[Module, str]] = set()
        counts = {"returned": 0, "unreadable": 0}
        default = endpoint.module or Module.LEADS

        def read(item: Any) -> Record | RecordRef:
            counts["returned"] += 1
            try:
                found = mapper.read(item, default)
            except BadItemError:
                ident = _raw_id(mapper, item)  # a bad item still exists: never "missing"
                if ident is None:
                    counts["unreadable"] += 1
                else:
                    seen.add((default, ident))
                raise
            seen.add((found.module, found.id))
            return found

        for found, problems in self._mapped_pages(endpoint, values, tracker, read):
            records = [r for r in found if isinstance(r, Record)]
            if self._fans_out:
                parents.extend(self._parent(r) for r in records)
            gone = [r for r in found if isinstance(r, RecordRef)]
            self._report(problems)
            yield PullBatch(stream, records=records, deleted=gone)
        full_read = not _uses_cursor(endpoint) or (cursor is None and endpoint.lookback is None)
        if endpoint.missing_means_deleted and full_read:
            yield self._missing(stream, endpoint, seen, counts["returned"], counts["unreadable"])
        yield PullBatch(stream, cursor=tracker.best)

    def _missing(
        self,
        stream: str,
        endpoint: ReadEndpoint,
        seen: set[tuple[Module, str]],
        returned: int,
        unreadable: int,
    ) -> PullBatch:
        """Stored records of the modules this full read covers that it did not return: deleted."""
        if self.store is None:
            return PullBatch(stream)
        modules = {endpoint.module} if endpoint.module else {module for module, _ in seen}
        if unreadable or not returned:
            why = f"{unreadable} item(s) had no readable id" if unreadable else "the CRM returned no items"
            self.warn(
                "deletions_skipped",
                f"{self.name}: {stream}: {why}, so records missing from this full read were not deleted",
            )
            return PullBatch(stream)
        missing = [
            r.ref
            for r in self.store.iter_records(self.name)
            if r.module in modules and (r.module, r.id) not in seen
        ]
        if missing:
            log.info(
                "%s: %d %s record(s) missing from a full read are deleted", self.name, len(missing), stream
            )
        return PullBatch(stream, deleted=missing)

    def _deleted_stream(self, stream: str, endpoint: ReadEndpoint, cursor: str | None) -> Iterator[PullBatch]:
        tracker = CursorTracker(endpoint, cursor, self.name)
        values = self._values(endpoint, cursor)
        for gone, problems in self._mapped_pages(endpoint, values, tracker, self.deletions[stream].read):
            self._report(problems)
            yield PullBatch(stream, deleted=gone)
        yield PullBatch(stream, cursor=tracker.best)

    def _activity_stream(
        self, stream: str, endpoint: ReadEndpoint, cursor: str | None
    ) -> Iterator[PullBatch]:
        tracker = CursorTracker(endpoint, cursor, self.name)
        values = self._values(endpoint, cursor)
        for mapped, problems in self._mapped_pages(endpoint, values, tracker, self.activities[stream].read):
            kept, _ = self.own.keep(mapped)
            self._report(problems)
            yield PullBatch(stream, activities=kept)
        yield PullBatch(stream, cursor=tracker.best)

    def _mapped_pages(
        self,
        endpoint: ReadEndpoint,
        values: Mapping[str, str | None],
        tracker: CursorTracker,
        read: Callable[[Any], T],
    ) -> Iterator[tuple[list[T], list[str]]]:
        """Each page's items mapped by ``read``; an item it cannot map is a problem line, not an error."""
        for items, body in self._pages(endpoint, values):
            mapped: list[T] = []
            problems: list[str] = []
            for item in items:
                problems.extend(tracker.see_item(item))
                try:
                    mapped.append(read(item))
                except BadItemError as exc:
                    problems.append(str(exc))
            problems.extend(tracker.see_body(body))
            yield mapped, problems

    def _per_record(
        self, stream: str, endpoint: ReadEndpoint, parents: Sequence[Parent]
    ) -> Iterator[PullBatch]:
        mapper = self.activities[stream]
        targets = [p for p in parents if not endpoint.for_modules or p.ref.module in endpoint.for_modules]
        now = stamp(self.clock())

        def read_one(parent: Parent) -> tuple[list[MappedActivity], list[str]]:
            mapped: list[MappedActivity] = []
            problems: list[str] = []
            try:
                for items, _ in self._pages(endpoint, {"now": now, **parent.values}):
                    for item in items:
                        try:
                            mapped.append(mapper.read(item, parent.ref))
                        except BadItemError as exc:
                            problems.append(str(exc))
            except CrmApiError as exc:
                if exc.status != 404:
                    raise
                log.info(
                    "%s: %s: %s is gone (HTTP 404); no activities read for it", self.name, stream, parent.ref
                )
            except ValueError as exc:  # a {record.<field>} the record does not have
                problems.append(f"{self.name}: {stream}: record {parent.ref.id}: {exc}")
            return mapped, problems

        pending: list[Activity] = []
        for mapped, trouble in fan_out(targets, read_one, concurrency=endpoint.concurrency):
            kept, _ = self.own.keep(mapped)
            pending.extend(kept)
            self._report(trouble)
            if len(pending) >= BATCH:
                yield PullBatch(stream, activities=pending)
                pending = []
        if pending:
            yield PullBatch(stream, activities=pending)

    # -- single records (webhooks with ids only) ------------------------------------------------

    def fetch_records(self, refs: Sequence[RecordRef]) -> list[Record]:
        records: list[Record] = []
        for ref in refs:
            endpoint = self.read.record_for(ref.module)
            if endpoint is None:
                raise CrmApiError(
                    f"{self.name}: reading single {ref.module} records is not supported: configure "
                    f'[adapters.{self.name}.read.record] with a path such as "/leads/{{id}}"',
                    crm=self.name,
                )
            label = f"{endpoint.method} {endpoint.path}"
            values = {"id": ref.id, "module": ref.module.value, "now": stamp(self.clock())}
            url = self.transport.url(fill_path(endpoint.path, values))
            response = self.transport.send(
                endpoint.method, url, label, params=fill_params(endpoint.params, values)
            )
            if response.status_code == 404:
                continue  # deleted meanwhile: nothing to refresh
            body = self.transport.json(response, label)
            item = (
                body
                if endpoint.item is None
                else body_value(endpoint.item, body, self.name, "read.record.item")
            )
            if isinstance(item, list):
                item = item[0] if item else None
            if item is None:
                continue
            found = self._single_mapper(ref.module).read(item, ref.module)
            if isinstance(found, Record):
                records.append(found)
        return records

    def record_mapper(self, module: Module) -> RecordMapper | None:
        """The mapper for records of ``module`` arriving in webhooks (its records endpoint's fields)."""
        endpoint = self.read.records_for(module)
        if endpoint is None:
            return None
        stream = next(s for s, e in self.read.streams("records") if e is endpoint)
        return self.records[stream]

    def _single_mapper(self, module: Module) -> RecordMapper:
        if module not in self._single:
            endpoint = self.read.record_for(module)
            if endpoint is not None and endpoint.fields:
                self._single[module] = RecordMapper(
                    self.ctx, endpoint.fields, stream="record", section="read.record", module=endpoint.module
                )
            else:
                mapper = self.record_mapper(module)
                if mapper is None:
                    raise CrmApiError(
                        f"{self.name}: read.record has no fields and no records endpoint maps {module} "
                        "(give read.record its own fields)",
                        crm=self.name,
                    )
                self._single[module] = mapper
        return self._single[module]

    # -- plumbing -------------------------------------------------------------------------------

    def _report(self, problems: Sequence[str]) -> None:
        for line in problems:
            self.warn("bad_item", line)

    def _values(self, endpoint: ReadEndpoint, cursor: str | None) -> dict[str, str | None]:
        now = self.clock()
        if cursor is None and endpoint.initial_cursor is not None:
            cursor = endpoint.initial_cursor
        elif cursor is None and endpoint.lookback is not None:
            cursor = stamp(now - endpoint.lookback)
        if cursor is not None and endpoint.cursor_format != "as-sent":
            cursor = formatted(cursor, endpoint.cursor_format, self.ctx.tz)
        return {"cursor": cursor, "now": stamp(now)}

    def _parent(self, record: Record) -> Parent:
        values: dict[str, str | None] = {}
        for name in self._wanted:
            field = name.removeprefix(RECORD_PLACEHOLDER_PREFIX)
            raw = (
                getattr(record, field)
                if field in ("id", "owner_id", "account_id")
                else record.extra.get(field)
            )
            if field == "module":
                raw = record.module.value
            values[name] = text(raw)
        return Parent(record.ref, values)

    def _pages(
        self, endpoint: ReadEndpoint, values: Mapping[str, str | None]
    ) -> Iterator[tuple[list[Any], Any]]:
        label = f"{endpoint.method} {endpoint.path}"
        params = fill_params(endpoint.params, values)
        body = fill_read_body(endpoint.body, values) if endpoint.body is not None else None
        in_body = endpoint.pagination.location == "body"

        def fetch(request: PageRequest) -> PageResponse:
            payload: Any
            if in_body:
                query, payload = params, {**(body or {}), **request.params}
            else:
                query = dict(request.params) if request.follow else {**params, **request.params}
                payload = body
            response = self.transport.send(endpoint.method, request.url, label, params=query, json=payload)
            link = response.links.get("next", {}).get("url")
            return PageResponse(self.transport.json(response, label), link)

        url = self.transport.url(fill_path(endpoint.path, {k: v for k, v in values.items() if v is not None}))
        yield from iter_pages(endpoint.pagination, endpoint.items_paths(), url, fetch, crm=self.name)


def _raw_id(mapper: RecordMapper, item: Any) -> str | None:
    expression = mapper.fields.paths.get("id")
    if expression is None:
        return None
    try:
        return text(search(expression[0], item))
    except PathError:
        return None


def _uses_cursor(endpoint: ReadEndpoint) -> bool:
    return "cursor" in placeholders([endpoint.path, endpoint.params, endpoint.body])


def _record_placeholders(endpoints: Sequence[ReadEndpoint]) -> set[str]:
    names: set[str] = set()
    for endpoint in endpoints:
        if endpoint.for_each:
            used = placeholders([endpoint.path, endpoint.params, endpoint.body])
            names |= {n for n in used if n.startswith(RECORD_PLACEHOLDER_PREFIX)}
    return names
