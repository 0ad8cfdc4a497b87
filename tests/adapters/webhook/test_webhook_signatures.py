"""Signature schemes as configuration: templates of parts, t=…,v1=… headers, presets, bounds.

Expected signatures are computed here independently, following each vendor's documentation:
Stripe (https://docs.stripe.com/webhooks#verify-manually: hex HMAC-SHA256 of ``"<t>.<payload>"``,
header ``t=…,v1=…``, several ``v1`` during secret rolling) and HubSpot v3
(https://developers.hubspot.com/docs/apps/legacy-apps/authentication/validating-requests: base64
HMAC-SHA256 of method + URI + body + timestamp in ms, 5 minutes).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from webhook_builders import NOW

from adapters.webhook.config import SignatureConfig
from adapters.webhook.signature import sign, verify_signature
from connector.errors import WebhookRejectedError

SECRET = "whsec_test_secret"
BODY = b'{"id":"evt_1","type":"Lead.update","data":{"object":{"id":"L1"}}}'
T = int(NOW.timestamp())
STRIPE = SignatureConfig(preset="stripe", header="X-Crm-Signature")
HUBSPOT = SignatureConfig(preset="hubspot-v3", public_url="https://referee.example.com/webhooks/hubspot")


def stripe_header(secret: str = SECRET, t: int | str = T, body: bytes = BODY) -> str:
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def verify(headers: dict[str, str], config: SignatureConfig = STRIPE, body: bytes = BODY, **request: str) -> None:
    verify_signature(headers, body, secret=SECRET, config=config, now=NOW, **request)


def test_stripe_style_header_verifies_and_sign_produces_it() -> None:
    verify({"X-Crm-Signature": stripe_header()})
    assert sign(BODY, SECRET, STRIPE, str(T)) == stripe_header()


def test_stripe_style_accepts_any_of_several_signatures_and_ignores_other_schemes() -> None:
    header = f"t={T},v0=deadbeef,v1={'0' * 64},v1={stripe_header().split('v1=')[1]}"
    verify({"x-crm-signature": header})


@pytest.mark.parametrize(
    ("header", "message"),
    [
        pytest.param(stripe_header(secret="other"), "does not match", id="wrong-secret"),
        pytest.param(stripe_header().replace("v1=", "v2="), 'has no "v1=" signature', id="no-v1"),
        pytest.param(stripe_header().split(",")[1], r'needs exactly one "t=" timestamp', id="no-t"),
        pytest.param(f"t={T},{stripe_header()}", r'needs exactly one "t=" timestamp', id="two-t"),
        pytest.param(stripe_header(t=T - 301), "301s old, beyond the tolerance of 300s", id="replay"),
        pytest.param(stripe_header(t=T + 400), "400s in the future", id="future"),
        pytest.param(stripe_header(t=99999999999999999999), "is not a timestamp", id="huge-timestamp"),
        pytest.param(stripe_header(t="9" * 400), "is not a timestamp", id="400-digit-timestamp"),
        pytest.param(stripe_header(t="1e308"), "is not a timestamp", id="float-overflow"),
        pytest.param(stripe_header(t="soon"), "is not a timestamp", id="not-a-number"),
        pytest.param("garbage", r'needs exactly one "t=" timestamp', id="garbage"),
        pytest.param("x" * 9000, "too long", id="oversized"),
    ],
)
def test_stripe_style_rejections_are_401_with_a_reason(header: str, message: str) -> None:
    with pytest.raises(WebhookRejectedError, match=message) as info:
        verify({"X-Crm-Signature": header})
    assert info.value.status == 401


def test_a_body_changed_after_signing_does_not_match() -> None:
    with pytest.raises(WebhookRejectedError, match="does not match"):
        verify({"X-Crm-Signature": stripe_header()}, body=BODY.replace(b"L1", b"L2"))


@given(st.text(max_size=300))
def test_any_header_value_is_refused_cleanly(header: str) -> None:
    try:
        verify({"X-Crm-Signature": header})
    except WebhookRejectedError as exc:
        assert exc.status == 401


def hubspot_headers(url: str, ts_ms: int, method: str = "POST", secret: str = SECRET) -> dict[str, str]:
    source = method.encode() + url.encode() + BODY + str(ts_ms).encode()
    signature = base64.b64encode(hmac.new(secret.encode(), source, hashlib.sha256).digest()).decode()
    return {"X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": str(ts_ms)}


def test_hubspot_v3_signs_method_public_url_body_and_millisecond_timestamp() -> None:
    ms = T * 1000
    url = "https://referee.example.com/webhooks/hubspot?portal=62515"
    # the server behind the proxy sees http://127.0.0.1:8080/...; the query string is kept
    verify(hubspot_headers(url, ms), HUBSPOT, method="POST", url="http://127.0.0.1:8080/webhooks/hubspot?portal=62515")
    with pytest.raises(WebhookRejectedError, match="does not match"):
        verify(hubspot_headers(url, ms, method="GET"), HUBSPOT, method="POST", url=url)
    with pytest.raises(WebhookRejectedError, match="beyond the tolerance"):
        verify(hubspot_headers(url, ms - 301_000), HUBSPOT, url=url)


def test_hubspot_v3_decodes_the_url_before_signing() -> None:
    signed_url = "https://referee.example.com/webhooks/hubspot?name=a:b"
    config = SignatureConfig(preset="hubspot-v3")
    verify(hubspot_headers(signed_url, T * 1000), config, url="https://referee.example.com/webhooks/hubspot?name=a%3Ab")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        pytest.param({"header": "X-S", "scheme": "hmac-sha1", "encoding": "base64", "prefix": "sha1="}, b"", id="sha1-base64"),
        pytest.param({"header": "X-S", "signed": "{method}{url}{body}{timestamp}", "timestamp_header": "X-T"}, b"", id="template-two-headers"),
        pytest.param({"header": "X-S", "signed": "{timestamp}:{body}", "timestamp_header": "X-T"}, b"", id="colon-like-twenty"),
        pytest.param({"header": "X-S", "signature_key": "sha256"}, b"", id="pair-without-timestamp"),
    ],
)
def test_configured_schemes_round_trip(config: dict[str, Any], message: bytes) -> None:
    cfg = SignatureConfig.model_validate(config)
    ts = str(T) if cfg.has_timestamp else None
    headers = {cfg.header: sign(BODY, SECRET, cfg, ts, method="POST", url="https://r.example/hook")}
    if cfg.timestamp_header:
        headers[cfg.timestamp_header] = str(T)
    verify(headers, cfg, method="POST", url="https://r.example/hook")
    with pytest.raises(WebhookRejectedError):
        verify(headers, cfg, body=BODY + b" ", method="POST", url="https://r.example/hook")


def test_basic_scheme_compares_http_basic_credentials() -> None:
    cfg = SignatureConfig(header="Authorization", scheme="basic")
    good = "Basic " + base64.b64encode(SECRET.encode()).decode()
    verify({"Authorization": good}, cfg)
    with pytest.raises(WebhookRejectedError, match="Authorization does not match"):
        verify({"Authorization": "Basic " + base64.b64encode(b"x:y").decode()}, cfg)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        pytest.param({"header": "X", "signed": "{timestamp}"}, "must contain {body}", id="body-required"),
        pytest.param({"header": "X", "timestamp_header": "T", "signed": "{body}"}, "must contain {timestamp}", id="unsigned-timestamp"),
        pytest.param({"header": "X", "signed": "{timestamp}.{body}"}, "set timestamp_header or timestamp_key", id="timestamp-source"),
        pytest.param({"header": "X", "signed": "{secret}{body}"}, r"unknown part \{secret\}", id="unknown-part"),
        pytest.param({"header": "X", "timestamp_key": "t"}, "timestamp_key needs signature_key", id="key-pair"),
        pytest.param({"header": "X", "timestamp_key": "t", "signature_key": "v1", "timestamp_header": "T"}, "not both", id="two-sources"),
        pytest.param({"header": "X", "scheme": "token", "timestamp_header": "T"}, "need an hmac scheme", id="token-with-timestamp"),
        pytest.param({"preset": "stripe", "tolerance": "2d"}, "between 1s and 1d", id="tolerance"),
        pytest.param({"preset": "hubspot-v3", "public_url": "referee.example.com"}, "must be an http:// or https:// URL", id="public-url"),
        pytest.param({"preset": "svix"}, "Input should be", id="unknown-preset"),
    ],
)
def test_signature_config_errors_say_how_to_fix(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        SignatureConfig.model_validate(config)


def test_presets_fill_in_only_what_is_not_given() -> None:
    assert (STRIPE.header, STRIPE.timestamp_key, STRIPE.signature_key, STRIPE.template) == (
        "X-Crm-Signature", "t", "v1", "{timestamp}.{body}",
    )
    assert SignatureConfig(preset="stripe").header == "Stripe-Signature"
    assert (HUBSPOT.encoding, HUBSPOT.timestamp_header, HUBSPOT.url_decode) == ("base64", "X-HubSpot-Request-Timestamp", True)
