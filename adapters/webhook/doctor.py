"""``referee doctor`` for a generic REST CRM: credentials, one read per stream, the writes the rules need.

Each list endpoint gets one request for its first page (placeholders such as ``{cursor}`` left
out, the page size at its smallest), which proves the base URL, the credentials and the read
permission in one go. Write endpoints are never called: doctor checks that each write type the
rules can plan has one configured, since a missing one means those actions are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from adapters.webhook.adapter import WebhookAdapter
from adapters.webhook.config import ReadEndpoint
from connector.doctor import Check, failed, from_error, note, passed
from connector.domain import ActionType
from connector.errors import AuthError, ConnectorError
from connector.protocol import CrmAdapter

_AUTH_FIX = "check [adapters.{name}.auth] and the environment variable it reads"


def doctor(name: str, adapter: CrmAdapter, writes: Mapping[ActionType, Sequence[str]]) -> list[Check]:
    assert isinstance(adapter, WebhookAdapter)
    config = adapter.config
    checks: list[Check] = []
    if adapter.transport.credentials.uses_tokens:
        try:
            adapter.transport.credentials.token()
            checks.append(passed(f"adapter {name}: auth", f"{config.auth.type if config.auth else ''} token obtained"))
        except ConnectorError as exc:
            checks.append(from_error(f"adapter {name}: auth", exc, _AUTH_FIX.format(name=name)))
            return checks
    endpoints: list[tuple[str, ReadEndpoint]] = []
    if config.read.users is not None:
        endpoints.append(("users", config.read.users))
    for kind in ("records", "activities", "deleted"):
        endpoints.extend(config.read.streams(kind))
    if not endpoints:
        checks.append(failed(f"adapter {name}: read", "no read endpoints are configured",
                             f"add [adapters.{name}.read.records] (see docs/generic-crm.md)", 2))
    for stream, endpoint in endpoints:
        checks.append(_read_check(name, adapter, stream, endpoint))
        if checks[-1].failed and checks[-1].exit_code == 3 and "could not reach" in checks[-1].message:
            break  # the host is down or wrong: every further read would say the same
    checks.extend(_write_checks(name, adapter, writes))
    if config.inbound is not None:
        scheme = config.inbound.signature.scheme
        checks.append(passed(f"adapter {name}: inbound", f"webhooks verified by {scheme} on "
                                                        f"{config.inbound.signature.header}; secret set"))
    return checks


def _read_check(name: str, adapter: WebhookAdapter, stream: str, endpoint: ReadEndpoint) -> Check:
    subject = f"adapter {name}: read {stream} ({endpoint.method} {endpoint.path})"
    if endpoint.for_each or "{" in endpoint.path:
        return note(subject, "read per record, so it is tried by the first sync, not here")
    params: dict[str, Any] = {k: v for k, v in endpoint.params.items() if "{" not in str(v)}
    paging = endpoint.pagination
    if paging.limit_param:
        params[paging.limit_param] = 1
    try:
        response = adapter.transport.send(
            endpoint.method, adapter.transport.url(endpoint.path), f"{endpoint.method} {endpoint.path}",
            params=params, json=endpoint.body,
        )
    except ConnectorError as exc:
        return from_error(subject, exc, f"check base_url ({adapter.config.base_url}) and that the CRM is up")
    status = response.status_code
    if 200 <= status < 300:
        return passed(subject, f"HTTP {status}")
    detail = adapter.transport.error_message(response)
    if status in (401, 403):
        error = AuthError(f"HTTP {status}: {detail}")
        return from_error(subject, error, _AUTH_FIX.format(name=name) + " (a 403 is a missing permission)")
    if status == 404:
        return failed(subject, f"HTTP 404: {detail}",
                      f"check base_url ({adapter.config.base_url}) and read path {endpoint.path}", 3)
    return failed(subject, f"HTTP {status}: {detail}", "see the CRM's message", 3)


def _write_checks(name: str, adapter: WebhookAdapter, writes: Mapping[ActionType, Sequence[str]]) -> list[Check]:
    checks: list[Check] = []
    for kind, rules in writes.items():
        subject = f"adapter {name}: write {kind.value}"
        endpoints = adapter.config.write.endpoints(kind.value)
        if not endpoints:
            checks.append(failed(
                subject,
                f"rule(s) {', '.join(rules)} plan {kind.value} actions, but no write endpoint is configured, "
                "so they would be skipped",
                f"add [adapters.{name}.write.{kind.value}] (method, path, body; see docs/generic-crm.md)",
                2,
            ))
        else:
            calls = ", ".join(
                f"{e.method} {e.path}" + (f" ({e.module})" if getattr(e, "module", None) else "") for e in endpoints
            )
            checks.append(passed(subject, f"{calls} configured (not called: doctor never writes)"))
    return checks
