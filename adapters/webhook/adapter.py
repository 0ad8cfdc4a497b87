"""The generic REST/webhook adapter: reads, writes and webhooks driven by :mod:`adapters.webhook.config`.

All HTTP goes through :class:`connector.http.HttpClient`, the one retry layer (429 and 5xx are
repeated there and nowhere else). Call labels use the configured path templates, never filled
URLs, so counters and messages carry no ids or secrets.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import requests

from adapters.webhook.config import ReadEndpoint, WebhookAdapterConfig, WriteEndpoint
from adapters.webhook.mapping import FieldMap, Mapper, cursor_key, search, text, texts
from adapters.webhook.pagination import PageRequest, PageResponse, iter_pages
from adapters.webhook.signature import verify_signature
from adapters.webhook.templates import action_values, fill_body, fill_params, fill_path, fill_read_body
from connector.domain import Action, ActionResult, ActionStatus, Record, RecordRef, User
from connector.errors import (
    AuthError,
    BudgetExhaustedError,
    CrmApiError,
    WebhookRejectedError,
)
from connector.http import HttpClient
from connector.protocol import InboundEvent, PullBatch

if TYPE_CHECKING:
    from connector.store import Store

STREAMS = ("records", "activities")
_CHANGED_MEANWHILE = frozenset({409, 412})
_MESSAGE_LIMIT = 200


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
        self.store = store  # kept for parity with other adapters; this one keeps no state of its own
        self.clock = clock
        self.http = http or HttpClient(name, timeout=config.timeout.total_seconds())
        read = config.read
        self.mapper = Mapper(
            name,
            ZoneInfo(default_tz),
            records=read.records.fields if read.records else None,
            activities=read.activities.fields if read.activities else None,
            users=read.users.fields if read.users else None,
            kinds=read.activities.kinds if read.activities else None,
        )
        self._record_fields = FieldMap(read.record.fields) if read.record and read.record.fields else None
        self._query_auth: dict[str, str] = {}
        self._secrets: list[str] = []
        self._install_auth()

    # -- CrmAdapter -----------------------------------------------------------------------------

    def pull_users(self) -> Sequence[User]:
        endpoint = self.config.read.users
        if endpoint is None:
            return []
        return [self.mapper.to_user(item) for page in self._pages(endpoint, {}) for item in page]

    def pull(self, cursors: Mapping[str, str], *, full: bool = False) -> Iterator[PullBatch]:
        for stream in STREAMS:
            endpoint: ReadEndpoint | None = getattr(self.config.read, stream)
            if endpoint is None:
                continue
            yield from self._pull_stream(stream, endpoint, None if full else cursors.get(stream))

    def supported_actions(self) -> frozenset[str]:
        write = self.config.write
        return frozenset(t for t in ("reassign", "flag", "note") if getattr(write, t) is not None)

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

    # -- WebhookSource --------------------------------------------------------------------------

    def verify_inbound(self, headers: Mapping[str, str], body: bytes) -> InboundEvent:
        inbound = self.config.inbound
        if inbound is None:
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
        )
        payload = _parse_json(body)
        event_id = text(search(inbound.event_id, payload)) or "sha256:" + hashlib.sha256(body).hexdigest()
        if inbound.record is not None:
            found = search(inbound.record, payload)
            if not isinstance(found, dict | list) or not found:
                raise WebhookRejectedError(
                    f"the payload has no record object at {inbound.record}", status=400
                )
            try:
                records = [
                    self.mapper.to_record(item) for item in (found if isinstance(found, list) else [found])
                ]
            except CrmApiError as exc:
                raise WebhookRejectedError(str(exc), status=400) from None
            return InboundEvent(event_id=event_id, records=records, meta={"adapter": self.name})
        ids = texts(search(inbound.record_id, payload))
        if not ids:
            raise WebhookRejectedError(f"the payload has no record id at {inbound.record_id}", status=400)
        refs = [RecordRef(adapter=self.name, module=inbound.module, id=i) for i in ids]
        return InboundEvent(event_id=event_id, record_refs=refs, meta={"adapter": self.name})

    def fetch_records(self, refs: Sequence[RecordRef]) -> Sequence[Record]:
        endpoint = self.config.read.record
        if endpoint is None:
            raise CrmApiError(
                f"{self.name}: reading single records is not supported: configure "
                f'[adapters.{self.name}.read.record] with a path such as "/leads/{{id}}"',
                crm=self.name,
            )
        label = f"{endpoint.method} {endpoint.path}"
        records = []
        for ref in refs:
            url = self._url(fill_path(endpoint.path, {"id": ref.id, "module": ref.module.value}))
            response = self._send(endpoint.method, url, label)
            if response.status_code == 404:
                continue  # deleted meanwhile: nothing to refresh
            body = self._json(response, label)
            item = body if endpoint.item is None else search(endpoint.item, body)
            if isinstance(item, list):
                item = item[0] if item else None
            if item is None:
                continue
            records.append(self.mapper.to_record(item, self._record_fields, default_module=ref.module))
        return records

    # -- reading ----------------------------------------------------------------------------------

    def _pull_stream(self, stream: str, endpoint: ReadEndpoint, cursor: str | None) -> Iterator[PullBatch]:
        best = cursor
        for page in self._pages(endpoint, {"cursor": cursor}):
            if stream == "records":
                yield PullBatch(stream, records=[self.mapper.to_record(item) for item in page])
            else:
                yield PullBatch(stream, activities=[self.mapper.to_activity(item) for item in page])
            if endpoint.cursor_field is not None:
                for item in page:
                    seen = text(search(endpoint.cursor_field, item))
                    if seen is not None and (best is None or cursor_key(seen) > cursor_key(best)):
                        best = seen
        yield PullBatch(stream, cursor=best)

    def _pages(self, endpoint: ReadEndpoint, values: Mapping[str, str | None]) -> Iterator[list[Any]]:
        label = f"{endpoint.method} {endpoint.path}"
        params = fill_params(endpoint.params, values)
        body = fill_read_body(endpoint.body, values) if endpoint.body is not None else None

        def fetch(request: PageRequest) -> PageResponse:
            query = dict(request.params) if request.follow else {**params, **request.params}
            response = self._send(endpoint.method, request.url, label, params=query, json=body)
            link = response.links.get("next", {}).get("url")
            return PageResponse(self._json(response, label), link)

        url = self._url(fill_path(endpoint.path, {k: v for k, v in values.items() if v is not None}))
        yield from iter_pages(endpoint.pagination, endpoint.items, url, fetch, crm=self.name)

    # -- writing ----------------------------------------------------------------------------------

    def _apply_one(self, action: Action) -> ActionResult:
        endpoint: WriteEndpoint | None = getattr(self.config.write, action.type.value)
        if endpoint is None:
            return ActionResult(
                action=action,
                status=ActionStatus.SKIPPED,
                message=f"{self.name} has no write.{action.type.value} endpoint, so {action.type.value} is "
                f"not supported (add [adapters.{self.name}.write.{action.type.value}] to enable it)",
            )
        values = action_values(action)
        try:
            url = self._url(fill_path(endpoint.path, values))
        except ValueError as exc:
            return ActionResult(action=action, status=ActionStatus.FAILED, message=str(exc))
        body = fill_body(endpoint.body, values) if endpoint.body is not None else None
        label = f"{endpoint.method} {endpoint.path}"
        try:
            response = self._send(endpoint.method, url, label, json=body)
        except BudgetExhaustedError:
            raise
        except CrmApiError as exc:  # still 429/5xx or unreachable after the retry layer gave up
            return ActionResult(action=action, status=ActionStatus.FAILED, message=self._redact(str(exc)))
        status = response.status_code
        if 200 <= status < 300:
            return ActionResult(action=action, status=ActionStatus.APPLIED, applied_at=self.clock())
        detail = self._error_message(response)
        if status in _CHANGED_MEANWHILE:
            return ActionResult(
                action=action,
                status=ActionStatus.SKIPPED,
                message=f"changed meanwhile in {self.name} (HTTP {status}): {detail}",
            )
        return ActionResult(
            action=action, status=ActionStatus.FAILED, message=f"{label} answered HTTP {status}: {detail}"
        )

    # -- HTTP -------------------------------------------------------------------------------------

    def _install_auth(self) -> None:
        auth = self.config.auth
        session = self.http.session
        if auth is None:
            return
        if auth.type == "bearer":
            secret = auth.token.get_secret_value()
            session.headers["Authorization"] = f"Bearer {secret}"
        elif auth.type == "basic":
            secret = auth.password.get_secret_value()
            session.auth = (auth.username, secret)
        elif auth.type == "header":
            secret = auth.value.get_secret_value()
            session.headers[auth.name] = secret
        else:
            secret = auth.value.get_secret_value()
            self._query_auth[auth.name] = secret
        self._secrets.append(secret)

    def _url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else self.config.base_url + path

    def _send(
        self, method: str, url: str, label: str, *, params: Mapping[str, Any] | None = None, json: Any = None
    ) -> requests.Response:
        query = {**self._query_auth, **(params or {})}
        return self.http.request(method, url, endpoint=label, params=query or None, json=json)

    def _json(self, response: requests.Response, label: str) -> Any:
        status = response.status_code
        if status in (401, 403):
            raise AuthError(
                f"{self.name}: {label} answered HTTP {status}: {self._error_message(response)} "
                f"(check [adapters.{self.name}.auth] and the variable it reads)",
                crm=self.name,
                status=status,
            )
        if not 200 <= status < 300:
            raise CrmApiError(
                f"{self.name}: {label} answered HTTP {status}: {self._error_message(response)}",
                crm=self.name,
                status=status,
            )
        try:
            return response.json()
        except ValueError:
            raise CrmApiError(f"{self.name}: {label} did not answer with JSON", crm=self.name) from None

    def _error_message(self, response: requests.Response) -> str:
        """The CRM's own words about the error, shortened and with our secrets blanked."""
        try:
            body = response.json()
        except ValueError:
            body = response.text
        message = _find_message(body) or response.reason or "no details"
        message = " ".join(self._redact(message).split())
        return message if len(message) <= _MESSAGE_LIMIT else message[: _MESSAGE_LIMIT - 1] + "…"

    def _redact(self, message: str) -> str:
        for secret in self._secrets:
            if secret:
                message = message.replace(secret, "***")
        return message


def _find_message(body: Any) -> str | None:
    if isinstance(body, str):
        return body.strip() or None
    if isinstance(body, list):
        return "; ".join(m for m in (_find_message(b) for b in body[:3]) if m) or None
    if isinstance(body, dict):
        for key in ("message", "error_description", "error", "detail", "errors", "msg", "description"):
            if key in body:
                found = _find_message(body[key])
                if found:
                    return found
    return None


def _parse_json(body: bytes) -> Any:
    try:
        payload = json.loads(body)
    except UnicodeDecodeError:
        raise WebhookRejectedError("the body is not UTF-8 text", status=400) from None
    except json.JSONDecodeError as exc:
        raise WebhookRejectedError(f"the body is not valid JSON: {exc}", status=400) from None
    if not isinstance(payload, dict | list):
        raise WebhookRejectedError("the body is JSON but not an object", status=400)
    return payload
