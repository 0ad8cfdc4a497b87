"""Every store test runs twice: on a SQLite file and on a fresh PostgreSQL schema."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from connector.store import Store


@pytest.fixture
def store(store_url: str, make_store: Callable[[str], Store]) -> Store:
    return make_store(store_url)
