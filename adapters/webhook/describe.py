"""What ``referee validate`` prints about a webhook adapter: what it reads, writes and accepts."""

from __future__ import annotations

from adapters.webhook.config import ReadEndpoint, WebhookAdapterConfig, WriteEndpoint
from connector.durations import format_duration

_CONSEQUENCE = {
    "users": "owners are known only by id (no names, no active/inactive)",
    "records": "nothing to referee: no records are read",
    "activities": "no calls or meetings are seen, so SLA and pursuit rules only see record dates",
}


def describe(config: WebhookAdapterConfig) -> list[str]:
    """One line per capability; unsupported writes say that those actions will be skipped."""
    lines = [f"base_url {config.base_url}, auth {_auth(config)}, timeout {format_duration(config.timeout)}"]
    if config.timezone or config.integration_user:
        zone = f"naive times in {config.timezone}" if config.timezone else ""
        me = "own writes recognised by integration_user" if config.integration_user else ""
        lines.append(", ".join(part for part in (zone, me) if part))
    read = config.read
    lines.append(
        f"read users: {_read_line(read.users)}"
        if read.users
        else f"read users: not configured ({_CONSEQUENCE['users']})"
    )
    for kind in ("records", "activities"):
        streams = read.streams(kind)
        if not streams:
            lines.append(f"read {kind}: not configured ({_CONSEQUENCE[kind]})")
        lines.extend(f"read {_stream(kind, name)}: {_read_line(endpoint)}" for name, endpoint in streams)
    lines.extend(f"read {_stream('deleted', n)}: {_read_line(e)}" for n, e in read.streams("deleted"))
    if not read.record:
        lines.append("read record: not configured (webhooks must carry the whole record)")
    for single in read.record:
        lines.append(
            f"read record{f' ({single.module})' if single.module else ''}: {single.method} {single.path}"
        )
    for action in ("reassign", "flag", "note"):
        endpoints = config.write.endpoints(action)
        if not endpoints:
            lines.append(
                f"write {action}: not supported (no write.{action}); a dry run lists {action} actions as "
                f"planned, --apply journals them skipped with that reason"
            )
        lines.extend(f"write {action}: {_write_line(e)}" for e in endpoints)
    inbound = config.inbound
    if inbound is None:
        lines.append("inbound webhooks: not configured (changes arrive only by polling with referee sync)")
    else:
        sig = inbound.signature
        where = sig.timestamp_header or (
            f"{sig.header} ({sig.timestamp_key}=)" if sig.timestamp_key else None
        )
        fresh = (
            f", timestamp in {where} within {format_duration(sig.tolerance)}"
            if where
            else ", no timestamp (replays cannot be refused)"
        )
        signed = f" over {sig.template}" if sig.scheme.startswith("hmac") else ""
        preset = f" (preset {sig.preset})" if sig.preset else ""
        source = "changes at " + inbound.changes + ": " if inbound.changes else ""
        carried = " and/or ".join(
            what
            for what, path in (
                ("record at " + str(inbound.record), inbound.record),
                ("id at " + str(inbound.record_id), inbound.record_id),
            )
            if path
        )
        lines.append(
            f"inbound webhooks: {sig.scheme}{preset} in {sig.header}{signed}{fresh}; {source}{carried}"
        )
    return lines


def _stream(kind: str, name: str) -> str:
    return kind if name == kind else f"{kind} ({name})"


def _auth(config: WebhookAdapterConfig) -> str:
    auth = config.auth
    if auth is None:
        return "none"
    if auth.type == "oauth2":
        return f"oauth2 {auth.grant} at {auth.token_url}, token cached in the store"
    if auth.type == "login":
        return f"login at {auth.path}, token cached in the store"
    return auth.type


def _read_line(endpoint: ReadEndpoint) -> str:
    paging = endpoint.pagination.style
    if endpoint.for_each:
        only = f" ({', '.join(endpoint.for_modules)})" if endpoint.for_modules else ""
        how = f"once per record pulled{only}, {endpoint.concurrency} at a time"
    elif endpoint.cursor_field or endpoint.cursor_path:
        how = f"incremental on {endpoint.cursor_field or endpoint.cursor_path}"
        how += ", records missing from a --full read deleted" if endpoint.missing_means_deleted else ""
    else:
        how = "full read every sync" + (", missing records deleted" if endpoint.missing_means_deleted else "")
    flag = f", deleted when {endpoint.deleted}" if endpoint.deleted else ""
    return (
        f"{endpoint.method} {endpoint.path} ({paging} pagination, {how}{flag}, {len(endpoint.fields)} fields)"
    )


def _write_line(endpoint: WriteEndpoint) -> str:
    """``PUT /Lead/{id} (Leads), reads GET /Lead/{id} first, checks the owner, success: !error``."""
    parts = [f"{endpoint.method} {endpoint.path}" + (f" ({endpoint.module})" if endpoint.module else "")]
    if endpoint.current is not None:
        parts.append(f"reads {endpoint.current.method} {endpoint.current.path} first")
    if endpoint.tag_lookup is not None:
        create = " (creates missing tags)" if endpoint.tag_lookup.create else ""
        parts.append(f"tag ids from {endpoint.tag_lookup.path}{create}")
    if endpoint.merge is not None:
        parts.append(f"merges into {endpoint.merge.field}")
    if endpoint.expect_owner is not None:
        parts.append("skips when the owner changed")
    if endpoint.current is not None and endpoint.current.if_match:
        parts.append("If-Match ETag")
    if endpoint.success is not None:
        parts.append(f"success: {endpoint.success}")
    if endpoint.max_length is not None:
        parts.append(f"text up to {endpoint.max_length} characters")
    return ", ".join(parts)
