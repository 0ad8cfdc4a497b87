"""Write sections of the HubSpot, Pipedrive and Salesforce example configs, each against its fake.

``sync --apply`` runs in process on each shipped config (the fake's address put in); then the
pattern each API is there to show is checked on the adapter: a batch answer with failed items,
a conditional write refused by ``If-Match``, a label created once and merged, integer ids, and
field errors that reach the result shortened.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.webhook.adapter import WebhookAdapter
from connector.config import parse_config
from connector.domain import Action, ActionStatus, ActionType, Module, RecordRef, action_key
from connector.store import Store
from connector.sync import SyncOptions, run_sync
from tests.adapters.webhook.test_examples_e2e import ENV, NOW, Example, _example


@pytest.fixture(params=["hubspot", "pipedrive", "salesforce"])
def example(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Example]:
    yield from _example(request.param, tmp_path)


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Example]:
    yield from _example("hubspot", tmp_path)


@pytest.fixture
def pd(tmp_path: Path) -> Iterator[Example]:
    yield from _example("pipedrive", tmp_path)


@pytest.fixture
def sf(tmp_path: Path) -> Iterator[Example]:
    yield from _example("salesforce", tmp_path)


def apply_sync(example: Example, store: Store) -> list[Any]:
    adapter = example.adapter(store)
    report = run_sync(example.config, store, {example.name: adapter}, SyncOptions(now=NOW, apply=True))
    return report.results


def act(example: Example, type_: ActionType, module: Module, ident: str, **values: Any) -> Action:
    target = RecordRef(adapter=example.name, module=module, id=ident)
    key = action_key(type_, target, str(values))
    return Action(type=type_, target=target, reason="test", rule="test", idempotency_key=key, **values)


def adapter_with(example: Example, change: Any) -> WebhookAdapter:
    """The example's adapter after ``change`` edited its parsed ``write`` table."""
    import tomllib

    data = tomllib.loads(example.path.read_text(encoding="utf-8"))
    change(data["adapters"][example.name]["write"])
    section = parse_config(data, environ=ENV[example.name]).adapters[example.name]
    return WebhookAdapter(example.name, section, store=None, default_tz="UTC", clock=lambda: NOW)  # type: ignore[arg-type]


def test_every_action_of_the_example_lands_once_and_a_second_run_writes_nothing(example: Example) -> None:
    store = Store.open(example.state)
    try:
        results = apply_sync(example, store)
        statuses = Counter((r.action.type.value, r.status.value) for r in results)
        assert statuses[("reassign", "applied")] == 1 and statuses[("note", "applied")] == 2, results
        assert statuses[("flag", "applied")] == (1 if example.name == "pipedrive" else 2)
        assert not [r for r in results if r.status == ActionStatus.FAILED], results
        writes = example.crm.writes()
        assert apply_sync(example, store) == []
        assert example.crm.writes() == writes
    finally:
        store.close()


def test_pipedrive_creates_the_label_once_merges_label_ids_and_sends_integer_owners(pd: Example) -> None:
    lead_id = "adf21080-0e10-11eb-879b-05d71fb426ec"
    lead = next(lead for lead in pd.crm.leads if lead["id"] == lead_id)
    hot = next(iter(pd.crm.labels))
    lead["label_ids"] = [hot]
    adapter = pd.adapter(None)
    results = adapter.apply(
        [
            act(pd, ActionType.FLAG, Module.LEADS, lead_id, tag="referee:conflict"),
            act(pd, ActionType.FLAG, Module.LEADS, lead_id, tag="Hot"),  # already there: nothing sent
            act(pd, ActionType.REASSIGN, Module.LEADS, lead_id, new_owner_id="11", previous_owner_id="12"),
            act(pd, ActionType.FLAG, Module.CONTACTS, "301", tag="referee:conflict"),
        ]
    )
    assert [r.status.value for r in results] == ["applied", "applied", "applied", "skipped"]
    [created] = [label for label in pd.crm.labels.values() if label["name"] == "referee:conflict"]
    assert lead["label_ids"] == [hot, created["id"]] and lead["owner_id"] == 11
    assert results[1].message == "label_ids already has it; nothing sent"
    assert 'add a [[adapters.pipedrive.write.flag]] with module = "Contacts"' in results[3].message
    assert pd.crm.calls("POST", r"/v1/leadLabels") == 1 and pd.crm.calls("PATCH", r"/v1/leads/.*") == 2


def test_pipedrive_skips_a_reassign_when_a_person_moved_the_person_meanwhile(pd: Example) -> None:
    [result] = pd.adapter(None).apply(
        [act(pd, ActionType.REASSIGN, Module.CONTACTS, "301", new_owner_id="12", previous_owner_id="13")]
    )
    assert result.status is ActionStatus.SKIPPED
    assert result.message == "the owner changed since the plan (expected 13, the CRM has 11); not overwritten"
    assert pd.crm.calls("PUT", r"/v1/persons/301") == 0


