"""CRM error bodies become one short line, whatever shape they have (pure functions)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.webhook.crm_errors import describe

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "message",
                    "error",
                    "errors",
                    "fields",
                    "field",
                    "code",
                    "errorCode",
                    "context",
                    "data",
                    "propertyName",
                    "x",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@given(body=json_values)
def test_any_json_body_gives_text_or_none_and_never_raises(body: Any) -> None:
    found = describe(body)
    assert found is None or (isinstance(found, str) and found)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            {
                "status": "error",
                "message": "Property values were not valid",
                "errors": [
                    {"message": "x", "code": "INVALID_OPTION", "context": {"propertyName": ["referee_tags"]}}
                ],
            },
            "Property values were not valid (field referee_tags: INVALID_OPTION)",
            id="hubspot",
        ),
        pytest.param(
            [{"message": "Owner ID: bad", "errorCode": "FIELD_INTEGRITY_EXCEPTION", "fields": ["OwnerId"]}],
            "Owner ID: bad (field OwnerId: FIELD_INTEGRITY_EXCEPTION)",
            id="salesforce",
        ),
        pytest.param(
            {
                "success": False,
                "error": "Lead not found",
                "error_info": "Please check developers.pipedrive.com",
            },
            "Lead not found",
            id="pipedrive",
        ),
        pytest.param(
            {
                "messageTranslation": {
                    "label": "validationFailure",
                    "scope": None,
                    "data": {"field": "post", "type": "maxLength"},
                }
            },
            "validationFailure (field post: maxLength)",
            id="espocrm",
        ),
        pytest.param({"error": True}, None, id="bare-error-flag"),
    ],
)
def test_real_crm_error_shapes(body: Any, expected: str | None) -> None:
    assert describe(body) == expected
