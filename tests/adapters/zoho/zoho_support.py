"""Shared helpers for the Zoho adapter tests (importable from test modules, unlike conftest)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from zoho_oas import OasContract

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
API = "https://www.zohoapis.com/crm/v8"
TOKEN_URL = "https://accounts.zoho.com/oauth/v2/token"
OAS_ENV = "ZOHO_OAS_DIR"


def load(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


class FakeKV:
    """The store's key-value methods, in memory."""

    def __init__(self) -> None:
        self.data: dict[tuple[str, str], str] = {}

    def get_value(self, ns: str, key: str) -> str | None:
        return self.data.get((ns, key))

    def set_value(self, ns: str, key: str, value: str) -> None:
        self.data[(ns, key)] = value

    def get_values(self, ns: str) -> dict[str, str]:
        return {k: v for (n, k), v in self.data.items() if n == ns}


def check_contract(calls: Any) -> None:
    """Validate every captured API request (not the accounts server, which has no OAS)."""
    folder = os.environ.get(OAS_ENV)
    if not folder:
        return
    contract = OasContract(folder)
    problems: list[str] = []
    for call in calls:
        request = call.request
        if "zohoapis" not in request.url:
            continue
        problems += contract.validate(request.method, request.url, dict(request.headers), request.body)
    assert not problems, "requests break Zoho's OpenAPI contract:\n" + "\n".join(problems)


def add_token(rsps: Any, url: str = TOKEN_URL, body: Any = None) -> None:
    rsps.post(url, json=body or load("token"))


def sent_json(call: Any) -> Any:
    return json.loads(call.request.body)
