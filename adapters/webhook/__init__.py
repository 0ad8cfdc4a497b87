"""The generic REST/webhook adapter: any CRM described by a mapping in TOML."""

from __future__ import annotations

from adapters.webhook.adapter import WebhookAdapter
from adapters.webhook.config import WebhookAdapterConfig
from adapters.webhook.describe import describe

__all__ = ["WebhookAdapter", "WebhookAdapterConfig", "describe"]
