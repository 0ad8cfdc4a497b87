"""``referee serve``, ``referee worker`` and ``referee inbox``: the webhook server and its inbox."""

from __future__ import annotations

import json
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from connector.cli.common import (
    ConfigOption,
    build_adapters,
    handle_errors,
    open_config,
    open_store,
    stderr,
    stdout,
)
from connector.errors import UsageError
from connector.events import EventStatus

if TYPE_CHECKING:
    from connector.inbox import InboxEntry


@handle_errors
def serve_command(
    config_path: ConfigOption,
    host: Annotated[
        str | None, typer.Option("--host", help="Address to listen on.", show_default="[server] host")
    ] = None,
    port: Annotated[
        int | None, typer.Option("--port", help="TCP port.", show_default="[server] port")
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Server processes (PostgreSQL store only when > 1).")
    ] = 1,
) -> None:
    """Run the webhook server: CRM change notifications, /v1/check, health and metrics.

    Example: referee serve -c config.toml --host 0.0.0.0 --port 8080
    """
    import os

    import uvicorn

    from connector.server.app import CONFIG_ENV
    from connector.server.limits import bounded_protocol
    from connector.server.logs import setup_logging

    config = open_config(config_path)
    store = open_store(config)  # fail early (and migrate once) before any process starts
    dialect = store.dialect
    store.close()
    if workers > 1 and dialect == "sqlite":
        raise UsageError(
            "--workers > 1 needs a PostgreSQL state store; SQLite allows one server process "
            '(set [referee] state = "postgresql+psycopg://user@host/db" or drop --workers)'
        )
    if not config.server.api_keys:
        stderr.print(
            "Warning: [server] api_keys is empty, so POST /v1/check answers 401 to everyone; add "
            'api_keys = ["${REFEREE_API_KEY}"] to [server] to open it (webhooks are not affected)',
            highlight=False,
            markup=False,
            style="bold yellow",
        )
    listen_host, listen_port = host or config.server.host, port or config.server.port
    _require_free(listen_host, listen_port)
    setup_logging()
    os.environ[CONFIG_ENV] = str(Path(config_path).resolve())
    uvicorn.run(
        "connector.server.app:app_from_env",
        factory=True,
        host=listen_host,
        port=listen_port,
        workers=workers,
        http=bounded_protocol(config.server.max_header_bytes, config.server.max_headers),
        limit_concurrency=config.server.max_connections,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=30,
        server_header=False,
    )


def _require_free(host: str, port: int) -> None:
    """A taken port is a usage error with the fix, not a JSON log line from uvicorn and exit 3."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UsageError(f"--host {host}: not an address this machine can listen on ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {host}:{port} ({exc.strerror}): another process uses the port; stop it, "
                "or pick another with --port or [server] port"
            ) from None


@handle_errors
def worker_command(
    config_path: ConfigOption,
    once: Annotated[bool, typer.Option("--once", help="Process every due event, then exit.")] = False,
) -> None:
    """Process inbox events without serving HTTP (run several against one PostgreSQL store).

    Example: referee worker -c config.toml
    """
    from connector.server.logs import get_logger, setup_logging
    from connector.worker import Worker

    setup_logging()
    log = get_logger("worker")
    config = open_config(config_path)
    store = open_store(config)
    try:
        worker = Worker(config, store, build_adapters(config, store))
        if once:
            count = worker.drain()
            log.info("inbox drained", extra={"events": count})
            return
        stop = threading.Event()

        def _stop(signum: int, _frame: FrameType | None) -> None:
            log.info("stopping after the event in flight", extra={"signal": signal.Signals(signum).name})
            stop.set()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        log.info("worker started", extra={"holder": worker.holder})
        worker.run(stop)
        log.info("worker stopped")
    finally:
        store.close()


inbox_app = typer.Typer(
    help="Webhook events in the inbox: their status, attempts and last error; re-queue parked ones.",
    invoke_without_command=True,
    no_args_is_help=False,
)


@inbox_app.callback()
@handle_errors
def inbox_list(
    ctx: typer.Context,
    config_path: Annotated[
        Path | None, typer.Option("--config", "-c", help="Path to the TOML config file.", show_default=False)
    ] = None,
    status: Annotated[
        EventStatus | None, typer.Option("--status", help="Only events in this status.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many events to show.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List inbox events, newest first.

    Example: referee inbox -c config.toml --status parked
    """
    ctx.obj = config_path
    if ctx.invoked_subcommand is not None:
        return
    if config_path is None:
        raise UsageError("referee inbox needs -c FILE (the config whose state store to read)")
    from connector.inbox import Inbox

    store = open_store(open_config(config_path))
    try:
        entries = Inbox(store).list(status=status, limit=limit)
        counts = Inbox(store).counts()
    finally:
        store.close()
    if as_json:
        print(json.dumps([_entry_json(e) for e in entries], ensure_ascii=False, indent=2))
        return
    title = "Webhook inbox " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    table = Table(title=escape(title))
    for column in ("id", "adapter", "event", "status", "attempts", "received", "next try", "error"):
        table.add_column(column)
    for entry in entries:
        waiting = entry.status == EventStatus.PENDING and entry.attempts
        table.add_row(  # event ids and errors are CRM text: never Rich markup
            str(entry.seq),
            escape(entry.adapter),
            escape(entry.event_id),
            entry.status.value,
            str(entry.attempts),
            entry.received_at.isoformat(timespec="seconds"),
            entry.available_at.isoformat(timespec="seconds") if waiting else "",
            escape(entry.error or ""),
        )
    stdout.print(table)


@inbox_app.command("retry")
@handle_errors
def inbox_retry(
    ctx: typer.Context,
    event: Annotated[int, typer.Argument(help="The event's id (first column of `referee inbox`).")],
    config_path: Annotated[
        Path | None, typer.Option("--config", "-c", help="Path to the TOML config file.", show_default=False)
    ] = None,
) -> None:
    """Re-queue a parked event now, with a fresh attempt count.

    Example: referee inbox -c config.toml retry 42
    """
    path = config_path or ctx.obj
    if path is None:
        raise UsageError("referee inbox retry needs -c FILE (the config whose state store to use)")
    from connector.inbox import Inbox

    store = open_store(open_config(path))
    try:
        entry = Inbox(store).retry(event, now=datetime.now(UTC))
    finally:
        store.close()
    stdout.print(f"event {entry.seq} ({entry.adapter} {entry.event_id}) is queued again", highlight=False, markup=False)


def _entry_json(entry: InboxEntry) -> dict[str, object]:
    return {
        "id": entry.seq,
        "adapter": entry.adapter,
        "event_id": entry.event_id,
        "status": entry.status.value,
        "attempts": entry.attempts,
        "received_at": entry.received_at.isoformat(),
        "available_at": entry.available_at.isoformat(),
        "finished_at": entry.finished_at.isoformat() if entry.finished_at else None,
        "error": entry.error,
    }
