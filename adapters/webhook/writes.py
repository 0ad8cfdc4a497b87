"""Carry out one action: read what the write needs, build the body, send it, judge the answer.

Order: the endpoint for the record's module; ``current`` (the record now: its owner, tags,
ETag); ``tag_lookup`` (the tag's id, created if missing); the body (:mod:`adapters.webhook.rmw`);
the call; the verdict (:mod:`adapters.webhook.success`). Anything that says the write must not
or need not happen ends there with a reason, before anything is sent. Every request goes
through :class:`adapters.webhook.transport.Transport`, so only its retry layer retries.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from adapters.webhook.config_write import CurrentRead, TagLookup, WriteEndpoint, WriteSection
from adapters.webhook.fieldpath import PathError, search
from adapters.webhook.rmw import build_body, cut, owner_verdict
from adapters.webhook.success import judge
from adapters.webhook.templates import action_values, fill_body, fill_params, fill_path
from adapters.webhook.transport import Transport
from connector.domain import Action, ActionResult, ActionStatus
from connector.errors import BudgetExhaustedError, CrmApiError


class WriteStop(Exception):
    """This action ends here with ``status`` and ``message`` (nothing more is sent)."""

    def __init__(self, status: ActionStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class _Current:
    record: Any
    etag: str | None


class Writer:
    def __init__(
        self, name: str, section: WriteSection, transport: Transport, clock: Callable[[], datetime]
    ) -> None:
        self.name = name
        self.section = section
        self.transport = transport
        self.clock = clock
        self._tag_ids: dict[tuple[int, str], str] = {}

    def apply_one(self, action: Action) -> ActionResult:
        kind = action.type.value
        endpoint = self.section.endpoint_for(kind, action.target.module)
        if endpoint is None:
            section = f"[adapters.{self.name}.write.{kind}]"
            if self.section.endpoints(kind):
                why = (
                    f"{self.name} has no write.{kind} endpoint for {action.target.module}, so {kind} is "
                    f'not supported there (add a [{section}] with module = "{action.target.module}")'
                )
            else:
                why = f"{self.name} has no write.{kind} endpoint, so {kind} is not supported (add {section} to enable it)"
            return ActionResult(action=action, status=ActionStatus.SKIPPED, message=why)
        try:
            status, message = self._write(action, endpoint)
        except BudgetExhaustedError:
            raise
        except WriteStop as stop:
            status, message = stop.status, stop.message
        except CrmApiError as exc:  # still 429/5xx or unreachable after the retry layer gave up
            status, message = ActionStatus.FAILED, self.transport.redact(str(exc))
        except PathError as exc:
            status, message = ActionStatus.FAILED, self.transport.shorten(f"{self.name}: {exc}")
        applied_at = self.clock() if status == ActionStatus.APPLIED else None
        return ActionResult(action=action, status=status, message=message, applied_at=applied_at)

    def _write(self, action: Action, endpoint: WriteEndpoint) -> tuple[ActionStatus, str]:
        values: dict[str, str | None] = {
            **action_values(action),
            "module": self.section.module_name(action.target.module),
            "now": self.clock().astimezone(UTC).isoformat().replace("+00:00", "Z"),
        }
        text, was_cut = cut(values["text"], endpoint.max_length)
        values["text"] = text
        current = self._current(endpoint.current, values) if endpoint.current is not None else None
        record = current.record if current is not None else None
        settled = owner_verdict(record, endpoint, action.previous_owner_id, action.new_owner_id)
        if settled is None and endpoint.tag_lookup is not None:
            values["tag_id"] = self._tag_id(endpoint.tag_lookup, values)
        body: Any = None
        if settled is None:
            body, settled = build_body(endpoint, record, values)
        if settled is not None:
            return (ActionStatus.APPLIED if settled.done else ActionStatus.SKIPPED), settled.reason
        headers = {"If-Match": current.etag} if current is not None and current.etag else None
        label = f"{endpoint.method} {endpoint.path}"
        response = self._call(endpoint.method, endpoint.path, values, json=body, headers=headers)
        verdict = judge(
            response.status_code,
            _json_or_none(response),
            crm=self.name,
            label=label,
            success=endpoint.success,
            message=endpoint.message,
            error_text=lambda: self.transport.error_message(response),
            shorten=self.transport.shorten,
        )
        detail = verdict.detail
        if verdict.status == ActionStatus.APPLIED and was_cut and endpoint.max_length is not None:
            detail = (
                f"text cut to {endpoint.max_length} of {len(action.text or '')} characters "
                "(write.max_length); the full text is in the journal"
            )
        return verdict.status, detail

    # -- the reads before a write ----------------------------------------------------------------

    def _current(self, read: CurrentRead, values: Mapping[str, str | None]) -> _Current:
        label = f"{read.method} {read.path}"
        body = fill_body(read.body, values) if read.body is not None else None
        response = self._call(read.method, read.path, values, params=read.params, json=body)
        if response.status_code == 404:
            raise WriteStop(
                ActionStatus.SKIPPED,
                f"{label} answered 404: the record is gone from {self.name}; nothing written",
            )
        if not 200 <= response.status_code < 300:
            raise WriteStop(
                ActionStatus.FAILED,
                f"{label} (the read before the write) answered HTTP {response.status_code}: "
                f"{self.transport.error_message(response)}",
            )
        body = _json_or_none(response)
        record = search(read.item, body) if read.item is not None else body
        if not isinstance(record, dict):
            raise WriteStop(
                ActionStatus.FAILED,
                f"{label} did not answer with a record at {read.item or 'the top'} (check write.*.current.item)",
            )
        etag = response.headers.get("ETag") if read.if_match else None
        if read.if_match and not etag:
            raise WriteStop(
                ActionStatus.FAILED,
                f"{label} sent no ETag, so the write cannot be made conditional (if_match = true)",
            )
        return _Current(record, etag)

    def _tag_id(self, lookup: TagLookup, values: Mapping[str, str | None]) -> str:
        tag = values.get("tag") or ""
        key = (id(lookup), tag)
        if key in self._tag_ids:
            return self._tag_ids[key]
        label = f"{lookup.method} {lookup.path}"
        query = fill_body(lookup.body, values) if lookup.body is not None else None
        response = self._call(lookup.method, lookup.path, values, params=lookup.params, json=query)
        if not 200 <= response.status_code < 300:
            raise WriteStop(
                ActionStatus.FAILED,
                f"{label} (the tag lookup) answered HTTP {response.status_code}: "
                f"{self.transport.error_message(response)}",
            )
        body = _json_or_none(response)
        items = search(lookup.items, body) if lookup.items is not None else body
        found = next(
            (
                search(lookup.id, item)
                for item in (items if isinstance(items, list) else [])
                if isinstance(item, dict) and str(search(lookup.name, item) or "").strip() == tag
            ),
            None,
        )
        if found in (None, ""):
            found = self._create_tag(lookup, values, tag)
        self._tag_ids[key] = str(found)
        return str(found)

    def _create_tag(self, lookup: TagLookup, values: Mapping[str, str | None], tag: str) -> Any:
        create = lookup.create
        if create is None:
            raise WriteStop(
                ActionStatus.FAILED,
                f'{self.name} has no tag named "{tag}" (create it in the CRM, or add tag_lookup.create)',
            )
        label = f"{create.method} {create.path}"
        sent = fill_body(create.body, values) if create.body is not None else None
        response = self._call(create.method, create.path, values, json=sent)
        body = _json_or_none(response)
        verdict = judge(
            response.status_code,
            body,
            crm=self.name,
            label=label,
            success=create.success,
            message=None,
            error_text=lambda: self.transport.error_message(response),
            shorten=self.transport.shorten,
        )
        if verdict.status != ActionStatus.APPLIED:
            raise WriteStop(ActionStatus.FAILED, f'creating the tag "{tag}": {verdict.detail}')
        new_id = search(create.id, body)
        if new_id in (None, ""):
            raise WriteStop(
                ActionStatus.FAILED,
                f'{label} created the tag "{tag}" but its answer has no id at {create.id} '
                "(check tag_lookup.create.id)",
            )
        return new_id

    # -- HTTP ------------------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        path: str,
        values: Mapping[str, str | None],
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        try:
            url = self.transport.url(fill_path(path, values))
        except ValueError as exc:
            raise WriteStop(ActionStatus.FAILED, str(exc)) from None
        query = fill_params(params, values) if params else None
        return self.transport.send(method, url, f"{method} {path}", params=query, json=json, headers=headers)


def _json_or_none(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None
