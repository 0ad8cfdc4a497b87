"""What ``referee validate`` checks beyond the file itself: export folders and the people rules name.

A config that parses can still point a file adapter at a folder that is not there, or send leads
to a ``pool_owner`` or team member the CRM does not have (a typo moves leads to nobody). The
folder is checked always; people are checked against the users the last sync stored, when there
is such a store (read only: validate never creates or migrates it).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, exc, inspect, select
from sqlalchemy.engine import make_url

from adapters.file.config import FileAdapterConfig
from adapters.file.source import locate
from connector.config import Config
from connector.store import schema


def check_export_folders(config: Config) -> None:
    """Raise ``ConfigError`` (one line with the fix) for a file adapter whose export is not there."""
    for adapter in config.adapters.values():
        if isinstance(adapter, FileAdapterConfig):
            for stream in ("users", "records", "activities"):
                locate(Path(adapter.path), stream, adapter.format)


def unknown_people(config: Config) -> list[str]:
    """Warnings for pool owners and team members the stored CRM users do not include."""
    known = _stored_user_ids(config.state_url())
    if not known:
        return []
    warnings = []
    for rule in config.rules.sla:
        if rule.pool_owner and rule.pool_owner not in known:
            warnings.append(f'rule "{rule.name}": pool_owner "{rule.pool_owner}" is not a user the CRM reported '
                            "at the last sync (check the id, e.g. in referee check or the CRM's user list)")
    for team_name, team in config.teams.items():
        missing = [m for m in team.members if m not in known]
        if missing:
            shown = ", ".join(f'"{m}"' for m in missing)
            warnings.append(f"team {team_name}: member(s) {shown} not among the users the CRM reported at the "
                            "last sync (check the ids; leads are never assigned to an unknown user)")
    return warnings


def _stored_user_ids(url: str) -> set[str]:
    """User ids in an existing store; empty when there is none yet (first run) or it cannot be read."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or not Path(database).is_file():
            return set()
        url = f"sqlite:///file:{Path(database).resolve()}?mode=ro&uri=true"
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table(schema.users.name):
                return set()
            return {row[0] for row in conn.execute(select(schema.users.c.id))}
    except exc.SQLAlchemyError:
        return set()  # check_state_url already said what is wrong with the store itself
    finally:
        engine.dispose()
