"""Absences the CRM reports on a user are skipped exactly like ``[assignment] unavailable`` entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from connector.domain import Absence, Module, Record, User
from rules.assign import Assigner, AssignmentConfig, TeamConfig

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def a_lead(id: str = "L1", owner: str | None = "u9") -> Record:
    return Record(adapter="crm", module=Module.LEADS, id=id, owner_id=owner, status="New")


def away(start: datetime, end: datetime, reason: str | None = None) -> Absence:
    return Absence(starts_at=start, ends_at=end, reason=reason)


def people(**absences: tuple[Absence, ...]) -> dict[str, User]:
    ids = ("u1", "u2", "u3")
    return {u: User(id=u, email=f"{u}@example.com", unavailable=absences.get(u, ())) for u in ids}


def make(
    team: TeamConfig, users: dict[str, User], config: AssignmentConfig | None = None, now: datetime = NOW
) -> Assigner:
    return Assigner({"sales": team}, config or AssignmentConfig(), users, [], {}, now)


@pytest.mark.parametrize(
    "strategy",
    [
        pytest.param("round-robin", id="round-robin"),
        pytest.param("weighted", id="weighted"),
        pytest.param("least-loaded", id="least-loaded"),
    ],
)
def test_every_strategy_skips_a_member_the_crm_reports_away(strategy: str) -> None:
    team = TeamConfig(members=("u1", "u2", "u3"), strategy=strategy)  # type: ignore[arg-type]
    users = people(u1=(away(NOW - HOUR, NOW + 8 * HOUR, "Sick leave"),))
    a = make(team, users)
    chosen = []
    for i in range(4):
        pick = a.pick("team:sales", a_lead(id=f"L{i}"))
        assert pick.user_id is not None
        a.transfer(a_lead(id=f"L{i}"), pick.user_id)
        chosen.append(pick.user_id)
    assert "u1" not in chosen
    assert set(chosen) == {"u2", "u3"}


def test_the_reason_says_until_when_and_that_the_crm_reported_it() -> None:
    users = people(u2=(away(NOW - HOUR, datetime(2026, 3, 4, 18, 0, tzinfo=UTC)),))
    pick = make(TeamConfig(members=("u2",)), users).pick("team:sales", a_lead())
    assert pick.user_id is None
    assert "u2 is unavailable until 2026-03-04 18:00 UTC (reported by the CRM)" in pick.reason


def test_the_end_is_written_in_the_assignment_time_zone() -> None:
    plus_eight = timezone(timedelta(hours=8))
    users = people(u2=(away(NOW - HOUR, datetime(2026, 3, 3, 1, 0, tzinfo=plus_eight)),))
    config = AssignmentConfig(timezone="America/New_York")
    pick = make(TeamConfig(members=("u2",)), users, config).pick("team:sales", a_lead())
    assert "until 2026-03-02 12:00 EST (reported by the CRM)" in pick.reason


def test_a_named_user_target_reports_the_absence_too() -> None:
    users = people(u3=(away(NOW, NOW + HOUR),))
    pick = make(TeamConfig(members=("u3",)), users).pick("u3", a_lead())
    assert pick.user_id is None
    assert pick.reason.startswith("u3 cannot take it: is unavailable until")
    assert pick.reason.endswith("(reported by the CRM)")


@pytest.mark.parametrize(
    ("start", "end", "available"),
    [
        pytest.param(NOW - HOUR, NOW, True, id="ended-exactly-now"),
        pytest.param(NOW, NOW + HOUR, False, id="starts-exactly-now"),
        pytest.param(NOW + HOUR, NOW + 2 * HOUR, True, id="later-today"),
        pytest.param(NOW - 2 * HOUR, NOW - HOUR, True, id="earlier-today"),
    ],
)
def test_only_an_absence_covering_now_counts(start: datetime, end: datetime, available: bool) -> None:
    users = people(u1=(away(start, end),))
    pick = make(TeamConfig(members=("u1",)), users).pick("team:sales", a_lead())
    assert (pick.user_id == "u1") is available


def test_back_to_back_absences_report_the_last_end() -> None:
    first = away(NOW - HOUR, NOW + HOUR)
    second = away(NOW + HOUR, NOW + 5 * HOUR)
    unrelated = away(NOW + 10 * HOUR, NOW + 12 * HOUR)
    users = people(u1=(unrelated, second, first))
    pick = make(TeamConfig(members=("u1",)), users).pick("team:sales", a_lead())
    assert "until 2026-03-02 15:00 UTC (reported by the CRM)" in pick.reason


def test_config_and_crm_entries_combine() -> None:
    config = AssignmentConfig.model_validate(
        {"unavailable": [{"user": "u1@example.com", "from": "2026-03-02", "to": "2026-03-02"}]}
    )
    users = people(u2=(away(NOW - HOUR, NOW + HOUR),))
    a = make(TeamConfig(members=("u1", "u2", "u3")), users, config)
    assert a.pick("team:sales", a_lead()).user_id == "u3"
    nobody = make(TeamConfig(members=("u1", "u2")), users, config).pick("team:sales", a_lead())
    assert "u1 is unavailable until 2026-03-03 00:00 UTC;" in nobody.reason
    assert "u2 is unavailable until 2026-03-02 11:00 UTC (reported by the CRM)" in nobody.reason


def test_absence_must_end_after_it_starts() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        Absence(starts_at=NOW, ends_at=NOW)
