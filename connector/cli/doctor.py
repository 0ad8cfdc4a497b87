"""``referee doctor``: one pass/fail line per set-up check, exit 0 only when all pass."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from connector.cli.common import ConfigOption, build_adapters, handle_errors, open_config, open_store, stdout


@handle_errors
def doctor_command(
    config_path: ConfigOption,
    as_json: Annotated[bool, typer.Option("--json", help="Print the checks as JSON.")] = False,
) -> None:
    """Check credentials, reads, write endpoints or scopes, the state store and calendars; never writes.

    Exits with the first failure's status (2 config, 3 CRM, 1 state store), 0 when all pass.

    Example: referee doctor -c config.toml
    """
    from datetime import UTC, datetime

    from connector.doctor import run_doctor

    config = open_config(config_path)
    checks = run_doctor(
        config,
        lambda: open_store(config),
        lambda store: build_adapters(config, store),  # type: ignore[arg-type]
        datetime.now(UTC),
    )
    failures = [c for c in checks if c.failed]
    if as_json:
        print(json.dumps({"ok": not failures, "checks": [c.to_json() for c in checks]}, ensure_ascii=False, indent=2))
    else:
        marks = {"pass": "ok  ", "fail": "FAIL", "note": "note"}
        for check in checks:
            line = f"{marks[check.outcome]} {check.subject}: {check.message}"
            if check.fix:
                line += f" — fix: {check.fix}"
            stdout.print(line, markup=False, highlight=False)
        stdout.print(
            f"{len(failures)} problem(s) found." if failures else "All checks passed.", markup=False, highlight=False
        )
    if failures:
        raise typer.Exit(failures[0].exit_code or 1)
