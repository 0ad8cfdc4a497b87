"""Schemathesis fuzzes every operation of the served OpenAPI document: no answer may be a 5xx.

Driven through hypothesis directly (``operation.as_strategy()``) rather than schemathesis'
pytest plugin, so that one test runs every operation against the real server process.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from tests.server.conftest import API_KEY, ServerProcess

pytestmark = pytest.mark.e2e
EXAMPLES_PER_OPERATION = 25


def test_no_operation_answers_with_a_server_error(server: ServerProcess) -> None:
    schema = schemathesis.openapi.from_url(f"{server.base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate(
                base_url=server.base_url,
                headers={"Authorization": f"Bearer {API_KEY}"},
                checks=[not_a_server_error],
                timeout=10,
            )

        fuzz()
