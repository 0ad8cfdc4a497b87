"""Resolution: exact and fuzzy rules, explanations, order independence, symmetry, block caps."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from connector.domain import Module, Record
from rules.identity.config import IdentityConfig, MatchRule
from rules.identity.explain import explain_edges
from rules.identity.features import FeatureExtractor
from rules.identity.keys import blocking_keys
from rules.identity.match import match_pair
from rules.identity.resolve import resolve

CONFIG = IdentityConfig()


def rec(id_: str, module: Module = Module.LEADS, **fields: object) -> Record:
    return Record(adapter="zoho", module=module, id=id_, **fields)  # type: ignore[arg-type]


def clusters(records: list[Record], config: IdentityConfig = CONFIG) -> set[frozenset[str]]:
    result = resolve(records, config)
    return {frozenset(result.records[i].id for i in result.members(i)) for i in range(len(result.records))}


WORLD = [
    rec("L1", company="北京字节跳动科技有限公司", emails=("Ann@ByteDance.com",)),
    rec("C7", Module.CONTACTS, company="字节跳动科技", city="北京市"),
    rec("L2", company="华为技术有限公司", city="深圳"),
    rec("L3", company="华为终端有限公司", city="深圳"),
    rec("L4", emails=("ann@bytedance.com",), phones=("13800138000",)),
    rec("L5", phones=("(+86)138 0013 8000",)),
    rec("A1", Module.ACCOUNTS, company="Acme Inc", website="https://www.acme.co.uk/about"),
    rec("D1", Module.DEALS, account_id="A1"),
    rec("L6", company="ACME Ltd", emails=("bob@acme.co.uk",)),
    rec("L7", company="Globex", emails=("x@qq.com",)),
    rec("L8", company="Initech", emails=("y@qq.com",)),
]


def test_world_resolves_into_expected_customers() -> None:
    assert clusters(WORLD) == {
        frozenset({"L1", "C7", "L4", "L5"}),
        frozenset({"L2"}),
        frozenset({"L3"}),
        frozenset({"A1", "D1", "L6"}),
        frozenset({"L7"}),
        frozenset({"L8"}),
    }


def test_free_mail_domain_does_not_merge_companies() -> None:
    assert frozenset({"L7", "L8"}) not in clusters(WORLD)


def test_explanations_are_plain_sentences() -> None:
    result = resolve(WORLD, CONFIG)
    by_id = {r.id: i for i, r in enumerate(result.records)}
    sentences = {
        s for root in result.edges for _, s in explain_edges(result.edges[root], result.records)
    }
    assert sentences == {
        "same email ann@bytedance.com on Leads/L1 and Leads/L4",
        "same phone +8613800138000 on Leads/L4 and Leads/L5",
        "same web domain acme.co.uk on Accounts/A1 and Leads/L6",
        "same account A1 on Accounts/A1 and Deals/D1",
        "company name 字节跳动科技 ≈ 北京字节跳动科技有限公司 (score 1.00 ≥ 0.92) in 北京 on Contacts/C7 and Leads/L1",
    }
    assert result.customer_id(by_id["L1"]) == result.customer_id(by_id["C7"])
    assert result.customer_id(by_id["L2"]) != result.customer_id(by_id["L3"])


def test_fuzzy_rule_with_typo_and_city() -> None:
    config = IdentityConfig(match=(MatchRule(name="name-and-city", on=("company~0.85", "city")),))
    records = [
        rec("L1", company="Acme Robotics GmbH", city="Berlin"),
        rec("L2", company="ACME Robotcs", city="berlin"),
        rec("L3", company="Acme Robotics", city="Munich"),
    ]
    assert clusters(records, config) == {frozenset({"L1", "L2"}), frozenset({"L3"})}
    result = resolve(records, config)
    [(rule, sentence)] = explain_edges(next(iter(result.edges.values())), result.records)
    assert rule == "name-and-city"
    assert sentence == (
        "company name Acme Robotics GmbH ≈ ACME Robotcs (score 0.96 ≥ 0.85) in berlin on Leads/L1 and Leads/L2"
    )


def test_block_cap_is_counted_not_silent() -> None:
    config = IdentityConfig(match=(MatchRule(name="n", on=("company~0.95",)),), max_block_size=3)
    records = [rec(f"L{i}", company=f"北京星河科技{i}号有限公司") for i in range(6)]
    result = resolve(records, config)
    assert result.stats.capped_blocks > 0
    assert result.stats.largest_capped_block == 6


def test_blocking_keys_cover_fuzzy_tokens_and_exact_values() -> None:
    feats = FeatureExtractor(CONFIG).extract(WORLD[0])
    keys = blocking_keys(feats, CONFIG.match)
    assert ("email", "ann@bytedance.com") in keys
    assert ("domain", "bytedance.com") in keys
    assert ("company", "字节跳动科技") in keys
    assert ("company~", "跳动") in keys
    assert keys == sorted(set(keys))


_names = st.sampled_from([
    "北京字节跳动科技有限公司", "字节跳动科技", "华为技术有限公司", "华为终端有限公司", "Acme Inc", "ACME Ltd",
    "Acme Robotics", "Globex", None,
])
_emails = st.sampled_from([(), ("a@acme.com",), ("b@acme.com",), ("c@qq.com",), ("A@Acme.com ",)])
_phones = st.sampled_from([(), ("13800138000",), ("+86 138 0013 8000",), ("(415) 555-0100",)])
_cities = st.sampled_from([None, "北京", "北京市", "深圳", "Berlin"])


@st.composite
def worlds(draw: st.DrawFn) -> list[Record]:
    size = draw(st.integers(min_value=1, max_value=12))
    return [
        rec(f"R{i}", draw(st.sampled_from(list(Module))), company=draw(_names), emails=draw(_emails),
            phones=draw(_phones), city=draw(_cities))
        for i in range(size)
    ]


@settings(max_examples=60, deadline=None)
@given(worlds(), st.randoms(use_true_random=False))
def test_clustering_does_not_depend_on_record_order(records: list[Record], rnd: random.Random) -> None:
    shuffled = list(records)
    rnd.shuffle(shuffled)
    first, second = resolve(records, CONFIG), resolve(shuffled, CONFIG)
    assert first.roots == second.roots
    assert first.edges == second.edges


@settings(max_examples=80, deadline=None)
@given(worlds())
def test_matching_is_symmetric(records: list[Record]) -> None:
    extractor = FeatureExtractor(CONFIG)
    feats = [extractor.extract(r) for r in records]
    for rule in CONFIG.match:
        for i in range(len(records)):
            for j in range(len(records)):
                forward = match_pair(rule, feats[i], feats[j], records[i], records[j])
                backward = match_pair(rule, feats[j], feats[i], records[j], records[i])
                assert (forward is None) == (backward is None)


def test_record_without_city_joins_the_only_city_with_that_name() -> None:
    records = [
        rec("L1", company="北京华信科技有限公司"),
        rec("L2", company="华信科技有限公司"),
        rec("L3", company="Initech LLC", city="Austin"),
        rec("L4", company="Initech", city="Boston"),
        rec("L5", company="INITECH"),
    ]
    assert clusters(records) == {
        frozenset({"L1", "L2"}), frozenset({"L3"}), frozenset({"L4"}), frozenset({"L5"}),
    }
    result = resolve(records, CONFIG)
    [(_, sentence)] = explain_edges(next(iter(result.edges.values())), result.records)
    assert sentence == (
        "company name 北京华信科技有限公司 ≈ 华信科技有限公司 (score 1.00 ≥ 0.92) in 北京 (one record has no city; "
        "北京 is the only city with this name) on Leads/L1 and Leads/L2"
    )
