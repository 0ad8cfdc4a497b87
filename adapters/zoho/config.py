"""``[adapters.<name>]`` with ``kind = "zoho"``."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr

from connector.config_base import ConfigModel


class ZohoAdapterConfig(ConfigModel):
    kind: Literal["zoho"]
    data_center: Literal["us", "eu", "in", "au", "jp", "ca", "sa", "cn"] = "us"
    client_id: SecretStr
    client_secret: SecretStr
    refresh_token: SecretStr