def test_pipedrive_field_errors_come_back_shortened(pd: Example) -> None:
    adapter = adapter_with(pd, lambda write: write["reassign"][0].pop("numbers"))
    lead_id = "adf21080-0e10-11eb-879b-05d71fb426ec"
    [result] = adapter.apply(
        [act(pd, ActionType.REASSIGN, Module.LEADS, lead_id, new_owner_id="11", previous_owner_id="12")]
    )
    assert result.status is ActionStatus.FAILED
    assert result.message == (
        "PATCH /leads/{id} answered HTTP 400: Validation failed: owner_id: Expected number, received str"
    )


def test_salesforce_if_match_turns_a_save_in_between_into_a_skip(sf: Example) -> None:
    sf.crm.meddle.add("00Q000000000001")  # a person saves the lead right after our read
    [result] = sf.adapter(None).apply(
        [
            act(
                sf,
                ActionType.REASSIGN,
                Module.LEADS,
                "00Q000000000001",
                new_owner_id="005000000000BBB",
                previous_owner_id="005000000000AAA",
            )
        ]
    )
    assert result.status is ActionStatus.SKIPPED
    assert result.message.startswith("changed meanwhile in salesforce (HTTP 412): The record was modified")
    assert sf.crm.objects["Lead"]["00Q000000000001"]["OwnerId"] == "005000000000AAA"


def test_salesforce_conditional_reassign_lands_and_a_bad_owner_is_a_field_error(sf: Example) -> None:
    adapter = sf.adapter(None)
    good, bad = adapter.apply(
        [
            act(
                sf,
                ActionType.REASSIGN,
                Module.LEADS,
                "00Q000000000001",
                new_owner_id="005000000000BBB",
                previous_owner_id="005000000000AAA",
            ),
            act(
                sf,
                ActionType.REASSIGN,
                Module.LEADS,
                "00Q000000000002",
                new_owner_id="005NOBODY",
                previous_owner_id="005000000000AAA",
            ),
        ]
    )
    assert good.status is ActionStatus.APPLIED and good.message == ""
    assert sf.crm.objects["Lead"]["00Q000000000001"]["OwnerId"] == "005000000000BBB"
    assert bad.status is ActionStatus.FAILED
    assert bad.message == (
        "PATCH /sobjects/{module}/{id} answered HTTP 400: Owner ID: id value of incorrect type: 005NOBODY "
        "(field OwnerId: FIELD_INTEGRITY_EXCEPTION)"
    )


def test_salesforce_finds_an_existing_topic_by_soql(sf: Example) -> None:
    adapter = sf.adapter(None)
    first, second = adapter.apply(
        [
            act(sf, ActionType.FLAG, Module.LEADS, "00Q000000000001", tag="vip"),
            act(sf, ActionType.FLAG, Module.CONTACTS, "003000000000001", tag="vip"),
        ]
    )
    assert first.status is second.status is ActionStatus.APPLIED
    other = sf.adapter(None)  # a new run looks the topic up again, and finds it
    [third] = other.apply([act(sf, ActionType.FLAG, Module.LEADS, "00Q000000000002", tag="vip")])
    assert third.status is ActionStatus.APPLIED
    assert len(sf.crm.objects["Topic"]) == 1 and len(sf.crm.objects["TopicAssignment"]) == 3


def test_hubspot_batch_answer_with_a_failed_item_is_failed(hub: Example) -> None:
    def no_reread(write: dict[str, Any]) -> None:
        for key in ("current", "expect_owner"):
            write["reassign"].pop(key)

    adapter = adapter_with(hub, no_reread)
    [result] = adapter.apply(
        [act(hub, ActionType.REASSIGN, Module.CONTACTS, "999", new_owner_id="101", previous_owner_id="102")]
    )
    assert result.status is ActionStatus.FAILED
    assert result.message == (
        "POST /crm/v3/objects/{module}/batch/update answered 207 but did not do it (success = status == "
        "'COMPLETE' && !errors is not true): Could not get some contacts objects, they may be deleted or not "
        "exist. Check that ids are valid."
    )


def test_hubspot_tags_merge_into_the_semicolon_list_and_invalid_options_name_the_field(hub: Example) -> None:
    hub.crm.objects["contacts"]["501"]["properties"]["referee_tags"] = "vip"
    adapter = hub.adapter(None)
    ok, refused = adapter.apply(
        [
            act(hub, ActionType.FLAG, Module.CONTACTS, "501", tag="referee:conflict"),
            act(hub, ActionType.FLAG, Module.CONTACTS, "502", tag="not-an-option"),
        ]
    )
    assert ok.status is ActionStatus.APPLIED
    assert hub.crm.objects["contacts"]["501"]["properties"]["referee_tags"] == "vip;referee:conflict"
    assert refused.status is ActionStatus.FAILED
    assert refused.message.startswith(
        "PATCH /crm/v3/objects/{module}/{id} answered HTTP 400: Property values"
    )
    words = refused.message.split("HTTP 400: ", 1)[1]  # the CRM's words, shortened to one line
    assert words.endswith("(field referee_tags: INVALID_OPTION)") and len(words) <= 200
