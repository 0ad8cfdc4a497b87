"""Zoho change notifications (``/crm/v8/actions/watch``): enable a channel and keep it alive.

A channel lives at most 7 days in v8 (an expiry beyond that silently falls back to 1 hour), so
``renew_if_due`` is called by every ``sync`` run and extends it well before it lapses. The random
verification token is kept in the store; Zoho echoes it in every notification.

A renewal that fails (Zoho answers ``NOT_SUBSCRIBED``, the channel already expired, the token lost
``ZohoCRM.notifications.ALL``) never fails the sync: :func:`maintain_channel` records a run warning
and the sync goes on, because notifications are only hints next to the scheduled pull.
``referee zoho watch`` re-creates the channel (and unsubscribes the old one first).
Sources: https://www.zoho.com/crm/developer/docs/api/v8/notifications/enable.html and
update-info.html, disable.html; ``NOT_SUBSCRIBED`` is declared in Zoho's notifications.json OAS.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from adapters.zoho.auth import KeyValue, kv_namespace
from adapters.zoho.client import API
from adapters.zoho.wire import format_time, parse_time
from connector.errors import CrmApiError, FatalApiError, UsageError

if TYPE_CHECKING:
    from adapters.zoho.adapter import ZohoAdapter

log = logging.getLogger(__name__)

WATCH_PATH = f"{API}/actions/watch"
WATCH_SCOPE = "ZohoCRM.notifications.ALL"
MAX_EXPIRY = timedelta(days=7)
SAFETY = timedelta(minutes=5)  # stay clearly under the 7-day maximum
CHANNEL_KEY = "watch"


@dataclass(frozen=True)
class Channel:
    channel_id: str
    token: str
    notify_url: str
    events: tuple[str, ...]
    expires_at: str  # ISO 8601

    @property
    def expiry(self) -> datetime:
        parsed = parse_time(self.expires_at)
        if parsed is None:
            raise ValueError(f"bad channel expiry {self.expires_at!r}")
        return parsed


def load_channel(kv: KeyValue, adapter: str) -> Channel | None:
    raw = kv.get_value(kv_namespace(adapter), CHANNEL_KEY)
    if not raw:
        return None
    data = json.loads(raw) if isinstance(raw, str) else dict(raw)
    return Channel(**{**data, "events": tuple(data["events"])})


def _save(kv: KeyValue, adapter: str, channel: Channel) -> None:
    kv.set_value(
        kv_namespace(adapter), CHANNEL_KEY, json.dumps({**asdict(channel), "events": list(channel.events)})
    )


def events_for(adapter: ZohoAdapter) -> tuple[str, ...]:
    modules = [m.value for m in adapter.config.modules] + list(adapter.config.activity_modules)
    return tuple(f"{m}.all" for m in modules)


def _body(channel: Channel) -> dict[str, Any]:
    return {
        "watch": [
            {
                "channel_id": channel.channel_id,
                "events": list(channel.events),
                "channel_expiry": channel.expires_at,
                "token": channel.token,
                "notify_url": channel.notify_url,
                "notify_on_related_action": False,
            }
        ]
    }


def _confirmed_expiry(body: Mapping[str, Any], endpoint: str, requested: str) -> str:
    """Check ``watch[0]`` succeeded and return the expiry Zoho granted."""
    items = body.get("watch") if isinstance(body, Mapping) else None
    item = items[0] if isinstance(items, list) and items and isinstance(items[0], Mapping) else {}
    if item.get("status") != "success":
        code = item.get("code") or body.get("code") or "no status"
        detail = f"{code}: {item.get('message') or body.get('message') or ''}"
        raise FatalApiError(f"zoho: {endpoint} did not enable the channel ({detail.strip(': ')})", crm="zoho")
    granted = [
        e.get("channel_expiry")
        for e in (item.get("details") or {}).get("events") or []
        if isinstance(e, Mapping) and e.get("channel_expiry")
    ]
    times = [t for t in (parse_time(g) for g in granted) if t is not None]
    return format_time(min(times)) if times else requested


def _send(adapter: ZohoAdapter, method: Literal["POST", "PATCH"], channel: Channel) -> Channel:
    endpoint = f"{method} /actions/watch"
    reply = adapter.client.call(method, WATCH_PATH, endpoint=endpoint, json=_body(channel), scope=WATCH_SCOPE)
    expires = _confirmed_expiry(reply.body, endpoint, channel.expires_at)
    return Channel(channel.channel_id, channel.token, channel.notify_url, channel.events, expires)


def _unsubscribe(adapter: ZohoAdapter, channel: Channel) -> None:
    """Best effort: a channel Zoho no longer knows (expired, NOT_SUBSCRIBED) is simply gone."""
    try:
        adapter.client.call(
            "DELETE",
            WATCH_PATH,
            endpoint="DELETE /actions/watch",
            params={"channel_ids": channel.channel_id},
            scope=WATCH_SCOPE,
        )
    except CrmApiError as exc:
        log.info("zoho: could not unsubscribe the old channel %s (%s)", channel.channel_id, exc)


def enable_watch(adapter: ZohoAdapter, kv: KeyValue, url: str | None, now: datetime) -> Channel:
    """Subscribe ``url`` to changes of the configured modules with a fresh channel id and token.

    Without ``url`` the stored channel's URL is used again (re-creating a lost channel). A stored
    channel is unsubscribed first, so Zoho never posts with a token the store no longer holds.
    """
    previous = load_channel(kv, adapter.name)
    if url is None:
        if previous is None:
            raise UsageError("no notification channel is stored yet; give --url https://host/webhooks/zoho")
        url = previous.notify_url
    if not url.startswith("https://"):
        raise UsageError(
            f'--url "{url}" must be an https:// URL Zoho can reach (e.g. https://host/webhooks/zoho)'
        )
    if previous is not None:
        _unsubscribe(adapter, previous)
    channel = Channel(
        channel_id=str(10**12 + secrets.randbelow(9 * 10**12)),
        token=secrets.token_urlsafe(36)[:48],  # Zoho allows at most 50 characters
        notify_url=url,
        events=events_for(adapter),
        expires_at=format_time(now + MAX_EXPIRY - SAFETY),
    )
    channel = _send(adapter, "POST", channel)
    _save(kv, adapter.name, channel)
    return channel


def renew_if_due(
    adapter: ZohoAdapter, kv: KeyValue, now: datetime
) -> Literal["not-enabled", "not-due", "expired", "renewed"]:
    """Extend the stored channel when it expires within ``watch_renew_before`` (default 1 day).

    An expired channel cannot be extended (Zoho forgot it); that needs ``referee zoho watch``.
    """
    channel = load_channel(kv, adapter.name)
    if channel is None:
        return "not-enabled"
    if channel.expiry <= now:
        return "expired"
    if channel.expiry - now > adapter.config.watch_renew_before:
        return "not-due"
    renewed = Channel(
        channel.channel_id,
        channel.token,
        channel.notify_url,
        events_for(adapter),
        format_time(now + MAX_EXPIRY - SAFETY),
    )
    _save(kv, adapter.name, _send(adapter, "PATCH", renewed))
    return "renewed"


def maintain_channel(adapter: ZohoAdapter, kv: KeyValue, now: datetime) -> str:
    """:func:`renew_if_due` for the sync: any failure becomes one run warning, never an error."""
    fix = "run `referee zoho watch` to re-create it (the stored URL is reused)"
    try:
        outcome = renew_if_due(adapter, kv, now)
    except CrmApiError as exc:
        channel = load_channel(kv, adapter.name)
        until = f"; notifications stop at {channel.expires_at}" if channel is not None else ""
        adapter.warnings.add(
            "watch_renewal_failed",
            f"the notification channel could not be renewed ({_one_line(exc)}){until}; {fix}",
        )
        return "failed"
    if outcome == "expired":
        channel = load_channel(kv, adapter.name)
        expired = channel.expires_at if channel is not None else "earlier"
        adapter.warnings.add(
            "watch_channel_expired",
            f"the notification channel expired at {expired} (no sync ran in time to renew it), so Zoho sends "
            f"no change notifications; {fix}",
        )
    return outcome


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split()).removeprefix("zoho: ")
