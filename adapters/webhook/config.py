"""``[adapters.<name>]`` with ``kind = "webhook"``."""

from __future__ import annotations

from typing import Literal

from connector.config_base import ConfigModel


class WebhookAdapterConfig(ConfigModel):
    kind: Literal["webhook"]
    base_url: str
