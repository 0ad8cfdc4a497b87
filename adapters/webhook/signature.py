"""Verify that an inbound webhook really comes from the CRM. Pure: ``now`` is passed in.

The signed bytes follow ``SignatureConfig.template``: ``{timestamp}``, ``{body}``, ``{method}``
and ``{url}`` replaced by the timestamp exactly as sent, the raw body, the request method and
the URL the CRM called. The signature comes from ``header`` after ``prefix``, or from the
``signature_key`` pairs of a ``t=…,v1=…`` header (any one of several may match). Comparison is
constant-time, the timestamp is parsed with bounds (a huge number is refused, never an overflow),
and everything fails closed: a missing header, prefix, pair or timestamp rejects the request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import unquote, urlsplit

from adapters.webhook.config_inbound import SignatureConfig
from adapters.webhook.values import parse_timestamp
from connector.errors import WebhookRejectedError

_DIGESTS = {"hmac-sha256": hashlib.sha256, "hmac-sha1": hashlib.sha1}
_MAX_HEADER = 8192


def signed_payload(
    body: bytes,
    timestamp: str | None,
    config: SignatureConfig | None = None,
    *,
    method: str = "POST",
    url: str = "",
) -> bytes:
    """The exact bytes the CRM signs (``<timestamp>.<body>`` or ``<body>`` without a config)."""
    template = (
        config.template
        if config is not None
        else ("{timestamp}.{body}" if timestamp is not None else "{body}")
    )
    if config is not None and "{url}" in template:
        url = _signed_url(url, config)
    out = bytearray()
    rest = template
    while rest:
        start = rest.find("{")
        if start < 0:
            out += rest.encode()
            break
        end = rest.index("}", start)
        out += rest[:start].encode()
        part = rest[start + 1 : end]
        if part == "body":
            out += body
        elif part == "timestamp":
            out += (timestamp or "").encode()
        elif part == "method":
            out += method.upper().encode()
        else:
            out += url.encode()
        rest = rest[end + 1 :]
    return bytes(out)


def sign(
    body: bytes,
    secret: str,
    config: SignatureConfig,
    timestamp: str | None = None,
    *,
    method: str = "POST",
    url: str = "",
) -> str:
    """The ``config.header`` value a correct sender puts on the request (tests, demos, fakes)."""
    if config.scheme == "token":
        return config.prefix + secret
    if config.scheme == "basic":
        return "Basic " + base64.b64encode(secret.encode()).decode()
    digest = _digest(signed_payload(body, timestamp, config, method=method, url=url), secret, config)
    if config.timestamp_key is not None:
        return f"{config.timestamp_key}={timestamp},{config.signature_key}={digest}"
    if config.signature_key is not None:
        return f"{config.signature_key}={digest}"
    return config.prefix + digest


def _digest(message: bytes, secret: str, config: SignatureConfig) -> str:
    mac = hmac.new(secret.encode(), message, _DIGESTS[config.scheme]).digest()
    return base64.b64encode(mac).decode() if config.encoding == "base64" else mac.hex()


def verify_signature(
    headers: Mapping[str, str],
    body: bytes,
    *,
    secret: str,
    config: SignatureConfig,
    now: datetime,
    method: str = "POST",
    url: str = "",
) -> None:
    """Return quietly when the request is authentic and fresh; raise ``WebhookRejectedError`` otherwise."""
    if not secret:
        raise WebhookRejectedError("no inbound secret is configured, so no webhook can be trusted")
    lowered = {k.lower(): v for k, v in headers.items()}
    given = lowered.get(config.header.lower(), "").strip()
    if not given:
        raise WebhookRejectedError(f"missing {config.header} header (the request is not signed)")
    if len(given) > _MAX_HEADER:
        raise WebhookRejectedError(f"{config.header} is too long to be a signature")
    if config.scheme == "token":
        _compare_secret(given, config.prefix + secret, config)
        return
    if config.scheme == "basic":
        _compare_secret(given, "Basic " + base64.b64encode(secret.encode()).decode(), config)
        return
    timestamp, candidates = _parts(given, lowered, config)
    if timestamp is not None:
        _check_fresh(timestamp, config, now)
    expected = _digest(signed_payload(body, timestamp, config, method=method, url=url), secret, config)
    if not any(_same(expected, candidate, config) for candidate in candidates):
        raise WebhookRejectedError(f"{config.header} does not match (wrong secret or the body was changed)")


def _compare_secret(given: str, expected: str, config: SignatureConfig) -> None:
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise WebhookRejectedError(f"{config.header} does not match (wrong secret or the body was changed)")


def _parts(given: str, lowered: Mapping[str, str], config: SignatureConfig) -> tuple[str | None, list[str]]:
    """The timestamp (or ``None``) and the signatures to try."""
    if config.timestamp_key is None and config.signature_key is None:
        if not given.startswith(config.prefix):
            raise WebhookRejectedError(f'{config.header} does not start with "{config.prefix}"')
        candidates = [given[len(config.prefix) :].strip()]
        timestamp = None
    else:
        pairs = _pairs(given.removeprefix(config.prefix))
        timestamp = _one(pairs, config.timestamp_key, config) if config.timestamp_key else None
        candidates = pairs.get(config.signature_key or "", [])
        if not candidates:
            raise WebhookRejectedError(f'{config.header} has no "{config.signature_key}=" signature')
    if config.timestamp_header is not None:
        timestamp = lowered.get(config.timestamp_header.lower(), "").strip()
        if not timestamp:
            raise WebhookRejectedError(f"missing {config.timestamp_header} header (needed against replays)")
    return timestamp, candidates


def _pairs(value: str) -> dict[str, list[str]]:
    """``t=1,v1=ab,v1=cd`` → ``{"t": ["1"], "v1": ["ab", "cd"]}`` (pieces without ``=`` are ignored)."""
    pairs: dict[str, list[str]] = {}
    for piece in value.split(","):
        key, sep, item = piece.strip().partition("=")
        if sep and item.strip():
            pairs.setdefault(key.strip(), []).append(item.strip())
    return pairs


def _one(pairs: Mapping[str, list[str]], key: str, config: SignatureConfig) -> str:
    values = pairs.get(key, [])
    if len(values) != 1:
        raise WebhookRejectedError(
            f'{config.header} needs exactly one "{key}=" timestamp (needed against replays)'
        )
    return values[0]


def _same(expected: str, candidate: str, config: SignatureConfig) -> bool:
    given = candidate.lower() if config.encoding == "hex" else candidate
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def _signed_url(url: str, config: SignatureConfig) -> str:
    if config.public_url is not None:
        query = urlsplit(url).query
        url = config.public_url + (f"?{query}" if query else "")
    return unquote(url) if config.url_decode else url


def _check_fresh(timestamp: str, config: SignatureConfig, now: datetime) -> None:
    where = config.timestamp_header or f'the "{config.timestamp_key}=" timestamp of {config.header}'
    try:
        sent = parse_timestamp(timestamp, UTC)
    except ValueError:
        sent = None
    if sent is None:
        raise WebhookRejectedError(f"{where} is not a timestamp")
    drift = now - sent
    if abs(drift) > config.tolerance:
        direction = "old" if drift.total_seconds() > 0 else "in the future"
        raise WebhookRejectedError(
            f"{where} is {abs(drift).total_seconds():.0f}s {direction}, beyond the "
            f"tolerance of {config.tolerance.total_seconds():.0f}s (a replay, or a clock out of sync)"
        )
