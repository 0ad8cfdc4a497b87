"""Plain-words evidence for why records are one customer."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from connector.domain import Record
from connector.i18n import EN, Messages
from rules.identity.match import FieldMatch, MatchEdge

FIELDS = ("email", "phone", "domain", "tax_id", "company", "person", "city", "account")

Labeler = Callable[[Record], str]


def record_label(record: Record, msg: Messages = EN) -> str:
    """``Leads/L1`` (English) or ``线索「Acme」`` (Chinese): how explanations name a record."""
    return msg.record(record.module, record.id, record.display_name)


def _label(name: str, msg: Messages) -> str:
    return msg(f"field.{name}") if name in FIELDS else name.removeprefix("extra.")


def _fuzzy_phrase(match: FieldMatch, msg: Messages) -> str:
    return msg(
        "match.fuzzy", field=_label(match.field, msg), a=match.value_a, b=match.value_b,
        score=f"{match.score or 0:.2f}", threshold=f"{match.threshold or 0:.2f}",
    )


def edge_sentence(fields: Sequence[FieldMatch], labels: Sequence[str], msg: Messages = EN) -> str:
    """``same email a@acme.com on Leads/L1 and Contacts/C7`` or a fuzzy ``≈`` sentence."""
    fuzzy = [f for f in fields if f.score is not None]
    exact = [f for f in fields if f.score is None]
    where = msg.join(list(labels))
    if not fuzzy:
        parts = [msg("match.exact_part", field=_label(f.field, msg), value=f.value_a) for f in exact]
        return msg("match.exact", fields=msg.join(parts), records=where)
    text = msg("match.fuzzy_join").join(_fuzzy_phrase(f, msg) for f in fuzzy)
    for field in exact:
        if field.field == "city" and not field.value_b:
            text += msg("match.in_only_city", city=field.value_a)
        elif field.field == "city":
            text += msg("match.in_city", city=field.value_a)
        else:
            text += msg("match.with_same", field=_label(field.field, msg), value=field.value_a)
    return msg("match.on", text=text, records=where)


def explain_edges(
    edges: Sequence[MatchEdge], records: Sequence[Record], label: Labeler = record_label, msg: Messages = EN
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
        (rule, edge_sentence(fields, [label(records[i]) for i in members], msg))
        for (rule, fields), members in grouped.items()
    ]
