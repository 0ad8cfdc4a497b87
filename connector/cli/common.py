"""What every command shares: loading config, opening the store, building adapters, errors → exit codes."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

import click
import typer
from rich.console import Console
from rich.markup import escape

from connector.errors import ConnectorError, UsageError

if TYPE_CHECKING:  # the heavy modules load when a command runs, so --help and --version stay quick
    from connector.config import Config
    from connector.protocol import CrmAdapter
    from connector.store import Store

F = TypeVar("F", bound=Callable[..., Any])

CONFIG_ENV = "REFEREE_CONFIG"
DEFAULT_CONFIG = "referee.toml"


def default_config() -> Path:
    """``-c`` when not given: ``$REFEREE_CONFIG``, else ``referee.toml`` in the working directory."""
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


ConfigOption = Annotated[
    Path,
    typer.Option(
        "--config",
        "-c",
        default_factory=default_config,
        help="Path to the TOML config file.",
        show_default=f"${CONFIG_ENV}, else ./{DEFAULT_CONFIG}",
    ),
]
NowOption = Annotated[
    str | None,
    typer.Option(
        "--now",
        help="Evaluate as of this ISO 8601 time (for reproducible runs); naive times use [referee] timezone.",
        show_default="the current time",
    ),
]

stdout = Console(soft_wrap=True)
stderr = Console(stderr=True, soft_wrap=True)


DEBUG_ENV = "REFEREE_DEBUG"
INTERNAL_EXIT = 70
"""An unexpected failure (a bug): ``Error:`` names it and how to get the traceback (EX_SOFTWARE)."""


def handle_errors(func: F) -> F:
    """Turn every failure into one ``Error: …`` line on stderr and a documented exit status.

    crm-referee errors carry their own status; a file the OS refuses (permissions, a full disk)
    exits 1; anything else is a bug and exits 70, with the traceback only under ``REFEREE_DEBUG=1``.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConnectorError as exc:
            _error(str(exc))
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, click.exceptions.Exit, click.exceptions.Abort, click.ClickException,
                KeyboardInterrupt):
            raise
        except OSError as exc:
            where = f" ({exc.filename})" if getattr(exc, "filename", None) else ""
            _error(f"{exc.strerror or exc}{where}: check the path, its permissions and the free disk space")
            raise typer.Exit(1) from None
        except Exception as exc:
            if os.environ.get(DEBUG_ENV):
                raise
            _error(f"unexpected {type(exc).__name__}: {exc} (a bug: please report it with the output of "
                   f"the same command run with {DEBUG_ENV}=1)")
            raise typer.Exit(INTERNAL_EXIT) from None

    return wrapper  # type: ignore[return-value]


def _error(message: str) -> None:
    stderr.print(f"[bold red]Error:[/bold red] {escape(message)}", highlight=False, markup=True)


def parse_now(text: str | None, config: Config) -> datetime:
    """``--now`` as an aware datetime; the wall clock when not given."""
    if text is None:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f'--now "{text}" is not an ISO 8601 time (write e.g. 2026-11-27T10:00:00+08:00)') from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(config.referee.timezone))
    return value


def open_config(path: Path) -> Config:
    from connector.config import load_config
    from connector.errors import ConfigError

    if not path.exists() and path == default_config():
        where = f"${CONFIG_ENV} names {path}" if os.environ.get(CONFIG_ENV) else f"no ./{DEFAULT_CONFIG} here"
        raise ConfigError(
            f"no config file: {where}, and none was given (pass -c FILE, set {CONFIG_ENV}=FILE, "
            f"or copy config.example.toml to ./{DEFAULT_CONFIG})"
        )
    return load_config(path)


def open_store(config: Config) -> Store:
    from connector.store import Store

    return Store.open(config.state_url())


def build_adapters(
    config: Config, store: Store, only: list[str] | None = None, *, now: datetime | None = None
) -> dict[str, CrmAdapter]:
    """Instantiate the configured adapters (all, or the ones named in ``only``).

    With ``now`` (from ``--now``), adapters stamp their writes with that time, so a reproducible
    run stays reproducible after write-back.
    """
    from adapters.registry import build_adapter

    names = only or list(config.adapters)
    extra = {"clock": lambda: now} if now is not None else {}
    return {
        name: build_adapter(name, config.adapter(name), store=store, default_tz=config.referee.timezone, **extra)
        for name in names
    }


def is_terminal() -> bool:
    return sys.stderr.isatty()
