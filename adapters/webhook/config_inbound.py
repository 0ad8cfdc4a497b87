"""``[adapters.<name>.inbound]``: how a CRM signs its webhooks and where the changes are in them.

The signature is configuration, not code: an HMAC (SHA-256 or SHA-1, hex or base64) over a
template of parts (``{timestamp}.{body}``, ``{method}{url}{body}{timestamp}``), the signature and
timestamp in two headers or in one (``t=…,v1=…``), within a tolerance window. ``preset`` fills
in a CRM's documented scheme (Stripe's, HubSpot's v3); any key given explicitly wins.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from adapters.webhook.fieldpath import FieldPath
from connector.config_base import ConfigModel, check_http_url
from connector.domain import Module
from connector.durations import Duration

SIGNED_PARTS = frozenset({"timestamp", "body", "method", "url"})
_PART = re.compile(r"\{([a-z_]+)\}")

PRESETS: dict[str, dict[str, Any]] = {
    # https://docs.stripe.com/webhooks#verify-manually: "t=<unix s>,v1=<hex HMAC-SHA256 of '<t>.<body>'>"
    "stripe": {
        "header": "Stripe-Signature",
        "scheme": "hmac-sha256",
        "encoding": "hex",
        "timestamp_key": "t",
        "signature_key": "v1",
        "signed": "{timestamp}.{body}",
        "tolerance": "5m",
    },
    # https://developers.hubspot.com/docs/apps/legacy-apps/authentication/validating-requests:
    # base64 HMAC-SHA256 of method + URI + body + X-HubSpot-Request-Timestamp (ms), 5 minutes.
    "hubspot-v3": {
        "header": "X-HubSpot-Signature-v3",
        "scheme": "hmac-sha256",
        "encoding": "base64",
        "timestamp_header": "X-HubSpot-Request-Timestamp",
        "signed": "{method}{url}{body}{timestamp}",
        "tolerance": "5m",
        "url_decode": True,
    },
}


class SignatureConfig(ConfigModel):
    """Where the CRM puts its signature and what it signs.

    ``scheme``: ``hmac-sha256`` / ``hmac-sha1`` (a digest in ``encoding`` after ``prefix``),
    ``token`` (the shared secret itself in ``header``) or ``basic`` (HTTP Basic credentials
    ``user:password`` as the secret, as Pipedrive webhooks send them).

    The timestamp comes from ``timestamp_header``, or from the ``timestamp_key`` pair of a
    ``k=v,k=v`` signature header (then ``signature_key`` names the signature pairs; several are
    accepted, as during a secret rotation). ``signed`` defaults to ``{body}``, or
    ``{timestamp}.{body}`` when there is a timestamp. ``{url}`` is ``public_url`` plus the
    request's query string when set (the address the CRM calls, in front of any proxy),
    else the URL as received; ``url_decode`` percent-decodes it first (HubSpot v3).
    """

    preset: Literal["stripe", "hubspot-v3"] | None = None
    header: str = Field(min_length=1)
    scheme: Literal["hmac-sha256", "hmac-sha1", "token", "basic"] = "hmac-sha256"
    prefix: str = ""
    encoding: Literal["hex", "base64"] = "hex"
    timestamp_header: str | None = Field(default=None, min_length=1)
    timestamp_key: str | None = Field(default=None, min_length=1)
    signature_key: str | None = Field(default=None, min_length=1)
    signed: str | None = Field(default=None, min_length=1)
    tolerance: Duration = timedelta(minutes=5)
    public_url: str | None = None
    url_decode: bool = False

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("preset") is not None:
            preset = PRESETS.get(str(data["preset"]))
            if preset is not None:
                return {**preset, **data}
        return data

    @field_validator("tolerance")
    @classmethod
    def _sane_tolerance(cls, value: timedelta) -> timedelta:
        if not timedelta(seconds=1) <= value <= timedelta(days=1):
            raise ValueError("tolerance must be between 1s and 1d (5m is what Stripe and HubSpot use)")
        return value

    @field_validator("public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        return check_http_url(value, "public_url (the address the CRM calls)", "https://referee.example.com/webhooks/hubspot")

    @model_validator(mode="after")
    def _consistent(self) -> SignatureConfig:
        if self.timestamp_header is not None and self.timestamp_key is not None:
            raise ValueError(
                "set timestamp_header (a header of its own) or timestamp_key (a t=… pair), not both"
            )
        if self.timestamp_key is not None and self.signature_key is None:
            raise ValueError(
                'timestamp_key needs signature_key (the pair that holds the signature, e.g. "v1")'
            )
        timed = self.has_timestamp
        if self.scheme in ("token", "basic"):
            if timed or self.signed is not None or self.signature_key is not None:
                raise ValueError(
                    f'scheme "{self.scheme}" compares a shared secret; timestamps and signed templates need an '
                    'hmac scheme (e.g. scheme = "hmac-sha256")'
                )
            return self
        parts = set(_PART.findall(self.template))
        unknown = parts - SIGNED_PARTS
        if unknown:
            names = ", ".join("{" + p + "}" for p in sorted(unknown))
            raise ValueError(
                f"signed: unknown part {names} (use {{timestamp}}, {{body}}, {{method}}, {{url}})"
            )
        if "body" not in parts:
            raise ValueError(
                "signed must contain {body} (a signature that does not cover the body proves nothing)"
            )
        if timed and "timestamp" not in parts:
            raise ValueError(
                "signed must contain {timestamp} when a timestamp is configured (else replays cannot be refused)"
            )
        if "timestamp" in parts and not timed:
            raise ValueError("signed uses {timestamp}: set timestamp_header or timestamp_key")
        return self

    @property
    def has_timestamp(self) -> bool:
        return self.timestamp_header is not None or self.timestamp_key is not None

    @property
    def template(self) -> str:
        """The signed string's template (the configured one, or the default for this setup)."""
        if self.signed is not None:
            return self.signed
        return "{timestamp}.{body}" if self.has_timestamp else "{body}"


class InboundConfig(ConfigModel):
    """What a webhook carries: the record, only its id, or a list of changes (several modules).

    Without ``changes`` the whole payload is one change. Per change, ``record`` is the changed
    record (mapped with the records endpoint of its module), ``record_id`` its id (fetched
    through ``read.record`` when the record itself is absent), ``module_path`` the CRM's name for
    its module and ``deleted`` a path that is true for a deletion. ``modules`` translates the CRM's
    names (``contact`` or ``contact.creation`` → ``Contacts``), and changes for names it does not
    list are ignored; without it names are read loosely (``lead``, ``Contacts``). A change
    without a module name is of ``module``.
    """

    secret: SecretStr
    signature: SignatureConfig
    event_id: FieldPath | None = None
    changes: FieldPath | None = None
    record: FieldPath | None = None
    record_id: FieldPath | None = None
    module: Module = Module.LEADS
    module_path: FieldPath | None = None
    modules: dict[str, Module] = Field(default_factory=dict)
    deleted: FieldPath | None = None

    @field_validator("secret")
    @classmethod
    def _not_empty(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError('the inbound secret is empty (write it as "${VAR}" and export that variable)')
        return value

    @model_validator(mode="after")
    def _a_source(self) -> InboundConfig:
        if self.record is None and self.record_id is None:
            raise ValueError(
                "set record (the changed record's path in the payload) and/or record_id (its id, fetched "
                "through read.record)"
            )
        return self
