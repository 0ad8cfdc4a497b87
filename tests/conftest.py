"""Fixtures shared by every test folder.

State-store helpers: ``pg_url`` gives a PostgreSQL URL whose ``search_path`` points at a fresh,
empty schema (dropped afterwards), ``store_url`` is parametrized over SQLite and PostgreSQL, and
``make_store(url)`` opens a migrated :class:`connector.store.Store` that is closed after the test::

    def test_something(make_store, store_url):
        store = make_store(store_url)   # runs once on SQLite, once on PostgreSQL

PostgreSQL comes from ``REFEREE_TEST_PG_URL`` (default: postgres on 127.0.0.1:5432, database
``test``). When no server answers, PostgreSQL tests skip with the reason, except when ``CI`` is
set: then they fail, so a broken CI database cannot hide behind skips.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from connector.store import Store

PG_URL_ENV = "REFEREE_TEST_PG_URL"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
_pg_problem: dict[str, str | None] = {}


def _pg_base_url() -> str:
    return os.environ.get(PG_URL_ENV) or DEFAULT_PG_URL


def _pg_unreachable(url: str) -> str | None:
    """Why the PostgreSQL server at ``url`` cannot be used, or ``None`` (checked once per session)."""
    if url not in _pg_problem:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            _pg_problem[url] = None
        except Exception as error:  # any failure means "no usable server"
            first = str(getattr(error, "orig", error)).strip().splitlines()
            _pg_problem[url] = first[0] if first else type(error).__name__
        finally:
            engine.dispose()
    return _pg_problem[url]


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL isolated in its own schema (``search_path``), so parallel runs never collide."""
    base = _pg_base_url()
    safe = make_url(base).render_as_string(hide_password=True)
    problem = _pg_unreachable(base)
    if problem is not None:
        message = f"PostgreSQL at {safe} is not reachable ({problem}); set {PG_URL_ENV} to a server"
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail(f"{message} (CI is set, so this is a failure, not a skip)")
        pytest.skip(message)
    schema = f"referee_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '10s'"))
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
    ]
)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL for an empty state store: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def make_store() -> Iterator[Callable[[str], Store]]:
    """``make_store(url)`` opens a migrated store; every store it made is closed after the test."""
    opened: list[Store] = []

    def make(url: str) -> Store:
        store = Store.open(url)
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()
