"""``[adapters.<name>]`` with ``kind = "file"``."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from connector.config_base import ConfigModel


class FileAdapterConfig(ConfigModel):
    kind: Literal["file"]
    path: Path
