"""Zoho adapter fixtures: an in-memory kv, an adapter factory and ``responses`` mocks.

When ``ZOHO_OAS_DIR`` is set, every request any test here sends to the Zoho API is checked
against the OpenAPI files at teardown (see ``zoho_oas.py``), so each HTTP test is also a contract test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
import responses
from responses import registries
from zoho_support import NOW, FakeKV, check_contract

from adapters.zoho.adapter import ZohoAdapter
from adapters.zoho.config import ZohoAdapterConfig


@pytest.fixture
def kv() -> FakeKV:
    return FakeKV()


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def make_adapter(kv: FakeKV, slept: list[float]) -> Callable[..., ZohoAdapter]:
    def make(
        *, store: Any = kv, clock: Callable[[], datetime] = lambda: NOW, name: str = "zoho", **overrides: Any
    ) -> ZohoAdapter:
        # Bulk Read off unless a test turns it on: their full loads then need no count call.
        values = {
            "client_id": "cid",
            "client_secret": "csecret",
            "refresh_token": "rtoken",
            "bulk_read_above": 0,
            **overrides,
        }
        config = ZohoAdapterConfig(kind="zoho", **values)
        return ZohoAdapter(name, config, store=store, default_tz="UTC", clock=clock, sleep=slept.append)

    return make


@pytest.fixture
def zoho_http() -> Iterator[responses.RequestsMock]:
    """Fails the test if a registered response is never used; contract-checks what was sent."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps
        check_contract(rsps.calls)


@pytest.fixture
def zoho_http_ordered() -> Iterator[responses.RequestsMock]:
    """Responses served in registration order (retry sequences)."""
    with responses.RequestsMock(
        registry=registries.OrderedRegistry, assert_all_requests_are_fired=True
    ) as rsps:
        yield rsps
        check_contract(rsps.calls)
