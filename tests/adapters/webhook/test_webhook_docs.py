"""The TOML in docs/generic-crm.md parses, and every write table in it is a valid write config."""

from __future__ import annotations

import re
import tomllib
from typing import Any

import pytest

from adapters.webhook.config_write import WriteEndpoint, WriteSection
from tests.cli.conftest import ROOT

DOC = (ROOT / "docs/generic-crm.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```toml\n(.*?)```", DOC, flags=re.DOTALL)


def _writes(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [a["write"] for a in data.get("adapters", {}).values() if isinstance(a, dict) and "write" in a]


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block-{i}" for i in range(len(BLOCKS))])
def test_every_toml_block_parses_and_its_write_tables_validate(block: str) -> None:
    data = tomllib.loads(block)
    for write in _writes(data):
        WriteSection.model_validate(write)
    if {"method", "path"} & set(data) and "current" in data and "adapters" not in data:
        WriteEndpoint.model_validate({"path": "/x/{id}", **data})


def test_the_write_recipes_are_there() -> None:
    assert len([w for b in BLOCKS for w in _writes(tomllib.loads(b))]) >= 6
