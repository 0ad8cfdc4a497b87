"""``adapters.registry.build_adapter`` builds the file adapter from its config section."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from file_builders import a_record, pull_all

from adapters.file.adapter import FileAdapter
from adapters.file.config import FileAdapterConfig
from adapters.registry import build_adapter
from connector.config import parse_config
from connector.domain import Action, ActionType, Module, RecordRef, action_key
from connector.errors import ConfigError
from connector.protocol import CrmAdapter


def test_file_kind_builds_a_file_adapter_with_the_zone_and_clock(export) -> None:
    path = export(records=[a_record("L-1", created_at="2026-11-03 09:00", modified_at=None)])
    now = datetime(2026, 11, 27, tzinfo=UTC)
    config = FileAdapterConfig(kind="file", path=path)
    adapter = build_adapter("demo", config, store=None, default_tz="Asia/Tokyo", clock=lambda: now)
    assert isinstance(adapter, FileAdapter) and isinstance(adapter, CrmAdapter)
    assert adapter.name == "demo"
    _, records, _ = pull_all(adapter)  # type: ignore[arg-type]
    assert records[0].created_at == datetime(2026, 11, 3, 0, 0, tzinfo=UTC)
    ref = RecordRef(adapter="demo", module=Module.LEADS, id="L-1")
    flag = Action(
        type=ActionType.FLAG, target=ref, tag="t", reason="r", rule="r",
        idempotency_key=action_key(ActionType.FLAG, ref, "t"),
    )  # fmt: skip
    (result,) = adapter.apply([flag])
    assert result.applied_at == now


def test_an_unknown_kind_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r'adapters\.x: unknown kind "salesforce"'):
        build_adapter("x", SimpleNamespace(kind="salesforce"), store=None, default_tz="UTC")  # type: ignore[arg-type]


def test_a_relative_path_is_taken_relative_to_the_config_file(tmp_path: Path) -> None:
    raw = {
        "adapters": {"demo": {"kind": "file", "path": "demo-crm"}, "abs": {"kind": "file", "path": "/data/x"}}
    }
    config = parse_config(raw, environ={}, source=tmp_path / "referee.toml")
    assert config.adapters["demo"].path == tmp_path / "demo-crm"  # type: ignore[union-attr]
    assert config.adapters["abs"].path == Path("/data/x")  # type: ignore[union-attr]


def test_the_shipped_demo_config_reads_the_demo_crm() -> None:
    from connector.config import load_config

    root = Path(__file__).resolve().parents[3]
    config = load_config(root / "examples" / "demo.toml")
    adapter = build_adapter("demo", config.adapter("demo"), store=None, default_tz=config.referee.timezone)
    assert len(adapter.pull_users()) == 7
