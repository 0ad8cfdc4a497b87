"""Zoho adapter fixtures: an in-memory kv, an adapter factory and strict ``responses`` mocks.

Every answer a test registers goes through :mod:`strict_zoho`: a Get Records or Bulk Read answer
is held to Zoho's request rules and carries only the fields the request named (plus ``id``), like
real Zoho v8. When ``ZOHO_OAS_DIR`` is set, every request any test here sends to the Zoho API is
also checked against the OpenAPI files at teardown (see ``zoho_oas.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
import responses
from fake_zoho_org import FakeZohoOrg
from responses import registries
from strict_zoho import StrictRules, strict_registry
from zoho_support import NOW, FakeKV, check_contract, load

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
    registry = strict_registry(StrictRules())
    with responses.RequestsMock(assert_all_requests_are_fired=True, registry=registry) as rsps:
        yield rsps
        check_contract(rsps.calls)


@pytest.fixture
def zoho_http_ordered() -> Iterator[responses.RequestsMock]:
    """Responses served in registration order (retry sequences)."""
    registry = strict_registry(StrictRules(), registries.OrderedRegistry)
    with responses.RequestsMock(registry=registry, assert_all_requests_are_fired=True) as rsps:
        yield rsps
        check_contract(rsps.calls)


BOT = "554023000000299999"


@pytest.fixture
def org() -> Iterator[FakeZohoOrg]:
    """A strict fake org (users from the fixtures, the bot as the token's user), served in-process."""
    fake = FakeZohoOrg(clock=lambda: NOW)
    fake.users = [*load("current_user")["users"], *load("users")["users"]]
    fake.current_user = BOT
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        fake.install(rsps)
        yield fake
        check_contract(rsps.calls)
