"""``[server]``: the webhook server's settings."""

from __future__ import annotations

from connector.config_base import ConfigModel


class ServerConfig(ConfigModel):
    api_keys: tuple[str, ...] = ()
