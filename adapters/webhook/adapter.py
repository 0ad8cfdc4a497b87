"""The generic REST/webhook adapter: reads, writes and webhooks driven by :mod:`adapters.webhook.config`.

Reads live in :mod:`adapters.webhook.reads`, webhook payloads in :mod:`adapters.webhook.inbound`
and signatures in :mod:`adapters.webhook.signature`; every request goes through
:class:`adapters.webhook.transport.Transport` (credentials, one retry layer, one refresh after a
401); writes in :mod:`adapters.webhook.writes`. This class joins them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import requests

from adapters.webhook.auth import Credentials
from adapters.webhook.config import WebhookAdapterConfig
from adapters.webhook.inbound import InboundParser
from adapters.webhook.reads import Reader
from adapters.webhook.signature import verify_signature
from adapters.webhook.transport import Transport
from adapters.webhook.writes import Writer
from connector.domain import Action, ActionResult, ActionStatus, Record, RecordRef, User
from connector.errors import BudgetExhaustedError, WebhookRejectedError
from connector.http import HttpClient
from connector.protocol import InboundEvent, PullBatch
from connector.run_warnings import RunWarning, WarningLog

if TYPE_CHECKING:
    from connector.store import Store


def _utc_now() -> datetime:
    return datetime.now(UTC)


class WebhookAdapter:
    """A CRM described in TOML; implements ``CrmAdapter`` and ``WebhookSource``."""

    def __init__(
        self,
        name: str,
        config: WebhookAdapterConfig,
        *,
        store: Store | None,
        default_tz: str,
        clock: Callable[[], datetime] = _utc_now,
        http: HttpClient | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self.store = store
        self.clock = clock
        self.http = http or HttpClient(name, timeout=config.timeout.total_seconds())
        credentials = Credentials(
            name, config.auth, base_url=config.base_url, http=self.http, kv=store, clock=clock
        )
        self.transport = Transport(name, self.http, credentials)
        self.warnings = WarningLog(name)
        self._bad_items = 0
        self.reader = Reader(
            name,
            config,
            self.transport,
            tz=ZoneInfo(config.timezone or default_tz),
            store=store,
            clock=clock,
            warn=self._warn,
        )
        self.writer = Writer(name, config.write, self.transport, clock)
        self.parser = (
            InboundParser(name, config.inbound, self.reader.record_mapper) if config.inbound else None
        )

    # -- CrmAdapter -----------------------------------------------------------------------------

    def pull_users(self) -> Sequence[User]:
        return self.reader.pull_users()

    def pull(self, cursors: Mapping[str, str], *, full: bool = False) -> Iterator[PullBatch]:
        return self.reader.pull(cursors, full=full)

    def supported_actions(self) -> frozenset[str]:
        write = self.config.write
        return frozenset(t for t in ("reassign", "flag", "note") if write.endpoints(t))

    def why_unsupported(self, action_type: str) -> str:
        return (
            f"{self.name} has no write.{action_type} endpoint, so {action_type} is not supported "
            f"(add [adapters.{self.name}.write.{action_type}] to enable it)"
        )

    def apply(self, actions: Sequence[Action]) -> Sequence[ActionResult]:
        results: list[ActionResult] = []
        exhausted: BudgetExhaustedError | None = None
        for action in actions:
            if exhausted is not None:
                results.append(
                    ActionResult(action=action, status=ActionStatus.FAILED, message=str(exhausted))
                )
                continue
            try:
                results.append(self._apply_one(action))
            except BudgetExhaustedError as exc:
                exhausted = exc
                results.append(ActionResult(action=action, status=ActionStatus.FAILED, message=str(exc)))
        return results

    def api_calls(self) -> dict[str, int]:
        """Calls made so far, per endpoint label (``"GET /leads"``), retries included."""
        return dict(self.http.calls)

    def drain_warnings(self) -> list[RunWarning]:
        """Items the CRM sent that could not be read (skipped; the pull went on), and the like.

        A run lists a bounded number of items; when there were more, a ``bad_items`` total comes first.
        """
        found = self.warnings.drain()
        listed = sum(1 for w in found if w.code == "bad_item")
        total, self._bad_items = self._bad_items, 0
        if total > listed:
            summary = RunWarning(
                self.name,
                "bad_items",
                f"{total} items could not be read and were skipped; the first {listed} are listed "
                "(fix the paths they name, or the records in the CRM)",
            )
            found.insert(0, summary)
        return found

    def _warn(self, code: str, message: str) -> None:
        if code == "bad_item":
            self._bad_items += 1
        self.warnings.add(code, message)

    # -- WebhookSource --------------------------------------------------------------------------

    def verify_inbound(
        self, headers: Mapping[str, str], body: bytes, *, method: str = "POST", url: str = ""
    ) -> InboundEvent:
        inbound = self.config.inbound
        if inbound is None or self.parser is None:
            raise WebhookRejectedError(
                f"{self.name} has no [adapters.{self.name}.inbound] section, so it accepts no webhooks",
                status=404,
            )
        verify_signature(
            headers,
            body,
            secret=inbound.secret.get_secret_value(),
            config=inbound.signature,
            now=self.clock(),
            method=method,
            url=url,
        )
        return self.parser.event(body)

    def fetch_records(self, refs: Sequence[RecordRef]) -> Sequence[Record]:
        return self.reader.fetch_records(refs)

    # -- writing ----------------------------------------------------------------------------------

    def _apply_one(self, action: Action) -> ActionResult:
        return self.writer.apply_one(action)

    # -- HTTP (shared by reads and writes) -------------------------------------------------------

    def _url(self, path: str) -> str:
        return self.transport.url(path)

    def _send(
        self, method: str, url: str, label: str, *, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> requests.Response:
        return self.transport.send(method, url, label, params=params, json=json)

    def _error_message(self, response: requests.Response) -> str:
        return self.transport.error_message(response)

    def _redact(self, message: str) -> str:
        return self.transport.redact(message)
