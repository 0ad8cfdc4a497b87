"""``referee journal``: what each action went through, and settling the ones a dead run left behind."""

from __future__ import annotations

import json
import os
import socket
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from connector.cli.common import (
    ConfigOption,
    NowOption,
    build_adapters,
    handle_errors,
    open_config,
    open_store,
    parse_now,
    stdout,
)
from connector.domain import ActionStatus
from connector.errors import UsageError

if TYPE_CHECKING:
    from connector.config import Config
    from connector.store import Store
    from connector.store.journal import JournalEntry


@handle_errors
def journal_command(
    config_path: ConfigOption,
    run: Annotated[str | None, typer.Option("--run", help="Only this run id.")] = None,
    status: Annotated[ActionStatus | None, typer.Option("--status", help="Only this status.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    resolve: Annotated[
        bool,
        typer.Option(
            "--resolve",
            help="Read the CRM for actions a stopped run left 'applying' or 'unknown' and journal each "
            "as applied or planned again (all such runs, or the one given with --run).",
        ),
    ] = False,
    release: Annotated[
        str | None,
        typer.Option(
            "--release",
            help="Hand one action stuck in 'applying' or 'unknown' back for a retry (full key or a unique "
            "prefix). Check in the CRM first whether it was written; --resolve does that for you.",
        ),
    ] = None,
    now: NowOption = None,
    break_lock: Annotated[
        bool, typer.Option("--break-lock", help="With --resolve: remove the run lock a killed sync left first.")
    ] = False,
) -> None:
    """Show the action journal: what was planned, applied, skipped or failed, when, by which run, and why.

    Example: referee journal -c config.toml --status failed; referee journal -c config.toml --resolve --run RUN
    """
    config = open_config(config_path)
    store = open_store(config)
    try:
        if run is not None and not _run_exists(store, run):
            raise UsageError(f'no run "{run}" in the state store (see `referee runs` for run ids)')
        if release is not None:
            key = _full_key(store, release)
            if not store.release_claim(key, now=datetime.now(UTC)):
                raise UsageError(
                    f'no action "{key}" is in status applying or unknown (see `referee journal --status applying`)'
                )
            stdout.print(f"released {key}: the next run retries it", highlight=False)
            return
        if resolve:
            _resolve(config, store, run, parse_now(now, config), as_json, break_lock)
            return
        entries = store.list_journal(run_id=run, status=status, limit=limit)
    finally:
        store.close()
    if as_json:
        print(json.dumps([entry_to_json(e) for e in entries], ensure_ascii=False, indent=2))
        return
    table = Table(title="Action journal (latest first)")
    for column in ("updated", "run", "key", "status", "type", "record", "rule", "message"):
        table.add_column(column)
    for entry in entries:
        action = entry.action
        state = entry.status.value + (f" ({entry.code.value})" if entry.code else "")
        table.add_row(
            entry.updated_at.isoformat(timespec="seconds"), entry.run_id, action.idempotency_key, state,
            action.type.value, escape(str(action.target)), escape(action.rule), escape(entry.message or ""),
        )
    stdout.print(table)


def entry_to_json(entry: JournalEntry) -> dict[str, Any]:
    action = entry.action
    return {
        "key": entry.idempotency_key,
        "run_id": entry.run_id,
        "status": entry.status.value,
        "code": entry.code.value if entry.code else None,
        "type": action.type.value,
        "adapter": action.target.adapter,
        "module": action.target.module.value,
        "id": action.target.id,
        "rule": action.rule,
        "message": entry.message,
        "attempts": entry.attempts,
        "planned_at": entry.planned_at.isoformat(),
        "updated_at": entry.updated_at.isoformat(),
        "applied_at": entry.applied_at.isoformat() if entry.applied_at else None,
        "action": action.model_dump(mode="json"),
    }


def _run_exists(store: Store, run_id: str) -> bool:
    return any(r.run_id == run_id for r in store.list_runs(limit=100_000))


def _full_key(store: Store, given: str) -> str:
    matches = store.keys_with_prefix(given)
    if given in matches:
        return given
    if not matches:
        raise UsageError(f'no action key starts with "{given}" (see `referee journal --status applying`)')
    if len(matches) > 1:
        raise UsageError(f'"{given}" matches {len(matches)} actions ({", ".join(matches[:3])}, ...); give more of the key')
    return matches[0]


def _resolve(
    config: Config, store: Store, run: str | None, now: datetime, as_json: bool, break_lock: bool
) -> None:
    """Settle under the run lock, so no sync claims the same rows meanwhile."""
    from connector.recovery import settle_all, stranded

    holder = f"journal --resolve pid {os.getpid()} on {socket.gethostname()}"
    with store.run_lock(holder, now, break_lock=break_lock):
        left = [s for s in stranded(store, now=now, holding_lock=True) if run is None or s.run_id == run]
        adapters = build_adapters(config, store, sorted({e.action.target.adapter for s in left for e in s.entries}))
        settled = settle_all(store, adapters, left, now=now)
    if as_json:
        print(json.dumps([s.to_json() for s in settled], ensure_ascii=False, indent=2))
        return
    if not settled:
        what = f"run {run}" if run else "any stopped run"
        stdout.print(f"Nothing to resolve: {what} left no action applying or unknown.", highlight=False)
    for done in settled:
        stdout.print("Resolved " + escape(done.sentence()), highlight=False)
        for error in done.errors:
            stdout.print("  could not ask the CRM: " + escape(error), highlight=False)
