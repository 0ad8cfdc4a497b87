"""Links to records in the CRM's own web UI, for reports and digests (``record_url`` per adapter).

A template names ``{module}`` and ``{id}`` (and may name ``{adapter}``), e.g.
``"https://crm.example.com/{module}/{id}"``; values are URL-quoted. Zoho knows its template from
the data center (``adapters.zoho.config.ZohoAdapterConfig.record_url_template``); file and webhook
adapters link only when ``record_url`` is set.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from connector.domain import RecordRef

PLACEHOLDERS = frozenset({"adapter", "module", "id"})


def check_record_url(value: str | None) -> str | None:
    """Validator for ``record_url`` keys: an http(s) URL naming ``{id}`` and only known fields."""
    if value is None:
        return None
    if not value.startswith(("https://", "http://")):
        raise ValueError('record_url must start with https:// (write e.g. "https://crm.example.com/{module}/{id}")')
    try:
        value.format(adapter="a", module="m", id="i")
    except (KeyError, IndexError, ValueError) as error:
        raise ValueError(
            f"record_url uses an unknown placeholder {error} (use {{module}}, {{id}} and {{adapter}})"
        ) from None
    if "{id}" not in value:
        raise ValueError('record_url does not name {id} (write e.g. "https://crm.example.com/{module}/{id}")')
    return value


class RecordLinks:
    """``links(ref)`` → the record's URL, or ``None`` when its adapter has no template."""

    def __init__(self, templates: Mapping[str, str | None]) -> None:
        self._templates = dict(templates)

    @classmethod
    def from_adapters(cls, adapters: Mapping[str, object]) -> RecordLinks:
        """From adapter config sections: ``record_url_template()`` when they have one, else ``record_url``."""
        templates: dict[str, str | None] = {}
        for name, section in adapters.items():
            method = getattr(section, "record_url_template", None)
            templates[name] = method() if callable(method) else getattr(section, "record_url", None)
        return cls(templates)

    def __call__(self, ref: RecordRef) -> str | None:
        template = self._templates.get(ref.adapter)
        if not template:
            return None
        return template.format(
            adapter=quote(ref.adapter, safe=""), module=quote(str(ref.module), safe=""), id=quote(ref.id, safe="")
        )
