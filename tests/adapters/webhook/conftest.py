"""Fixtures for webhook-adapter tests: an adapter that never sleeps, ``responses`` registries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import responses
from responses import registries
from webhook_builders import NOW, make_config

from adapters.webhook.adapter import WebhookAdapter
from adapters.webhook.config import WebhookAdapterConfig
from connector.http import HttpClient


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def make_adapter(slept: list[float]) -> Callable[..., WebhookAdapter]:
    """``make_adapter(read={...})``: an adapter over ``BASE_CONFIG`` whose retries record, not sleep."""

    def make(config: WebhookAdapterConfig | None = None, **overrides: Any) -> WebhookAdapter:
        http = HttpClient("acme", sleep=slept.append, base_delay=0.01, max_attempts=3)
        return WebhookAdapter(
            "acme",
            config or make_config(**overrides),
            store=None,
            default_tz="Asia/Shanghai",
            clock=lambda: NOW,
            http=http,
        )

    return make


@pytest.fixture
def crm_http() -> Iterator[responses.RequestsMock]:
    """Fails the test if a registered call never happens."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture
def crm_http_ordered() -> Iterator[responses.RequestsMock]:
    """Responses served in registration order (retry sequences)."""
    with responses.RequestsMock(registry=registries.OrderedRegistry) as rsps:
        yield rsps
