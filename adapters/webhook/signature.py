"""Verify that an inbound webhook really comes from the CRM. Pure: ``now`` is passed in.

Signed string: the raw body, or ``<timestamp> + "." + <raw body>`` (bytes) when
``timestamp_header`` is configured; ``<timestamp>`` is the header value exactly as sent.
Schemes: ``hmac-sha256`` and ``hmac-sha1`` (hex or base64 digest after ``prefix``) and ``token``
(the shared secret itself in the header). Comparison is constant-time. Everything fails closed:
a missing header, prefix or timestamp rejects the request with :class:`WebhookRejectedError`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime

from adapters.webhook.config import SignatureConfig
from adapters.webhook.mapping import parse_timestamp
from connector.errors import WebhookRejectedError

_DIGESTS = {"hmac-sha256": hashlib.sha256, "hmac-sha1": hashlib.sha1}


def signed_payload(body: bytes, timestamp: str | None) -> bytes:
    """The exact bytes the CRM signs."""
    return body if timestamp is None else timestamp.encode() + b"." + body


def sign(body: bytes, secret: str, config: SignatureConfig, timestamp: str | None = None) -> str:
    """The header value a correct sender puts in ``config.header`` (used by tests and the demo CRM)."""
    return config.prefix + _digest(body, secret, config, timestamp)


def _digest(body: bytes, secret: str, config: SignatureConfig, timestamp: str | None) -> str:
    if config.scheme == "token":
        return secret
    mac = hmac.new(secret.encode(), signed_payload(body, timestamp), _DIGESTS[config.scheme]).digest()
    return base64.b64encode(mac).decode() if config.encoding == "base64" else mac.hex()


def verify_signature(
    headers: Mapping[str, str], body: bytes, *, secret: str, config: SignatureConfig, now: datetime
) -> None:
    """Return quietly when the request is authentic and fresh; raise ``WebhookRejectedError`` otherwise."""
    if not secret:
        raise WebhookRejectedError("no inbound secret is configured, so no webhook can be trusted")
    lowered = {k.lower(): v for k, v in headers.items()}
    given = lowered.get(config.header.lower())
    if not given:
        raise WebhookRejectedError(f"missing {config.header} header (the request is not signed)")
    if not given.startswith(config.prefix):
        raise WebhookRejectedError(f'{config.header} does not start with "{config.prefix}"')
    timestamp = None
    if config.timestamp_header is not None:
        timestamp = lowered.get(config.timestamp_header.lower())
        if not timestamp:
            raise WebhookRejectedError(f"missing {config.timestamp_header} header (needed against replays)")
        _check_fresh(timestamp, config, now)
    expected = _digest(body, secret, config, timestamp)
    given_digest = given[len(config.prefix) :].strip()
    if config.scheme != "token" and config.encoding == "hex":
        given_digest = given_digest.lower()
    if not hmac.compare_digest(expected.encode(), given_digest.encode()):
        raise WebhookRejectedError(f"{config.header} does not match (wrong secret or the body was changed)")


def _check_fresh(timestamp: str, config: SignatureConfig, now: datetime) -> None:
    try:
        sent = parse_timestamp(timestamp, UTC)
    except ValueError:
        sent = None
    if sent is None:
        raise WebhookRejectedError(f"{config.timestamp_header} is not a timestamp")
    drift = now - sent
    if abs(drift) > config.tolerance:
        direction = "old" if drift.total_seconds() > 0 else "in the future"
        raise WebhookRejectedError(
            f"{config.timestamp_header} is {abs(drift).total_seconds():.0f}s {direction}, beyond the "
            f"tolerance of {config.tolerance.total_seconds():.0f}s (a replay, or a clock out of sync)"
        )
