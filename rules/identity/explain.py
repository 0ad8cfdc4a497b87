"""Plain-words evidence for why records are one customer."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from connector.domain import Record
from rules.identity.match import FieldMatch, MatchEdge

FIELD_LABELS = {
    "email": "email", "phone": "phone", "domain": "web domain", "tax_id": "tax id",
    "company": "company name", "person": "person name", "city": "city", "account": "account",
}

Labeler = Callable[[Record], str]


def record_label(record: Record) -> str:
    """``Leads/L1``: how explanations name a record."""
    return f"{record.module}/{record.id}"


def _label(name: str) -> str:
    return FIELD_LABELS.get(name, name.removeprefix("extra."))


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _fuzzy_phrase(match: FieldMatch) -> str:
    return (
        f"{_label(match.field)} {match.value_a} ≈ {match.value_b} "
        f"(score {match.score or 0:.2f} ≥ {match.threshold or 0:.2f})"
    )


def edge_sentence(fields: Sequence[FieldMatch], labels: Sequence[str]) -> str:
    """``same email a@acme.com on Leads/L1 and Contacts/C7`` or a fuzzy ``≈`` sentence."""
    fuzzy = [f for f in fields if f.score is not None]
    exact = [f for f in fields if f.score is None]
    where = " on " + _join(list(labels))
    if not fuzzy:
        return "same " + _join([f"{_label(f.field)} {f.value_a}" for f in exact]) + where
    text = " and ".join(_fuzzy_phrase(f) for f in fuzzy)
    for field in exact:
        if field.field == "city" and not field.value_b:
            text += f" in {field.value_a} (one record has no city; {field.value_a} is the only city with this name)"
        elif field.field == "city":
            text += f" in {field.value_a}"
        else:
            text += f" with same {_label(field.field)} {field.value_a}"
    return text + where


def explain_edges(
    edges: Sequence[MatchEdge], records: Sequence[Record], label: Labeler = record_label
) -> list[tuple[str, str]]:
    """``(rule, sentence)`` per distinct reason; exact matches on one value are listed together."""
    grouped: dict[tuple[str, tuple[FieldMatch, ...]], list[int]] = {}
    for edge in edges:
        if any(f.score is not None for f in edge.fields):
            grouped[(edge.rule, edge.fields)] = [edge.a, edge.b]
            continue
        members = grouped.setdefault((edge.rule, edge.fields), [])
        for index in (edge.a, edge.b):
            if index not in members:
                members.append(index)
    return [
        (rule, edge_sentence(fields, [label(records[i]) for i in members]))
        for (rule, fields), members in grouped.items()
    ]
