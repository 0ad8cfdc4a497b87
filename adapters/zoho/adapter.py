"""``ZohoAdapter``: the :class:`CrmAdapter` and :class:`WebhookSource` for Zoho CRM v8.

It composes the small parts (``auth`` → ``client`` → ``wire``/``writes``/``watch``) and owns
the per-run state: the call counter, the budget and the cached integration-user id.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from pydantic import ValidationError

from adapters.zoho import undo, verify
from adapters.zoho.activities import ACTIVITY_FIELDS, OPTIONAL_FIELDS, activity_ids, to_activities
from adapters.zoho.auth import KeyValue, TokenManager
from adapters.zoho.bulk import BulkReader
from adapters.zoho.client import COUNT_SCOPES, ZohoClient
from adapters.zoho.config import ZohoAdapterConfig
from adapters.zoho.faults import response_classifier
from adapters.zoho.tags import TagCatalog
from adapters.zoho.timeline import TimelineLookup
from adapters.zoho.unavailability import AbsenceFeed
from adapters.zoho.watch import load_channel, maintain_channel
from adapters.zoho.wire import (
    BadRecordError,
    fields_for,
    format_time,
    parse_notification,
    parse_time,
    to_deleted_ref,
    to_record,
    to_user,
)
from adapters.zoho.writes import SUPPORTED, Writer
from connector.domain import (
    Action,
    ActionResult,
    ActionStatus,
    ActionType,
    Activity,
    Module,
    Record,
    RecordRef,
    User,
    stable_hash,
)
from connector.errors import ConfigError, ConnectorError, WebhookRejectedError
from connector.http import CallBudget, HttpClient
from connector.protocol import InboundEvent, PullBatch
from connector.run_warnings import RunWarning, WarningLog

# Cursors stay this far behind the run's start, so a clock difference with Zoho loses nothing.
CURSOR_OVERLAP = timedelta(minutes=1)


def _utcnow() -> datetime:
    return datetime.now(UTC)


class ZohoAdapter:
    """Pull users, records and activities; apply actions; verify watch notifications."""

    def __init__(
        self,
        name: str,
        config: ZohoAdapterConfig,
        *,
        store: KeyValue | None = None,
        default_tz: str = "UTC",
        clock: Callable[[], datetime] = _utcnow,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self.store = store
        self.default_tz = default_tz
        self.clock = clock
        try:
            self._fields = {m: fields_for(m, config.fields) for m in Module}
        except ValueError as exc:
            raise ConfigError(f"adapters.{name}.fields: {exc} (map fewer fields)") from None
        self.http = HttpClient(
            "zoho",
            timeout=config.timeout,
            sleep=sleep,
            session=session,
            budget=CallBudget(config.max_api_calls),
            classify=response_classifier(clock),
        )
        self.tokens = TokenManager(name, config, self.http, store, clock)
        self.client = ZohoClient(self.http, self.tokens)
        self.absences = AbsenceFeed(self.client, clock, name)
        self.bulk = BulkReader(
            self.client,
            sleep=sleep,
            poll_interval=config.bulk_poll_interval,
            timeout=config.bulk_timeout,
            default_tz=default_tz,
        )
        self._integration_user: str | None = None
        self._integration_user_known = False
        self.warnings = WarningLog(name)
        self._can_count = True
        self._apply_stop: ConnectorError | None = None
        self.tags = TagCatalog(name, self.client, store, self.warnings, clock)
        self.timeline = TimelineLookup(
            name, self.client, store, self.http.budget, config.timeline_lookups, self.warnings
        )

    # --- reporting -------------------------------------------------------------------------

    def api_calls(self) -> dict[str, int]:
        """API calls made so far, per endpoint label (e.g. ``{"GET /Leads": 12}``)."""
        return dict(sorted(self.http.calls.items()))

    def supported_actions(self) -> frozenset[str]:
        return SUPPORTED | {ActionType.UNFLAG.value}

    def assignment_times(self, records: Sequence[Record]) -> list[Record]:
        """Records whose SLA clock would start at creation, with the time the owner really got them."""
        return self.timeline.assignment_times(records)

    def drain_warnings(self) -> list[RunWarning]:
        """What this run degraded on (a channel not renewed, Bulk Read unavailable), then forgotten."""
        return self.warnings.drain()

    def maintain(self, now: datetime) -> str:
        """Once per sync: renew the notification channel before it expires; a failure only warns."""
        if self.store is None:
            return "not-enabled"
        return maintain_channel(self, self.store, now)

    # --- pull ------------------------------------------------------------------------------

    def integration_user_id(self) -> str | None:
        """The CRM user behind the refresh token (``GET /users?type=CurrentUser``), once per run."""
        if not self._integration_user_known:
            me = next(iter(self.client.iter_users("CurrentUser")), None)
            self._integration_user = str(me["id"]) if me and me.get("id") else None
            self._integration_user_known = True
        return self._integration_user

    def pull_users(self) -> Sequence[User]:
        users = [to_user(raw) for raw in self.client.iter_users()]
        if self.config.pull_unavailability:
            users = self.absences.attach_to(users)  # absences overlapping [now - 1 day, now + 30 days]
        return users

    def pull(self, cursors: Mapping[str, str], *, full: bool = False) -> Iterator[PullBatch]:
        """One stream per module (plus ``<module>/deleted``); each cursor is the run start minus overlap."""
        started = self.clock()
        watermark = format_time(started - CURSOR_OVERLAP)
        me = self.integration_user_id()
        for module in self.config.modules:
            since = None if full else parse_time(cursors.get(module.value))
            pages = self._record_pages(module.value, self._fields[module], since)
            yield from _with_cursor(
                module.value,
                (
                    PullBatch(module.value, records=self._records(module, page, me))
                    for page in pages
                ),
                watermark,
            )
            if self.config.poll_deleted:
                yield from self._pull_deleted(module, cursors, watermark)
        for activity_module in self.config.activity_modules:
            since = None if full else parse_time(cursors.get(activity_module))
            pages = self._record_pages(
                activity_module,
                ACTIVITY_FIELDS[activity_module],
                since,
                optional=OPTIONAL_FIELDS.get(activity_module, frozenset()),
            )
            yield from _with_cursor(
                activity_module,
                (self._activity_batch(activity_module, page, started) for page in pages),
                watermark,
            )
            if self.config.poll_deleted:
                yield from self._pull_deleted_activities(activity_module, cursors, watermark)

    def _record_pages(
        self,
        module: str,
        fields: Sequence[str],
        since: datetime | None,
        *,
        optional: frozenset[str] = frozenset(),
    ) -> Iterator[list[dict[str, Any]]]:
        """Get Records pages; on a full load of a module above ``bulk_read_above`` records, Bulk Read.

        Incremental runs (a cursor) never use Bulk Read: ``If-Modified-Since`` is cheaper there.
        Deciding needs a record count; a token that may not count loads with Get Records.
        """
        threshold = self.config.bulk_read_above
        if since is None and threshold and self._can_count:
            count = self.client.count(module)
            if count is None:
                self._can_count = False
                self.warnings.add(
                    "bulk_read_unavailable",
                    f"Bulk Read is off: GET /{module}/actions/count was refused, and counting records needs "
                    f"the scopes {' and '.join(COUNT_SCOPES)} besides module READ; large first loads use "
                    "Get Records (add the scopes to the grant code and run `referee zoho auth`, or set "
                    "bulk_read_above = 0)",
                )
            elif count > threshold:
                pages = self.bulk.open(module, fields)
                if pages is not None:
                    return pages
        return self.client.iter_record_pages(module, fields, since, optional=optional)

    def _pull_deleted(self, module: Module, cursors: Mapping[str, str], watermark: str) -> Iterator[PullBatch]:
        return self._deleted_stream(
            module.value,
            cursors,
            watermark,
            lambda stream, page: PullBatch(stream, deleted=[to_deleted_ref(self.name, module, r) for r in page]),
        )

    def _pull_deleted_activities(
        self, activity_module: str, cursors: Mapping[str, str], watermark: str
    ) -> Iterator[PullBatch]:
        """``GET /{Calls|Events|Tasks}/deleted``: a deleted call stops counting."""
        return self._deleted_stream(
            activity_module,
            cursors,
            watermark,
            lambda stream, page: PullBatch(stream, deleted_activities=[i for r in page for i in activity_ids(r)]),
        )

    def _deleted_stream(
        self,
        module: str,
        cursors: Mapping[str, str],
        watermark: str,
        to_batch: Callable[[str, list[dict[str, Any]]], PullBatch],
    ) -> Iterator[PullBatch]:
        """The ``<module>/deleted`` stream since its cursor; the first run asks nothing."""
        stream = f"{module}/deleted"
        since = parse_time(cursors.get(stream))
        if since is None:  # first run: nothing we hold can have been deleted yet
            yield PullBatch(stream, cursor=watermark)
            return
        pages = self.client.iter_deleted_pages(module, since)
        yield from _with_cursor(stream, (to_batch(stream, page) for page in pages), watermark)

    def _activity_batch(
        self, activity_module: str, page: Iterable[Mapping[str, Any]], now: datetime
    ) -> PullBatch:
        """Activities of one page, plus the ids a changed activity no longer uses (a link removed)."""
        activities: list[Activity] = []
        unused: list[str] = []
        for raw in page:
            found = to_activities(
                self.name,
                activity_module,
                raw,
                now=now,
                default_tz=self.default_tz,
                modules=self.config.modules,
            )
            activities += found
            produced = {a.id for a in found}
            unused += [i for i in activity_ids(raw) if i not in produced]
        return PullBatch(activity_module, activities=activities, deleted_activities=unused)

    # --- write -----------------------------------------------------------------------------

    def apply(self, actions: Sequence[Action]) -> Sequence[ActionResult]:
        unflags = [a for a in actions if a.type is ActionType.UNFLAG]
        rest = [a for a in actions if a.type is not ActionType.UNFLAG]
        results: list[ActionResult] = []
        if self._apply_stop is not None:  # an earlier batch of this run hit the credits or budget wall
            why = f"not attempted: {self._apply_stop}"
            return [ActionResult(action=a, status=ActionStatus.PLANNED, message=why) for a in actions]
        if rest:
            writer = Writer(self.client, self.config, self.clock, tags=self.tags)
            results = list(writer.apply(rest))
            if writer.stopped_by is not None and self._apply_stop is None:
                self._apply_stop = writer.stopped_by
                left = sum(1 for r in results if r.status is ActionStatus.PLANNED)
                self.warnings.add(
                    "apply_stopped",
                    f"write-back stopped: {writer.stopped_by}; {left} action(s) stay planned for the next run",
                )
        if unflags:
            results += undo.remove_tags(self.client, unflags, self.clock)
        return results

    def apply_stopped(self) -> ConnectorError | None:
        """Why write-back stopped early this run (credits or budget used up), for the exit status."""
        return self._apply_stop

    @property
    def lists_notes(self) -> bool:
        """Notes are looked up on their record before writing (1 call per record with a note)."""
        return self.config.notes

    def write_batches(self, actions: Sequence[Action]) -> list[list[Action]]:
        return verify.write_batches(actions)

    def verify(self, actions: Sequence[Action]) -> dict[str, ActionStatus]:
        if self._apply_stop is not None:  # credits are gone: no lookup either (every call is refused)
            return {}
        return verify.verify(self.client, actions)

    # --- webhooks --------------------------------------------------------------------------

    def verify_inbound(
        self, headers: Mapping[str, str], body: bytes, *, method: str = "POST", url: str = ""
    ) -> InboundEvent:
        """Check the channel token (constant time) against the one stored when the channel was enabled."""
        try:
            payload = json.loads(body)
            note = parse_notification(payload)
        except (ValueError, KeyError, TypeError, RecursionError):  # UnicodeDecodeError is a ValueError
            raise WebhookRejectedError(
                "zoho: not a Zoho watch notification (expected JSON with ids)", status=400
            ) from None
        channel = load_channel(self.store, self.name) if self.store is not None else None
        if channel is None:
            raise WebhookRejectedError(
                f"zoho: no notification channel is enabled for {self.name} (run `referee zoho watch`)",
                status=401,
            )
        same_channel = hmac.compare_digest(note.channel_id.encode(), channel.channel_id.encode())
        same_token = hmac.compare_digest(note.token.encode(), channel.token.encode())
        if not (same_channel and same_token):
            raise WebhookRejectedError("zoho: notification token or channel does not match", status=401)
        refs: list[RecordRef] = []
        if note.module in {m.value for m in self.config.modules}:
            refs = [RecordRef(adapter=self.name, module=Module(note.module), id=i) for i in note.ids]
        return InboundEvent(
            event_id=f"zoho:{note.channel_id}:{note.server_time}:{stable_hash(*sorted(note.ids))}",
            record_refs=refs,
            meta={
                "adapter": self.name,
                "module": note.module,
                "operation": note.operation,
                "channel_id": note.channel_id,
                "ids": ",".join(note.ids),
            },
        )

    def fetch_records(self, refs: Sequence[RecordRef]) -> Sequence[Record]:
        """Current state of ``refs`` (one GET per module and 100 ids); deleted ones are simply absent."""
        me = self.integration_user_id()
        by_module: dict[Module, list[str]] = {}
        for ref in refs:
            by_module.setdefault(ref.module, [])
            if ref.id not in by_module[ref.module]:
                by_module[ref.module].append(ref.id)
        records: list[Record] = []
        for module, ids in by_module.items():
            page = self.client.get_by_ids(module.value, ids, self._fields[module], converted=True)
            records.extend(self._records(module, page, me))
        return records

    def _records(self, module: Module, page: Iterable[Mapping[str, Any]], me: str | None) -> list[Record]:
        """Map a page; a record that cannot be read is a ``bad_record`` warning and is skipped."""
        records: list[Record] = []
        for raw in page:
            try:
                record = to_record(self.name, module, raw, self.config.fields, integration_user_id=me)
            except (BadRecordError, ValidationError) as exc:
                message = str(exc) if isinstance(exc, BadRecordError) else _validation_line(self.name, module, raw, exc)
                self.warnings.add("bad_record", message + "; the record was skipped")
                continue
            records.append(self.timeline.apply_cached(record))
        return records


def _validation_line(adapter: str, module: Module, raw: Mapping[str, Any], exc: ValidationError) -> str:
    first = exc.errors(include_input=False, include_url=False)[0]
    field = ".".join(str(p) for p in first.get("loc", ()))
    return f"{adapter}: {module.value} {str(raw.get('id'))[:60]}: field {field}: {first.get('msg', 'invalid')}"


def _with_cursor(stream: str, batches: Iterator[PullBatch], cursor: str) -> Iterator[PullBatch]:
    """Pass batches through, putting ``cursor`` on the last one (or on an empty one) once the stream ends."""
    previous: PullBatch | None = None
    for batch in batches:
        if previous is not None:
            yield previous
        previous = batch
    if previous is None:
        yield PullBatch(stream, cursor=cursor)
    else:
        yield PullBatch(
            stream,
            records=previous.records,
            activities=previous.activities,
            deleted=previous.deleted,
            deleted_activities=previous.deleted_activities,
            cursor=cursor,
        )
