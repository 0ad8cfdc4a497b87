"""Exemptions: what a person decided the rules should not flag, honoured as data.

Two kinds: ``not-same`` (two records that look alike but are different customers, e.g. two
branches of one group) and ``co-pursue`` (a customer two named reps may work together). A pursuit
finding they fully cover is dropped; one they cover in part is kept and its evidence says which
exemption applied and why it did not settle the conflict.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from connector.domain import Finding, Record, RecordRef

Kind = Literal["not-same", "co-pursue"]


@dataclass(frozen=True)
class Exemption:
    id: str
    kind: Kind
    records: tuple[RecordRef, ...]
    """``not-same``: the two records; ``co-pursue``: one record of the customer."""
    users: tuple[str, ...] = ()
    """``co-pursue``: the reps who may pursue the customer together."""
    reason: str = ""

    def describe(self) -> str:
        if self.kind == "not-same":
            return f"exemption {self.id}: {' and '.join(f'{r.module}/{r.id}' for r in self.records)} are not the " \
                   f"same customer ({self.reason})"
        ref = self.records[0]
        return f"exemption {self.id}: {' and '.join(self.users)} may pursue the customer of {ref.module}/{ref.id} " \
               f"together ({self.reason})"


def honour(
    finding: Finding, records: Mapping[RecordRef, Record], exemptions: Sequence[Exemption]
) -> Finding | None:
    """``finding`` unless exemptions cover it (then ``None``); with evidence when they cover part of it."""
    if not exemptions:
        return finding
    refs = set(finding.records)
    notes: list[str] = []
    owners = set(finding.owners)
    for exemption in exemptions:
        if exemption.kind == "co-pursue" and exemption.records[0] in refs:
            if owners <= set(exemption.users):
                return None
            others = ", ".join(sorted(owners - set(exemption.users)))
            notes.append(f"{exemption.describe()}; still a conflict because {others} also pursue it")
    pairs = {frozenset(e.records): e for e in exemptions if e.kind == "not-same" and set(e.records) <= refs}
    if pairs:
        crossing = _cross_owner_pairs(finding.records, records)
        if crossing and all(pair in pairs for pair in crossing):
            return None
        notes.extend(f"{e.describe()}; other records still link the customer" for e in pairs.values())
    if not notes:
        return finding
    return finding.model_copy(update={"evidence": (*finding.evidence, *notes)})


def _cross_owner_pairs(refs: Sequence[RecordRef], records: Mapping[RecordRef, Record]) -> set[frozenset[RecordRef]]:
    """Every pair of the finding's records owned by different reps: the pairs that make the conflict."""
    pairs: set[frozenset[RecordRef]] = set()
    for i, a in enumerate(refs):
        for b in refs[i + 1:]:
            owner_a = records[a].owner_id if a in records else None
            owner_b = records[b].owner_id if b in records else None
            if owner_a != owner_b:
                pairs.add(frozenset((a, b)))
    return pairs
