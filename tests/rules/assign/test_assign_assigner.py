"""Who gets a record: strategies, fairness, capacity, unavailability, routing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from connector.domain import Module, Record, User
from rules.assign import Assigner, AssignmentConfig, TeamConfig

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def a_lead(id: str = "L1", owner: str | None = "u9", status: str = "New", **fields: object) -> Record:
    return Record(adapter="crm", module=Module.LEADS, id=id, owner_id=owner, status=status, **fields)


def users(*ids: str, inactive: Sequence[str] = ()) -> dict[str, User]:
    return {u: User(id=u, email=f"{u}@example.com", active=u not in inactive) for u in ids}


def assigner(
    team: TeamConfig,
    *,
    records: Sequence[Record] = (),
    state: dict[str, str] | None = None,
    config: AssignmentConfig | None = None,
    people: dict[str, User] | None = None,
) -> Assigner:
    return Assigner(
        {"sales": team},
        config or AssignmentConfig(),
        people or users("u1", "u2", "u3", "u9"),
        records,
        state or {},
        NOW,
    )


def picks(a: Assigner, count: int, exclude: Sequence[str] = ()) -> list[str | None]:
    out = []
    for _ in range(count):
        pick = a.pick("team:sales", a_lead(), exclude)
        out.append(pick.user_id)
        if pick.user_id:
            a.transfer(a_lead(owner=None), pick.user_id)
    return out


def test_round_robin_continues_from_the_stored_pointer() -> None:
    team = TeamConfig(members=("u1", "u2", "u3"))
    first = assigner(team)
    assert picks(first, 4) == ["u1", "u2", "u3", "u1"]
    assert first.state == {"round-robin:sales": "u1"}
    second = assigner(team, state=first.state)
    assert picks(second, 2) == ["u2", "u3"]


def test_weighted_2_1_1_is_fair_within_one_percent_over_10000() -> None:
    team = TeamConfig(members=("u1", "u2", "u3"), strategy="weighted", weights={"u1": 2})
    shares = Counter(picks(assigner(team), 10_000))
    expected = {"u1": 0.5, "u2": 0.25, "u3": 0.25}
    for member, weight in expected.items():
        assert abs(shares[member] / 10_000 - weight) <= 0.01


def test_weighted_has_no_bursts_and_persists_across_runs() -> None:
    team = TeamConfig(members=("u1", "u2", "u3"), strategy="weighted", weights={"u1": 2})
    first = assigner(team)
    run1 = picks(first, 2)
    run2 = picks(assigner(team, state=first.state), 2)
    assert run1 + run2 == picks(assigner(team), 4) == ["u1", "u2", "u3", "u1"]


def test_least_loaded_picks_the_member_with_fewest_open_records() -> None:
    team = TeamConfig(members=("u1", "u2", "u3"), strategy="least-loaded")
    records = [a_lead("a", "u1"), a_lead("b", "u1"), a_lead("c", "u2"), a_lead("d", "u3", status="Converted")]
    a = assigner(team, records=records)
    assert picks(a, 3) == ["u3", "u2", "u3"]


def test_capacity_skips_full_members_and_counts_picks_in_this_run() -> None:
    team = TeamConfig(members=("u1", "u2"), max_open=2)
    records = [a_lead("a", "u1"), a_lead("b", "u1"), a_lead("c", "u2"), a_lead("x", "u2", status="Junk")]
    a = assigner(team, records=records)
    assert picks(a, 2) == ["u2", None]
    pick = a.pick("team:sales", a_lead())
    assert pick.user_id is None
    assert "u1 is at capacity (2 open, max 2)" in pick.reason
    assert "u2 is at capacity (2 open, max 2)" in pick.reason


def test_closed_statuses_are_configurable() -> None:
    team = TeamConfig(members=("u1",), max_open=1)
    records = [a_lead("a", "u1", status="Dormant")]
    config = AssignmentConfig(closed_statuses=("Dormant",))
    assert picks(assigner(team, records=records, config=config), 1) == ["u1"]
    assert picks(assigner(team, records=records), 1) == [None]


def test_inactive_unavailable_and_just_lost_members_are_skipped() -> None:
    team = TeamConfig(members=("u1", "u2", "u3", "ghost"))
    config = AssignmentConfig.model_validate(
        {"unavailable": [{"user": "u2@example.com", "from": "2026-03-01", "to": "2026-03-02"}]}
    )
    a = assigner(team, config=config, people=users("u1", "u2", "u3", inactive=["u1"]))
    pick = a.pick("team:sales", a_lead(), exclude={"u3"})
    assert pick.user_id is None
    assert "u1 is inactive" in pick.reason
    assert "u2 is unavailable until 2026-03-03 00:00 UTC" in pick.reason
    assert "u3 just lost this record" in pick.reason
    assert "ghost is not a known CRM user" in pick.reason


def test_unavailability_window_ends() -> None:
    team = TeamConfig(members=("u1",))
    config = AssignmentConfig.model_validate(
        {
            "unavailable": [
                {
                    "user": "u1",
                    "from": datetime(2026, 2, 1, tzinfo=UTC),
                    "to": datetime(2026, 3, 2, tzinfo=UTC),
                }
            ]
        }
    )
    assert picks(assigner(team, config=config), 1) == ["u1"]


def test_members_may_be_written_as_emails() -> None:
    team = TeamConfig(members=("U2@example.com", "u3"), strategy="weighted", weights={"U2@example.com": 3})
    assert Counter(picks(assigner(team), 8)) == {"u2": 6, "u3": 2}


def test_territory_routing_picks_the_team_by_record_fields() -> None:
    config = AssignmentConfig.model_validate(
        {"route": [{"when": {"country": "CN"}, "team": "apac"}, {"team": "sales"}]}
    )
    teams = {"apac": TeamConfig(members=("u1",)), "sales": TeamConfig(members=("u2",))}
    a = Assigner(teams, config, users("u1", "u2"), [], {}, NOW)
    assert a.pick(None, a_lead(country="cn")).user_id == "u1"
    assert a.pick(None, a_lead(country="US")).user_id == "u2"
    no_routes = Assigner(teams, AssignmentConfig(), users("u1"), [], {}, NOW)
    assert no_routes.pick(None, a_lead()).reason == "no [[assignment.route]] matches this record"


def test_direct_user_target_is_checked_too() -> None:
    a = assigner(TeamConfig(members=("u1",)), people=users("u1", "u2", inactive=["u2"]))
    assert a.pick("u1", a_lead()).user_id == "u1"
    assert a.pick("u2", a_lead()).reason == "u2 cannot take it: is inactive"
    assert a.pick("team:nope", a_lead()).reason == 'there is no team "nope"'


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param({"members": ["u1", "u1"]}, "listed twice", id="duplicate-member"),
        pytest.param({"members": ["u1"], "max_open": 0}, "leaves no capacity", id="zero-capacity"),
        pytest.param(
            {"members": ["u1"], "strategy": "weighted", "weights": {"u2": 2}},
            "not in members",
            id="weight-stranger",
        ),
        pytest.param(
            {"members": ["u1"], "strategy": "weighted", "weights": {"u1": 0}},
            "positive whole number",
            id="zero-weight",
        ),
        pytest.param(
            {"members": ["u1"], "weights": {"u1": 2}},
            'only apply to strategy = "weighted"',
            id="weights-wrong-strategy",
        ),
        pytest.param({"members": ["u1"], "strategy": "random"}, "round-robin", id="unknown-strategy"),
    ],
)
def test_invalid_team_is_rejected_with_a_hint(fields: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TeamConfig.model_validate(fields)


def test_unavailability_must_end_after_it_starts() -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        AssignmentConfig.model_validate(
            {"unavailable": [{"user": "u1", "from": "2026-03-05", "to": "2026-03-01"}]}
        )


def test_route_with_an_unknown_field_is_rejected() -> None:
    with pytest.raises(ValueError, match='"contry" is not a record field'):
        AssignmentConfig.model_validate({"route": [{"when": {"contry": "CN"}, "team": "apac"}]})
