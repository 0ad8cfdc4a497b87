"""End to end: absences a CRM reports survive the store and steer SLA reassignment."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from connector.config import Config, parse_config
from connector.domain import Absence, Action, ActionResult, ActionType, Module, Record, User
from connector.protocol import PullBatch
from connector.sync import SyncOptions, run_sync

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
BACK = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


class AwayCrm:
    """A CRM with one overdue lead (owner u3) and u2 reported away until ``BACK``."""

    name = "crm"

    def pull_users(self) -> Sequence[User]:
        leave = Absence(starts_at=NOW - timedelta(days=1), ends_at=BACK, reason="Annual leave")
        return [User(id="u1"), User(id="u2", unavailable=(leave,)), User(id="u3")]

    def pull(self, cursors: Mapping[str, str], *, full: bool = False) -> Iterator[PullBatch]:
        lead = Record(
            adapter="crm",
            module=Module.LEADS,
            id="L1",
            owner_id="u3",
            status="New",
            created_at=NOW - timedelta(days=3),
        )
        yield PullBatch(stream="records", records=[lead], cursor="c1")

    def apply(self, actions: Sequence[Action]) -> Sequence[ActionResult]:
        return []

    def supported_actions(self) -> frozenset[str]:
        return frozenset({"flag", "note", "reassign"})


def _config(members: list[str]) -> Config:
    return parse_config(
        {
            "adapters": {"crm": {"kind": "file", "path": "unused"}},
            "rules": {
                "sla": [
                    {
                        "name": "first-24h",
                        "module": "Leads",
                        "first_activity_within": "24h",
                        "on_breach": "reassign",
                        "assign_to": "team:sales",
                    }
                ]
            },
            "teams": {"sales": {"members": members}},
        },
        environ={},
    )


def test_the_rep_the_crm_reports_away_is_skipped(make_store, store_url) -> None:
    store = make_store(store_url)
    report = run_sync(_config(["u2", "u1"]), store, {"crm": AwayCrm()}, SyncOptions(now=NOW))
    assert store.load_users("crm")[1].unavailable[0].reason == "Annual leave"
    reassign = [r.action for r in report.results if r.action.type == ActionType.REASSIGN]
    assert [a.new_owner_id for a in reassign] == ["u1"]


def test_nobody_left_says_who_is_away_and_until_when(make_store, store_url) -> None:
    store = make_store(store_url)
    report = run_sync(_config(["u2"]), store, {"crm": AwayCrm()}, SyncOptions(now=NOW))
    assert not [r for r in report.results if r.action.type == ActionType.REASSIGN]
    said = " ".join(
        [*(e for f in report.findings for e in f.evidence), *(r.action.reason for r in report.results)]
    )
    assert "u2 is unavailable until 2026-11-30 09:00 UTC (reported by the CRM)" in said
