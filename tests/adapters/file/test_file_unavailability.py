"""``users.jsonl`` / ``users.csv`` may list absences: ``"unavailable": [{"from", "to", "reason"}]``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from file_builders import make_adapter

from connector.domain import Absence
from connector.errors import DataError

SHANGHAI = timezone(timedelta(hours=8))


def test_absences_are_read_with_offsets_dates_and_zones(export) -> None:
    path = export(
        users=[
            {
                "id": "u-1",
                "unavailable": [
                    {"from": "2026-12-01", "to": "2026-12-02", "reason": "Annual leave"},
                    {"from": "2026-11-27T09:00:00+00:00", "to": "2026-11-27T11:00:00+00:00"},
                ],
            },
            {
                "id": "u-2",
                "time_zone": "America/New_York",
                "unavailable": [{"from": "2026-11-27T09:00:00", "to": "2026-11-27T17:00:00"}],
            },
            {"id": "u-3"},
        ]
    )
    users = {u.id: u for u in make_adapter(path).pull_users()}

    assert users["u-1"].unavailable == (
        Absence(
            starts_at=datetime(2026, 11, 27, 9, 0, tzinfo=UTC),
            ends_at=datetime(2026, 11, 27, 11, 0, tzinfo=UTC),
        ),
        Absence(  # dates are whole days in the adapter's zone (Asia/Shanghai here); `to` is inclusive
            starts_at=datetime(2026, 12, 1, tzinfo=SHANGHAI),
            ends_at=datetime(2026, 12, 3, tzinfo=SHANGHAI),
            reason="Annual leave",
        ),
    )
    # without an offset, times are read in the user's own time zone
    assert users["u-2"].unavailable[0].starts_at == datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
    assert users["u-3"].unavailable == ()


def test_a_csv_cell_may_hold_the_list_as_json(tmp_path: Path) -> None:
    (tmp_path / "users.csv").write_text(
        'id,unavailable\nu-1,"[{""from"": ""2026-12-01"", ""to"": ""2026-12-01""}]"\nu-2,\n', encoding="utf-8"
    )
    users = {u.id: u for u in make_adapter(tmp_path).pull_users()}
    assert users["u-1"].unavailable[0].ends_at == datetime(2026, 12, 2, tzinfo=SHANGHAI)
    assert users["u-2"].unavailable == ()


def test_the_column_may_be_renamed(export) -> None:
    path = export(users=[{"id": "u-1", "Abwesend": [{"from": "2026-12-01", "to": "2026-12-01"}]}])
    users = make_adapter(path, columns={"users": {"unavailable": "Abwesend"}}).pull_users()
    assert users[0].unavailable[0].starts_at == datetime(2026, 12, 1, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("unavailable", "message"),
    [
        pytest.param({"from": "2026-12-01"}, "unavailable must be a list", id="not-a-list"),
        pytest.param(["2026-12-01"], "unavailable[0] must be an object", id="item-not-an-object"),
        pytest.param([{"to": "2026-12-01"}], 'missing "unavailable[0].from"', id="no-from"),
        pytest.param(
            [{"from": "2026-12-01", "to": "soon"}],
            'unavailable[0].to "soon" is not an ISO 8601 timestamp',
            id="bad-to",
        ),
        pytest.param(
            [{"from": "2026-13-01", "to": "2026-12-02"}], "is not a date (YYYY-MM-DD)", id="bad-date"
        ),
        pytest.param(
            [{"from": "2026-12-05", "to": "2026-12-01"}],
            "unavailable[0] ends before it starts",
            id="reversed",
        ),
        pytest.param(
            [{"from": "2026-12-01", "until": "2026-12-02"}],
            "unavailable[0] has unknown key until",
            id="unknown-key",
        ),
        pytest.param("[not json", "is not a JSON list", id="bad-json-text"),
    ],
)
def test_bad_absences_are_bad_lines(export, unavailable: object, message: str) -> None:
    path = export(users=[{"id": "u-1", "unavailable": unavailable}])
    with pytest.raises(DataError) as caught:
        make_adapter(path).pull_users()
    assert "users.jsonl:1: " in str(caught.value)
    assert message in str(caught.value)
