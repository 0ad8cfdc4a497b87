"""What ``referee validate`` prints about a webhook adapter: what it reads, writes and accepts."""

from __future__ import annotations

from adapters.webhook.config import ReadEndpoint, WebhookAdapterConfig
from connector.durations import format_duration

_CONSEQUENCE = {
    "users": "owners are known only by id (no names, no active/inactive)",
    "records": "nothing to referee: no records are read",
    "activities": "no calls or meetings are seen, so SLA and pursuit rules only see record dates",
}


def describe(config: WebhookAdapterConfig) -> list[str]:
    """One line per capability; unsupported writes say that those actions will be skipped."""
    auth = config.auth.type if config.auth else "none"
    lines = [f"base_url {config.base_url}, auth {auth}, timeout {format_duration(config.timeout)}"]
    for stream in ("users", "records", "activities"):
        endpoint: ReadEndpoint | None = getattr(config.read, stream)
        if endpoint is None:
            lines.append(f"read {stream}: not configured ({_CONSEQUENCE[stream]})")
        else:
            lines.append(f"read {stream}: {_read_line(endpoint)}")
    single = config.read.record
    lines.append(
        f"read record: {single.method} {single.path}"
        if single
        else "read record: not configured (webhooks must carry the whole record)"
    )
    for action in ("reassign", "flag", "note"):
        write = getattr(config.write, action)
        if write is None:
            lines.append(
                f"write {action}: not supported (no write.{action}); {action} actions are planned as skipped"
            )
        else:
            lines.append(f"write {action}: {write.method} {write.path}")
    inbound = config.inbound
    if inbound is None:
        lines.append("inbound webhooks: not configured (changes arrive only by polling with referee sync)")
    else:
        sig = inbound.signature
        fresh = (
            f", timestamp in {sig.timestamp_header} within {format_duration(sig.tolerance)}"
            if sig.timestamp_header
            else ", no timestamp (replays cannot be refused)"
        )
        source = (
            f"record at {inbound.record}" if inbound.record else f"record id at {inbound.record_id}, fetched"
        )
        lines.append(f"inbound webhooks: {sig.scheme} in {sig.header}{fresh}; {source}")
    return lines


def _read_line(endpoint: ReadEndpoint) -> str:
    paging = endpoint.pagination.style
    incremental = (
        f"incremental on {endpoint.cursor_field}" if endpoint.cursor_field else "full read every sync"
    )
    fields = len(endpoint.fields)
    return f"{endpoint.method} {endpoint.path} ({paging} pagination, {incremental}, {fields} fields)"
