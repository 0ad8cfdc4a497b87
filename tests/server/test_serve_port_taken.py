"""``referee serve`` on a port another process holds: one Error line with the fix, exit 2."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.cli.conftest import demo_config, run_referee

__all__ = ["demo_config"]  # the fixture, shared with the CLI tests


def test_a_taken_port_is_a_usage_error(demo_config: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run_referee("serve", "-c", str(demo_config), "--port", str(port))
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert errors == [errors[0]] and f"127.0.0.1:{port}" in errors[0] and "--port" in errors[0]
    assert "Traceback" not in result.stderr and '"level"' not in result.stderr  # no uvicorn JSON logs
