"""``read.users.fields.unavailable`` maps a list of ``{from, to}`` objects onto ``User.unavailable``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from adapters.webhook.config import ReadSection
from adapters.webhook.mapping import Context, UserMapper
from connector.errors import CrmApiError

SHANGHAI = ZoneInfo("Asia/Shanghai")
CTX = Context("acme", SHANGHAI)
MAPPER = UserMapper(CTX, {"id": "id", "unavailable": "leave[*].{from: start, to: end, reason: why}"})


def test_absences_are_mapped_and_sorted() -> None:
    user = MAPPER.read(
        {
            "id": "u-1",
            "leave": [
                {"start": "2026-12-10T09:00:00", "end": "2026-12-10T18:00:00"},
                {"start": 1796083200, "end": "2026-12-02T00:00:00Z", "why": "Annual leave"},
            ],
        }
    )
    first, second = user.unavailable
    assert (first.starts_at, first.ends_at, first.reason) == (
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2026, 12, 2, tzinfo=UTC),
        "Annual leave",
    )
    assert second.starts_at == datetime(2026, 12, 10, 9, 0, tzinfo=SHANGHAI)  # naive: the adapter's zone
    assert second.reason is None


def test_no_list_means_no_absences() -> None:
    assert MAPPER.read({"id": "u-1"}).unavailable == ()
    assert UserMapper(CTX, {"id": "id"}).read({"id": "u-1"}).unavailable == ()


@pytest.mark.parametrize(
    ("leave", "message"),
    [
        pytest.param(
            [{"start": "2026-12-02T00:00:00Z", "end": "2026-12-01T00:00:00Z"}],
            "needs from before to",
            id="reversed",
        ),
        pytest.param([{"start": "2026-12-02T00:00:00Z"}], "needs from before to", id="no-end"),
        pytest.param([{"start": "soon", "end": "later"}], "is not ISO 8601", id="not-a-time"),
    ],
)
def test_bad_absences_name_the_config_key(leave: Any, message: str) -> None:
    with pytest.raises(CrmApiError, match=message) as caught:
        MAPPER.read({"id": "u-1", "leave": leave})
    assert "check read.users.fields.unavailable" in str(caught.value)


def test_the_field_is_allowed_in_config() -> None:
    section = ReadSection.model_validate(
        {"users": {"path": "/users", "fields": {"id": "id", "unavailable": "leave"}}}
    )
    assert section.users is not None and "unavailable" in section.users.fields


def test_a_value_that_is_not_a_list_is_refused() -> None:
    plain = UserMapper(CTX, {"id": "id", "unavailable": "leave"})
    with pytest.raises(CrmApiError, match="unavailable must be a list"):
        plain.read({"id": "u-1", "leave": {"from": "2026-12-01T00:00:00Z", "to": "2026-12-02T00:00:00Z"}})
    with pytest.raises(CrmApiError, match="must be a list of"):
        plain.read({"id": "u-1", "leave": ["2026-12-01"]})
