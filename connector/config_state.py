"""``referee validate`` opens the state store the config names, without creating or writing it.

A wrong state URL used to surface only at the first sync (exit 1, sometimes a traceback); a
validator that says "OK" must have checked it. SQLite: the file, or the folder it would be
created in, must be there and writable. PostgreSQL: one connection is made and closed.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, exc, text
from sqlalchemy.engine import make_url

from connector.errors import ConfigError

_EXAMPLES = '"sqlite:///referee.db" or "postgresql+psycopg://user@host/db"'


def check_state_url(url: str, label: str) -> None:
    """Raise ``ConfigError`` (one line, password hidden) when the store cannot be opened."""
    where = f"{label}: referee.state"
    try:
        parsed = make_url(url)
    except (exc.ArgumentError, ValueError):
        raise ConfigError(f"{where}: not a database URL (write it like {_EXAMPLES})") from None
    backend = parsed.get_backend_name()
    shown = parsed.render_as_string(hide_password=True)
    if backend == "sqlite":
        _check_sqlite(parsed.database or "", where)
    elif backend == "postgresql":
        _check_postgres(url, shown, where)
    else:
        raise ConfigError(f'{where}: "{shown}" is not supported (write it like {_EXAMPLES})')


def _check_sqlite(database: str, where: str) -> None:
    if database in ("", ":memory:"):
        return
    path = Path(database)
    if path.exists():
        if not path.is_file():
            raise ConfigError(f"{where}: {path} is not a file (point it at a .db file, e.g. {path}/referee.db)")
        if not os.access(path, os.R_OK | os.W_OK):
            raise ConfigError(f"{where}: {path} cannot be read and written by this user (check its permissions)")
        return
    folder = path.parent
    if not folder.is_dir():
        raise ConfigError(f"{where}: the folder {folder} does not exist (create it, or change the path)")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"{where}: cannot create {path.name} in {folder} (the folder is not writable)")


def _check_postgres(url: str, shown: str, where: str) -> None:
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 5})
    except (exc.ArgumentError, ImportError) as error:
        raise ConfigError(f"{where}: cannot use {shown}: {type(error).__name__}") from None
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except exc.DBAPIError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
        raise ConfigError(f"{where}: cannot connect to {shown}: {reason}") from None
    finally:
        engine.dispose()
