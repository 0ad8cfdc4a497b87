"""Safety rails: refuse a write-back that looks like broken input, before anything is sent.

A plan that writes far more than usual is more often a broken export or a wrong config than a
bad day: an empty ``activities.jsonl`` makes every lead look uncontacted. Each refusal is one
``Error:`` line that names the number that tripped and how to allow it (exit status 5).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pydantic import Field

from connector.config_base import ConfigModel
from connector.domain import Action, ActionType
from connector.errors import ConnectorError
from rules.snapshot import Snapshot

KV_NAMESPACE = "rails"


class SafetySection(ConfigModel):
    """``[safety]``: limits on one ``sync --apply`` (and ``referee apply``)."""

    confirm_above: int = Field(default=50, ge=0)
    """On a terminal, ask before writing more than this many actions (``--yes`` skips the question)."""
    max_actions_per_run: int = Field(default=500, ge=1)
    """A run that would write more actions is refused."""
    max_reassign_share: float = Field(default=0.2, gt=0, le=1)
    """A run that would reassign more than this share of a module's records is refused."""
    min_records_for_share: int = Field(default=20, ge=1)
    """The share rule applies only to modules with at least this many records (small CRMs move a lot)."""


class RailRefusedError(ConnectorError):
    """The plan tripped a safety rail; nothing was written."""

    exit_code = 5


def check_rails(
    safety: SafetySection,
    actions: Sequence[Action],
    snapshot: Snapshot,
    previous_activity_counts: dict[str, int],
    *,
    max_actions: int | None = None,
    allow_mass_reassign: bool = False,
    allow_empty_activities: bool = False,
) -> None:
    """Raise :class:`RailRefusedError` naming the first rail ``actions`` trip."""
    limit = max_actions or safety.max_actions_per_run
    if len(actions) > limit:
        raise RailRefusedError(
            f"the plan would write {len(actions)} actions, more than max_actions_per_run = {limit}; "
            f"review it with `referee plan`, then pass --max-actions {len(actions)} "
            "or raise [safety] max_actions_per_run"
        )
    if not allow_empty_activities:
        now_counts = activity_counts(snapshot)
        for adapter, before in sorted(previous_activity_counts.items()):
            if before > 0 and now_counts.get(adapter, 0) == 0 and any(a.target.adapter == adapter for a in actions):
                raise RailRefusedError(
                    f'adapter "{adapter}" had {before} activities last run and has none now, which usually '
                    "means a broken export or read; check it, or pass --allow-empty-activities if it is true"
                )
    if allow_mass_reassign:
        return
    records = Counter((r.adapter, r.module.value) for r in snapshot.records)
    moves = Counter((a.target.adapter, a.target.module.value) for a in actions if a.type is ActionType.REASSIGN)
    for (adapter, module), moved in sorted(moves.items()):
        total = records.get((adapter, module), 0)
        if total < safety.min_records_for_share:
            continue
        share = moved / total
        if share > safety.max_reassign_share:
            raise RailRefusedError(
                f"the plan would reassign {moved} of {total} {module} in {adapter} ({share:.0%}) in one run, "
                f"more than max_reassign_share = {safety.max_reassign_share:.0%}; review it with "
                "`referee plan`, then pass --allow-mass-reassign or raise [safety] max_reassign_share"
            )


def activity_counts(snapshot: Snapshot) -> dict[str, int]:
    """Activities per adapter in the store (the empty-stream rail compares runs)."""
    return dict(Counter(a.adapter for a in snapshot.activities))
