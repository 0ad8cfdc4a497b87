"""Undelivered digests wait in the state store (``kv`` namespace ``notify-outbox``) for the next run.

Every run first queues its new messages, then tries each waiting one whose target is outside its
quiet hours. A failure is logged and counted and the message stays for the next run, until
``max_attempts`` or ``keep_for`` is reached (then it is dropped, logged). Error texts never carry
the target's URL (it holds the bot key or password).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from connector.domain import stable_hash
from connector.notify.config import NotifySection, NotifyTarget
from connector.notify.digest import Message
from connector.store import Store

log = logging.getLogger("crm_referee.notify")
NAMESPACE = "notify-outbox"
COUNTERS = "notify"

Sender = Callable[[NotifyTarget, Message], str | None]
"""Sends one message; returns ``None`` on success, else why it failed (safe to log)."""


@dataclass
class Delivery:
    """What one delivery round did (the CLI prints it when something failed)."""

    sent: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # message id → why
    held: list[str] = field(default_factory=list)  # quiet hours
    dropped: list[str] = field(default_factory=list)


def enqueue(store: Store, target: NotifyTarget, message: Message, *, origin: str, now: datetime) -> str:
    """Queue ``message`` for ``target``; the same origin (run or event) queues it once."""
    key = stable_hash(target.name, origin, message.title)
    if store.get_value(NAMESPACE, key) is None:
        entry = {"target": target.name, "title": message.title, "body": message.body,
                 "created_at": now.isoformat(), "attempts": 0, "error": ""}
        store.set_value(NAMESPACE, key, json.dumps(entry, ensure_ascii=False))
    return key


def deliver(store: Store, section: NotifySection, *, now: datetime, timezone: str, send: Sender) -> Delivery:
    """Try every waiting message once (oldest first); never raises for a failed send."""
    targets = {t.name: t for t in section.targets}
    done = Delivery()
    waiting = sorted(store.get_values(NAMESPACE).items(), key=lambda kv: (json.loads(kv[1])["created_at"], kv[0]))
    for key, text in waiting:
        entry = json.loads(text)
        target = targets.get(entry["target"])
        created = datetime.fromisoformat(entry["created_at"])
        if target is None or now - created > section.keep_for or entry["attempts"] >= section.max_attempts:
            why = "its target is no longer configured" if target is None else (
                f"undelivered after {entry['attempts']} attempt(s): {entry['error'] or 'quiet hours'}")
            log.warning("notify: dropped a digest for %s: %s", entry["target"], why)
            store.delete_value(NAMESPACE, key)
            done.dropped.append(key)
            continue
        quiet = target.quiet
        if quiet is not None and quiet.covers(now.astimezone(ZoneInfo(target.timezone or timezone)).time()):
            done.held.append(key)
            continue
        error = _safe_send(send, target, Message(entry["title"], entry["body"]))
        if error is None:
            store.delete_value(NAMESPACE, key)
            done.sent.append(key)
            continue
        entry["attempts"] += 1
        entry["error"] = error
        store.set_value(NAMESPACE, key, json.dumps(entry, ensure_ascii=False))
        done.failed[key] = f"{target.name}: {error}"
        _count(store, "failures")
        log.warning("notify: %s: %s (retried next run)", target.name, error)
    return done


def apprise_send(target: NotifyTarget, message: Message) -> str | None:
    """Send through apprise; the failure text is apprise's log, scrubbed of the URL's secrets."""
    import apprise

    url = target.url.get_secret_value()
    sender = apprise.Apprise()
    if not sender.add(url):
        return "apprise cannot use this URL (check the target's url)"
    fmt = apprise.NotifyFormat.MARKDOWN if target.format == "markdown" else apprise.NotifyFormat.TEXT
    with apprise.LogCapture(level=logging.WARNING) as captured:
        ok = sender.notify(body=message.body, title=message.title, body_format=fmt)
        logged = captured.getvalue()
    if ok:
        return None
    lines = [line.split(" - ", 2)[-1] for line in logged.strip().splitlines() if line.strip()]
    return scrub(lines[-1] if lines else "delivery failed", url)


def scrub(text: str, url: str) -> str:
    """``text`` without the URL or the parts of it that carry keys, tokens or passwords."""
    parts = urlsplit(url)
    secrets = {url, parts.password or "", parts.username or "", *parts.path.split("/"), parts.query}
    secrets |= {value for pair in parts.query.split("&") for value in pair.split("=")[1:]}
    if parts.scheme and parts.hostname and parts.scheme not in ("http", "https", "json", "form", "xml"):
        secrets.add(parts.hostname)  # e.g. wecombot://KEY: the "host" is the key
    for secret in sorted((s for s in secrets if len(s) >= 6), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text[:300]


def counters(store: Store) -> Mapping[str, str]:
    return store.get_values(COUNTERS)


def _safe_send(send: Sender, target: NotifyTarget, message: Message) -> str | None:
    try:
        return send(target, message)
    except Exception as error:  # a notification never fails the run
        return scrub(f"{type(error).__name__}: {error}", target.url.get_secret_value())


def _count(store: Store, name: str) -> None:
    current = int(store.get_value(COUNTERS, name) or 0)
    store.set_value(COUNTERS, name, str(current + 1))
