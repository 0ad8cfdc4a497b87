"""Identity keys in the store and the one-record ``check`` verdict."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from connector.config import parse_config
from connector.domain import Activity, ActivityKind, Module, Record, User
from connector.errors import UsageError
from connector.identity_index import candidate_record, check, rebuild_keys, refresh_keys
from connector.store import Store

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
CONFIG = parse_config({"rules": {"pursuit": [{"name": "dup", "active_within": "30d"}]}}, environ={})


def rec(id_: str, owner: str, module: Module = Module.LEADS, **fields: object) -> Record:
    return Record(adapter="zoho", module=module, id=id_, owner_id=owner, created_at=NOW - timedelta(days=50),
                  **fields)  # type: ignore[arg-type]


@pytest.fixture
def store(make_store: Callable[[str], Store]) -> Store:
    return _filled(make_store("sqlite://"))


def _filled(store: Store) -> Store:
    records = [
        rec("L1", "u1", company="北京字节跳动科技有限公司", emails=("a@bytedance.com",)),
        rec("C7", "u2", Module.CONTACTS, company="字节跳动科技", city="北京", phones=("13800138000",)),
        rec("L2", "u3", company="华为终端有限公司", city="深圳"),
    ]
    store.upsert_users("zoho", [User(id="u1", name="Ann"), User(id="u2", name="Bo"), User(id="u3", name="Cy")])
    store.upsert_records(records, seen_at=NOW)
    store.upsert_activities([
        Activity(id="a1", adapter="zoho", record=records[0].ref, owner_id="u1", kind=ActivityKind.CALL,
                 occurred_at=NOW - timedelta(days=2)),
    ])
    rebuild_keys(store, CONFIG.identity)
    return store


def test_known_customer_with_owner_and_keeper(store: Store) -> None:
    verdict = check(store, {"company": "字节跳动科技（北京）有限公司", "city": "北京市"}, CONFIG, NOW)
    assert verdict.known
    [customer] = verdict.customers
    assert [r.id for r in customer.records] == ["C7", "L1"]
    assert customer.owners == ["u1", "u2"]
    assert customer.pursued and customer.pursuers == ["u1"] and customer.keeper == "u1"
    assert not verdict.conflict
    assert verdict.evidence[0].startswith("company name 字节跳动科技（北京）有限公司 ≈ ")


def test_new_owner_on_pursued_customer_is_a_conflict(store: Store) -> None:
    verdict = check(store, {"email": "A@ByteDance.com", "owner_id": "u9"}, CONFIG, NOW)
    assert verdict.known and verdict.conflict
    assert verdict.evidence == ["same email a@bytedance.com on candidate and Leads/L1"]


def test_unknown_company_and_similar_name_stay_apart(store: Store) -> None:
    assert not check(store, {"company": "华为技术有限公司", "city": "深圳"}, CONFIG, NOW).known
    assert not check(store, {"company": "Globex"}, CONFIG, NOW).known


def test_refresh_keys_replaces_a_records_keys(store: Store) -> None:
    moved = rec("L2", "u3", company="Initech", city="Austin")
    store.upsert_records([moved], seen_at=NOW)
    assert refresh_keys(store, [moved], CONFIG.identity) > 0
    assert not check(store, {"company": "华为终端", "city": "深圳"}, CONFIG, NOW).known
    assert check(store, {"company": "Initech LLC", "city": "Austin"}, CONFIG, NOW).known


def test_bad_candidate_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown field"):
        candidate_record({"compnay": "x"})
    assert candidate_record({"email": "a@b.com", "phones": ["1", "2"]}).phones == ("1", "2")


@pytest.mark.parametrize(
    "candidate",
    [
        pytest.param({"company": "字节跳动科技（北京）有限公司", "city": "北京市", "owner_id": "u3"}, id="by-name"),
        pytest.param({"email": "A@ByteDance.com", "phone": "+86 138 0013 8000"}, id="by-email-and-phone"),
        pytest.param({"company": "华为终端", "city": "深圳"}, id="own-customer"),
        pytest.param({"company": "Globex"}, id="unknown"),
    ],
)
def test_check_answers_the_same_on_sqlite_files_and_postgresql(
    make_store: Callable[[str], Store], store_url: str, candidate: dict[str, object]
) -> None:
    """``check`` reads with raw DB-API statements: the placeholders and date types differ per driver."""
    expected = check(_filled(make_store("sqlite://")), candidate, CONFIG, NOW)
    actual = check(_filled(make_store(store_url)), candidate, CONFIG, NOW)
    assert actual == expected
    assert expected.known == ("Globex" not in str(candidate))


def test_users_passed_in_give_the_same_verdict_as_users_read_from_the_store(store: Store) -> None:
    users = {u.id: u for u in store.load_users()}
    candidate = {"email": "a@bytedance.com", "owner_id": "u9"}
    assert check(store, candidate, CONFIG, NOW, users) == check(store, candidate, CONFIG, NOW)
