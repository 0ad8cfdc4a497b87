"""``[calendars.<name>]`` validation: every mistake names the fix."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from rules.calendar import CalendarConfig
from rules.calendar.config import parse_interval


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"hours": ["9-12"]}, 'not a time interval (write "HH:MM-HH:MM"', id="bad-interval"),
        pytest.param({"hours": ["12:00-09:00"]}, "ends before it starts", id="reversed-interval"),
        pytest.param({"hours": ["09:00-25:00"]}, "not a time interval", id="hour-25"),
        pytest.param({"hours": ["09:00-12:00", "11:00-14:00"]}, "overlap", id="overlapping"),
        pytest.param(
            {"weekdays": ["mon", "funday"]}, '"funday" is not a weekday (use mon, tue', id="weekday"
        ),
        pytest.param({"weekdays": []}, "weekdays is empty", id="no-weekdays"),
        pytest.param({"timezone": "Mars/Olympus"}, "not an IANA time zone", id="timezone"),
        pytest.param({"holidays": "XX"}, "not a country the holidays package knows", id="country"),
        pytest.param(
            {"extra_holidays": ["2026-10-10"], "extra_workdays": ["2026-10-10"]},
            "listed in both extra_holidays and extra_workdays",
            id="both-ways",
        ),
        pytest.param({"hour": ["09:00-12:00"]}, "Extra inputs are not permitted", id="unknown-key"),
    ],
)
def test_invalid_calendar_is_rejected_with_a_hint(fields: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(")):
        CalendarConfig.model_validate({"hours": ["09:00-18:00"], **fields})


def test_valid_calendar_normalises_weekdays_and_country() -> None:
    config = CalendarConfig.model_validate(
        {
            "timezone": "Asia/Shanghai",
            "hours": ["13:30-18:00", "09:00-12:00"],
            "weekdays": ["Monday", "TUE"],
            "holidays": "cn",
            "extra_holidays": ["2026-12-31"],
        }
    )
    assert config.weekdays == ("mon", "tue")
    assert config.holidays == "CN"
    assert config.extra_holidays == (date(2026, 12, 31),)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        pytest.param("09:00-12:00", (540, 720), id="morning"),
        pytest.param(" 13:30 - 18:00 ", (810, 1080), id="spaces"),
        pytest.param("00:00-24:00", (0, 1440), id="whole-day"),
    ],
)
def test_parse_interval(text: str, minutes: tuple[int, int]) -> None:
    assert parse_interval(text) == minutes
