"""Build the adapter a ``[adapters.<name>]`` section asks for, importing only that CRM's code."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from connector.errors import ConfigError
from connector.protocol import CrmAdapter

if TYPE_CHECKING:
    from connector.config import AdapterConfig
    from connector.store import Store


def _utcnow() -> datetime:
    return datetime.now(UTC)


def build_adapter(
    name: str,
    config: AdapterConfig,
    *,
    store: Store | None,
    default_tz: str,
    clock: Callable[[], datetime] = _utcnow,
) -> CrmAdapter:
    """The adapter for ``config.kind``; ``default_tz`` is ``[referee] timezone`` (for naive timestamps)."""
    if config.kind == "file":
        from adapters.file.adapter import FileAdapter

        return FileAdapter(name, config, default_tz=default_tz, clock=clock)
    if config.kind == "zoho":
        from adapters.zoho.adapter import ZohoAdapter

        return ZohoAdapter(name, config, store=store, default_tz=default_tz, clock=clock)
    if config.kind == "webhook":
        from adapters.webhook.adapter import WebhookAdapter

        return WebhookAdapter(name, config, store=store, default_tz=default_tz, clock=clock)
    raise ConfigError(f'adapters.{name}: unknown kind "{config.kind}" (use "file", "zoho" or "webhook")')
