"""Identity keys in the store, and the one-record ``check``: known customer? owner? conflict?

``refresh_keys`` writes each record's blocking keys (``rules.identity.keys``) to the indexed
``identity_keys`` table, plus a ``("customer", id)`` key when a full resolution is given.
``check`` looks a candidate's keys up by index, compares only the records found with the match
rules, expands them to their customers and applies the first pursuit rule to say who pursues and
who would keep the customer — without resolving the whole store again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import and_, delete, insert, select

from connector.config import Config
from connector.domain import Activity, Module, OwnerChange, Record, RecordRef, User
from connector.errors import UsageError
from connector.identity_lookup import CUSTOMER_KEY, CheckReader, Found
from connector.store import Store, schema
from rules.identity.config import IdentityConfig
from rules.identity.explain import edge_sentence, record_label
from rules.identity.features import FeatureExtractor
from rules.identity.keys import FUZZY_SUFFIX, blocking_keys, rule_key
from rules.identity.match import match_pair
from rules.identity.resolve import RARE_TOKENS_PER_NAME, Resolution, customer_id_for, resolve
from rules.pursuit.config import PursuitRule
from rules.pursuit.policies import POLICIES, Case
from rules.pursuit.pursuers import ActivityIndex, active_pursuers, collect_pursuers
from rules.snapshot import Snapshot

_keys = schema.identity_keys
_CHUNK = 500
CANDIDATE_FIELDS = (
    "adapter", "module", "id", "owner_id", "company", "email", "emails", "phone", "phones", "website",
    "domain", "tax_id", "country", "city", "first_name", "last_name", "account_id", "extra",
)


class CheckRecord(BaseModel):
    adapter: str
    module: str
    id: str
    owner_id: str | None
    matched: bool
    """True for records that matched the candidate directly (others belong to the same customer)."""


class CheckCustomer(BaseModel):
    customer: str
    records: list[CheckRecord]
    owners: list[str]
    pursued: bool
    pursuers: list[str]
    keeper: str | None


class CheckVerdict(BaseModel):
    known: bool
    customers: list[CheckCustomer]
    conflict: bool
    evidence: list[str]
    skipped_keys: list[str] = []
    """Fuzzy name tokens shared by more than ``max_block_size`` records (too common to block on)."""


MAX_KEY = 512
"""Characters in one stored identity key (a normalised e-mail, phone, domain or name token)."""


def refresh_keys(
    store: Store, records: Sequence[Record], identity: IdentityConfig, resolution: Resolution | None = None
) -> int:
    """Replace the identity keys of ``records``; with ``resolution``, also their customer ids.

    Returns the number of key rows written.
    """
    extractor = FeatureExtractor(identity)
    customer_of: dict[tuple[str, str, str], str] = {}
    if resolution is not None:
        for i, record in enumerate(resolution.records):
            customer_of[(record.adapter, record.module.value, record.id)] = resolution.customer_id(i)
    rows: list[dict[str, str]] = []
    for record in records:
        ident = (record.adapter, record.module.value, record.id)
        # A key longer than MAX_KEY cannot match anything real and would not fit in an index row
        # (PostgreSQL's btree limit is about 2.7 kB).
        keys = [(t, v) for t, v in blocking_keys(extractor.extract(record), identity.match) if len(v) <= MAX_KEY]
        if ident in customer_of:
            keys.append((CUSTOMER_KEY, customer_of[ident]))
        rows.extend(
            {"adapter": ident[0], "module": ident[1], "record_id": ident[2], "key_type": t, "key_value": v}
            for t, v in keys
        )
    with store.begin() as conn:
        for (adapter, module), ids in _group((r.adapter, r.module.value, r.id) for r in records):
            for start in range(0, len(ids), _CHUNK):
                conn.execute(delete(_keys).where(and_(
                    _keys.c.adapter == adapter, _keys.c.module == module,
                    _keys.c.record_id.in_(ids[start : start + _CHUNK]),
                )))
        for start in range(0, len(rows), 5_000):
            conn.execute(insert(_keys), rows[start : start + 5_000])
    return len(rows)


def sync_keys(
    store: Store, resolution: Resolution, identity: IdentityConfig, changed: Iterable[RecordRef] = ()
) -> int:
    """Bring the index in line with ``resolution`` after a sync, touching only what moved.

    Rewrites the keys of records pulled this run (``changed``) and of every record whose
    customer id differs from the indexed one (a merge or split elsewhere in the customer).
    Returns the number of records re-indexed.
    """
    indexed: dict[tuple[str, str, str], str] = {}
    with store.connect() as conn:
        query = select(_keys.c.adapter, _keys.c.module, _keys.c.record_id, _keys.c.key_value).where(
            _keys.c.key_type == CUSTOMER_KEY
        )
        indexed = {(a, m, i): v for a, m, i, v in conn.execute(query)}
    wanted = {(r.adapter, r.module.value, r.id) for r in changed}
    stale = [
        record
        for i, record in enumerate(resolution.records)
        if (ident := (record.adapter, record.module.value, record.id)) in wanted
        or indexed.get(ident) != resolution.customer_id(i)
    ]
    if stale:
        refresh_keys(store, stale, identity, resolution)
    return len(stale)


def rebuild_keys(store: Store, identity: IdentityConfig) -> Resolution:
    """Resolve every stored record and rewrite all identity keys (after a full sync)."""
    records = store.load_records()
    resolution = resolve(records, identity)
    with store.begin() as conn:
        conn.execute(delete(_keys))
    refresh_keys(store, resolution.records, identity, resolution)
    return resolution


def candidate_record(candidate: Mapping[str, Any]) -> Record:
    """The ``--record`` JSON as a :class:`Record` (``email``/``phone`` may be a string or a list)."""
    unknown = sorted(set(candidate) - set(CANDIDATE_FIELDS))
    if unknown:
        raise UsageError(f"unknown field(s) {', '.join(unknown)} in --record (known: {', '.join(CANDIDATE_FIELDS)})")
    values = dict(candidate)
    emails = _as_list(values.pop("email", None)) + _as_list(values.pop("emails", None))
    phones = _as_list(values.pop("phone", None)) + _as_list(values.pop("phones", None))
    domain = values.pop("domain", None)
    values.setdefault("website", domain)
    values.setdefault("adapter", "check")
    values.setdefault("module", Module.LEADS.value)
    values.setdefault("id", "candidate")
    try:
        return Record(emails=tuple(emails), phones=tuple(phones), **values)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False))
        raise UsageError(f"--record is not a valid record ({problems})") from None


def check(
    store: Store, candidate: Mapping[str, Any], config: Config, now: datetime,
    users: Mapping[str, User] | None = None,
) -> CheckVerdict:
    """Is ``candidate`` a known customer, who owns and pursues it, would it create a conflict?

    ``users`` (id → User) saves reading every user from the store on each call (the server
    keeps them); without it they are loaded. All reads share one read transaction and run as
    raw statements (:mod:`connector.identity_lookup`): about five per call.
    """
    identity = config.identity
    rule = config.rules.pursuit[0] if config.rules.pursuit else PursuitRule(name="default")
    record = candidate_record(candidate)
    extractor = _extractor(identity)
    features = extractor.extract(record)
    keys = blocking_keys(features, identity.match)
    with store.raw_read() as cursor:
        reader = CheckReader(store, cursor)
        found, skipped = _lookup(reader, keys, identity.max_block_size)
        # a record that shares none of the candidate's exact keys can only match under rules that
        # block on a name token, so it is compared (and its features extracted) for those only
        token_rules = [r for r in identity.match if (rule_key(r) or ("", True))[1]]
        token_fields = frozenset(s.name for r in token_rules for s in r.fields)
        evidence: list[str] = []
        matched: list[Found] = []
        own = (record.adapter, record.module, record.id)
        for other in found:
            if (other.record.adapter, other.record.module, other.record.id) == own:
                continue
            if other.by_exact_key:
                other_features, rules = extractor.extract(other.record), list(identity.match)
            else:
                other_features, rules = extractor.extract(other.record, token_fields), token_rules
            for match_rule in rules:
                fields = match_pair(match_rule, features, other_features, record, other.record)
                if fields is not None:
                    matched.append(other)
                    evidence.append(edge_sentence(fields, ["candidate", record_label(other.record)]))
                    break
        if matched:
            members = _members(reader, matched)
            idents = sorted((r.adapter, r.module.value, r.id) for group in members.values() for r in group.values())
            activities, changes = reader.activities(idents), reader.owner_changes(idents)
    customers: list[CheckCustomer] = []
    if matched:  # users are read outside the raw transaction (an in-memory SQLite has one connection)
        users = users if users is not None else {u.id: u for u in store.load_users()}
        customers = _customers(members, matched, activities, changes, rule, now, users)
    conflict = any(c.pursued and _conflicts(c, record.owner_id) for c in customers)
    return CheckVerdict(
        known=bool(matched), customers=customers, conflict=conflict, evidence=evidence, skipped_keys=skipped
    )


def _extractor(identity: IdentityConfig) -> FeatureExtractor:
    """One extractor per config object (building the free-mail set on every check costs)."""
    cached = _EXTRACTORS.get(id(identity))
    if cached is None or cached[0] is not identity:
        if len(_EXTRACTORS) > 8:
            _EXTRACTORS.clear()
        cached = _EXTRACTORS[id(identity)] = (identity, FeatureExtractor(identity))
    return cached[1]


_EXTRACTORS: dict[int, tuple[IdentityConfig, FeatureExtractor]] = {}


def _conflicts(customer: CheckCustomer, owner: str | None) -> bool:
    if owner is None:
        return len(customer.pursuers) >= 2
    return any(p != owner for p in customer.pursuers)


def _lookup(reader: CheckReader, keys: Sequence[tuple[str, str]], cap: int) -> tuple[list[Found], list[str]]:
    """Stored records sharing a key with the candidate, and the fuzzy tokens too common to use."""
    exact = [(t, v) for t, v in keys if not t.endswith(FUZZY_SUFFIX)]
    fuzzy = [(t, v) for t, v in keys if t.endswith(FUZZY_SUFFIX)]
    skipped: list[str] = []
    usable = []
    # one statement counts every fuzzy token's records (each count stops at cap + 1) ...
    for (key_type, key_value), count in zip(fuzzy, reader.key_counts(fuzzy, cap), strict=True):
        if count > cap:
            skipped.append(f"{key_type}{key_value}")
        elif count:
            usable.append((count, key_type, key_value))
    # ... and, like resolution, only the name's rarest tokens bring candidates (with the exact keys)
    rarest = [(t, v) for _, t, v in sorted(usable)[:RARE_TOKENS_PER_NAME]]
    return reader.records_with_keys(exact, rarest), skipped


def _members(reader: CheckReader, matched: Sequence[Found]) -> dict[str, dict[RecordRef, Record]]:
    """The records of every customer a matched record belongs to, by customer id."""
    ids = sorted({f.customer for f in matched if f.customer is not None})
    members: dict[str, dict[RecordRef, Record]] = {}
    for member in reader.customer_members(ids):
        members.setdefault(member.customer or "", {})[member.record.ref] = member.record
    for found in matched:  # records stored before a full resolution are their own customer
        if found.customer is None:
            members.setdefault(customer_id_for(found.record), {})[found.record.ref] = found.record
    return members


def _customers(
    members: Mapping[str, Mapping[RecordRef, Record]], matched: Sequence[Found], activities: Sequence[Activity],
    changes: Sequence[OwnerChange], rule: PursuitRule, now: datetime, users: Mapping[str, User],
) -> list[CheckCustomer]:
    snapshot = Snapshot(
        users=users,
        records=[r for group in members.values() for r in group.values()],
        activities=activities,
        owner_changes=changes,
    )
    index = ActivityIndex.from_snapshot(snapshot, now)
    matched_refs = {f.record.ref for f in matched}
    out: list[CheckCustomer] = []
    for customer in sorted(members):
        group = [members[customer][ref] for ref in sorted(members[customer], key=str)]
        everyone = collect_pursuers(range(len(group)), group, index)
        pursuers = active_pursuers(everyone, now - rule.active_within)
        keeper = None
        if len(pursuers) >= 2:
            case = Case(pursuers, everyone, group, range(len(group)), snapshot.users, rule, now)
            keeper = POLICIES[rule.resolve](case).keeper
        elif pursuers:
            keeper = pursuers[0].user
        out.append(CheckCustomer(
            customer=customer,
            records=[
                CheckRecord(adapter=r.adapter, module=r.module.value, id=r.id, owner_id=r.owner_id,
                            matched=r.ref in matched_refs)
                for r in group
            ],
            owners=sorted({r.owner_id for r in group if r.owner_id}),
            pursued=bool(pursuers),
            pursuers=[p.user for p in pursuers],
            keeper=keeper,
        ))
    return out


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _group(idents: Iterable[tuple[str, str, str]]) -> list[tuple[tuple[str, str], list[str]]]:
    grouped: dict[tuple[str, str], list[str]] = {}
    for adapter, module, record_id in idents:
        grouped.setdefault((adapter, module), []).append(record_id)
    return sorted(grouped.items())
