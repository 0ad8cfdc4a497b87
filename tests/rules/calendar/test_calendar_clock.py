"""Business-time arithmetic: weekends, lunch breaks, holidays, make-up days and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules.calendar import BusinessCalendar, CalendarConfig, WallClock, build_clock, public_holidays

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
H = timedelta(hours=1)
CN_OFFICE = CalendarConfig(timezone="Asia/Shanghai", hours=["09:00-12:00", "13:30-18:00"], holidays="CN")
NINE_TO_SIX = CalendarConfig(timezone="Asia/Shanghai", hours=["09:00-18:00"], holidays="CN")
MAKE_UP_DAYS_2026 = ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"]


def cn(config: CalendarConfig = CN_OFFICE) -> BusinessCalendar:
    return BusinessCalendar("cn-office", config)


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.mark.parametrize(
    ("start", "amount", "due"),
    [
        pytest.param(sh(2026, 1, 9, 17, 30), 8 * H, sh(2026, 1, 12, 16, 30), id="friday-1730-to-monday-1630"),
        pytest.param(
            sh(2026, 1, 12, 8, 0), 1 * H, sh(2026, 1, 12, 10, 0), id="before-opening-starts-at-nine"
        ),
        pytest.param(sh(2026, 1, 12, 17, 0), 2 * H, sh(2026, 1, 13, 10, 0), id="across-midnight"),
        pytest.param(sh(2026, 9, 30, 17, 0), 2 * H, sh(2026, 10, 8, 10, 0), id="day-before-national-day"),
        pytest.param(sh(2026, 2, 13, 17, 0), 2 * H, sh(2026, 2, 14, 10, 0), id="make-up-saturday-counts"),
        pytest.param(sh(2026, 1, 12, 10, 0), timedelta(0), sh(2026, 1, 12, 10, 0), id="zero-is-identity"),
    ],
)
def test_add_business_hours_on_a_nine_to_six_calendar(
    start: datetime, amount: timedelta, due: datetime
) -> None:
    assert cn(NINE_TO_SIX).add(start, amount) == due


def test_lunch_break_is_not_business_time() -> None:
    cal = cn()
    assert cal.add(sh(2026, 1, 12, 11, 0), 2 * H) == sh(2026, 1, 12, 14, 30)
    assert cal.elapsed(sh(2026, 1, 12, 9, 0), sh(2026, 1, 12, 18, 0)) == timedelta(hours=7, minutes=30)
    assert cal.elapsed(sh(2026, 1, 12, 12, 10), sh(2026, 1, 12, 13, 20)) == timedelta(0)


def test_friday_evening_to_monday_spans_only_business_time() -> None:
    cal = cn()
    assert cal.elapsed(sh(2026, 1, 9, 17, 30), sh(2026, 1, 12, 10, 0)) == timedelta(hours=1, minutes=30)


def test_national_day_week_counts_nothing() -> None:
    cal = cn()
    assert cal.elapsed(sh(2026, 10, 1, 0, 0), sh(2026, 10, 8, 0, 0)) == timedelta(0)


@pytest.mark.parametrize("day", MAKE_UP_DAYS_2026)
def test_china_2026_make_up_weekend_days_are_working_days(day: str) -> None:
    d = date.fromisoformat(day)
    assert d.weekday() >= 5
    _, make_up = public_holidays("CN", 2026)
    assert d in make_up
    start = datetime(d.year, d.month, d.day, tzinfo=SH)
    assert cn().elapsed(start, start + timedelta(days=1)) == timedelta(hours=7, minutes=30)


def test_ordinary_saturday_counts_nothing() -> None:
    assert cn().elapsed(sh(2026, 1, 10), sh(2026, 1, 11)) == timedelta(0)


def test_extra_holidays_and_extra_workdays_override_the_package() -> None:
    config = CN_OFFICE.model_copy(
        update={"extra_holidays": (date(2026, 12, 31),), "extra_workdays": (date(2026, 12, 26),)}
    )
    cal = cn(config)
    assert cal.elapsed(sh(2026, 12, 31), sh(2027, 1, 1)) == timedelta(0)
    assert cal.elapsed(sh(2026, 12, 26), sh(2026, 12, 27)) == timedelta(hours=7, minutes=30)


def test_dst_spring_forward_day_in_new_york_is_23_hours() -> None:
    config = CalendarConfig(timezone="America/New_York", hours=["00:00-24:00"], weekdays=["sun", "mon"])
    cal = BusinessCalendar("ny-24h", config)
    sunday = datetime(2026, 3, 8, tzinfo=NY)
    assert cal.elapsed(sunday, sunday + timedelta(days=1)) == timedelta(hours=23)
    assert cal.add(datetime(2026, 3, 8, 1, 0, tzinfo=NY), 2 * H) == datetime(2026, 3, 8, 4, 0, tzinfo=NY)


def test_dst_week_in_new_york_keeps_local_office_hours() -> None:
    config = CalendarConfig(timezone="America/New_York", hours=["09:00-17:00"])
    cal = BusinessCalendar("ny", config)
    friday = datetime(2026, 3, 6, 16, 0, tzinfo=NY)  # EST; Monday is EDT
    due = cal.add(friday, 2 * H)
    assert due == datetime(2026, 3, 9, 10, 0, tzinfo=NY)
    assert due.astimezone(UTC).hour == 14
    fall = datetime(2026, 10, 30, 16, 0, tzinfo=NY)  # EDT; Monday 2 Nov is EST
    assert cal.add(fall, 2 * H) == datetime(2026, 11, 2, 10, 0, tzinfo=NY)


def test_calendar_without_hours_is_wall_clock_time() -> None:
    clock = build_clock("plain", {"plain": CalendarConfig(timezone="Asia/Shanghai")})
    assert isinstance(clock, WallClock)
    start = sh(2026, 1, 9, 17, 30)
    assert clock.add(start, 24 * H) == sh(2026, 1, 10, 17, 30)
    assert clock.elapsed(start, sh(2026, 1, 12, 17, 30)) == timedelta(days=3)


def test_no_calendar_means_wall_clock_and_unknown_calendar_is_an_error() -> None:
    assert isinstance(build_clock(None, {}), WallClock)
    with pytest.raises(ValueError, match='no calendar named "x"'):
        build_clock("x", {"cn-office": CN_OFFICE})


def test_negative_amount_is_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        cn().add(sh(2026, 1, 12, 10), -H)


def test_instants_far_apart_extend_the_cache_both_ways() -> None:
    cal = cn()
    later = cal.elapsed(sh(2026, 6, 1), sh(2026, 6, 2))
    earlier = cal.elapsed(sh(2020, 6, 1), sh(2020, 6, 2))
    assert later == earlier == timedelta(hours=7, minutes=30)
    assert cal.elapsed(sh(2020, 6, 1), sh(2026, 6, 2)) > timedelta(hours=7 * 250 * 5)


INSTANTS = st.datetimes(
    min_value=datetime(2025, 12, 1), max_value=datetime(2027, 2, 1), timezones=st.just(SH)
)
AMOUNTS = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=200))
CALENDARS = {
    "cn-office": cn(),
    "ny": BusinessCalendar(
        "ny", CalendarConfig(timezone="America/New_York", hours=["08:30-12:00", "13:00-17:45"])
    ),
}


@settings(max_examples=300, deadline=None)
@given(start=INSTANTS, amount=AMOUNTS, name=st.sampled_from(sorted(CALENDARS)))
def test_elapsed_inverts_add(start: datetime, amount: timedelta, name: str) -> None:
    cal = CALENDARS[name]
    assert cal.elapsed(start, cal.add(start, amount)) == amount


@settings(max_examples=200, deadline=None)
@given(start=INSTANTS, a=AMOUNTS, b=AMOUNTS, shift=AMOUNTS)
def test_add_is_monotonic(start: datetime, a: timedelta, b: timedelta, shift: timedelta) -> None:
    cal = CALENDARS["cn-office"]
    small, large = sorted((a, b))
    assert cal.add(start, small) <= cal.add(start, large)
    assert cal.add(start, small) <= cal.add(start + shift, small)


@settings(max_examples=200, deadline=None)
@given(points=st.lists(INSTANTS, min_size=3, max_size=3))
def test_intervals_never_count_twice(points: list[datetime]) -> None:
    a, b, c = sorted(points)
    cal = CALENDARS["cn-office"]
    assert cal.elapsed(a, c) == cal.elapsed(a, b) + cal.elapsed(b, c)
    assert timedelta(0) <= cal.elapsed(a, c) <= c - a
