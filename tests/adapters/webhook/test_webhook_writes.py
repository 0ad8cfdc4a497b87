"""Writes of the generic adapter against the fake EspoCRM, configured by ``examples/espo-crm/config.toml``.

Each write pattern of issue 12 on the path a sync takes (``WebhookAdapter.apply`` over HTTP to
the fake): read-modify-write of tag ids, a tag created by name, the owner re-read before a
reassign, a 200 that did nothing, a note cut to the CRM's limit, and CRM error bodies.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from adapters.webhook.adapter import WebhookAdapter
from connector.config import parse_config
from connector.domain import ActionStatus, ActionType, Module, RecordRef
from examples.fakes.base import Running, serve
from examples.fakes.espo import DEFAULT_KEY, POST_MAX_LENGTH, EspoCrm
from tests.adapters.webhook.webhook_builders import NOW, an_action
from tests.cli.conftest import ROOT

ENV = {"ESPO_API_KEY": DEFAULT_KEY, "ESPO_WEBHOOK_SECRET": "espo-webhook-secret"}


class Espo:
    """The fake EspoCRM running, and adapters built from the example config pointed at it."""

    def __init__(self) -> None:
        self.running: Running = serve(EspoCrm())
        self.crm: EspoCrm = self.running.crm  # type: ignore[assignment]

    def adapter(self, change: Callable[[dict[str, Any]], None] | None = None) -> WebhookAdapter:
        """``change`` edits the parsed ``[adapters.espo.write]`` table first."""
        text = (ROOT / "examples/espo-crm/config.toml").read_text(encoding="utf-8")
        data = tomllib.loads(text.replace("http://127.0.0.1:8766/api/v1", f"{self.running.url}/api/v1"))
        if change is not None:
            change(data["adapters"]["espo"]["write"])
        section = parse_config(data, environ=ENV).adapters["espo"]
        return WebhookAdapter("espo", section, store=None, default_tz="UTC", clock=lambda: NOW)  # type: ignore[arg-type]


@pytest.fixture
def espo() -> Iterator[Espo]:
    fake = Espo()
    try:
        yield fake
    finally:
        fake.running.stop()


def action(type_: ActionType, record_id: str, module: Module = Module.LEADS, **values: Any) -> Any:
    base = an_action(type_, record_id, **values)
    return base.model_copy(update={"target": RecordRef(adapter="espo", module=module, id=record_id)})


def apply_one(adapter: WebhookAdapter, act: Any) -> Any:
    [result] = adapter.apply([act])
    assert "Traceback" not in result.message
    return result


def test_a_flag_merges_the_tag_id_into_the_current_list_and_creates_the_tag_once(
    espo: Espo,
) -> None:
    crm, adapter = espo.crm, espo.adapter()
    first = apply_one(adapter, action(ActionType.FLAG, "L1", tag="hot"))
    second = apply_one(adapter, action(ActionType.FLAG, "C1", Module.CONTACTS, tag="hot"))

    assert first.status is second.status is ActionStatus.APPLIED
    [hot] = [t["id"] for t in crm.tags.values() if t["name"] == "hot"]
    assert crm.records["Lead"]["L1"]["tagsIds"] == ["tag-vip", hot]  # the existing tag is kept
    assert crm.records["Contact"]["C1"]["tagsIds"] == [hot]
    assert crm.calls("POST", r"/api/v1/Tag") == 1 and crm.calls("GET", r"/api/v1/Tag") == 1  # cached


def test_an_existing_tag_is_found_by_name_and_a_record_that_has_it_is_not_written(
    espo: Espo,
) -> None:
    crm, adapter = espo.crm, espo.adapter()
    result = apply_one(adapter, action(ActionType.FLAG, "L1", tag="vip"))

    assert result.status is ActionStatus.APPLIED and "already has it; nothing sent" in result.message
    assert crm.calls("POST", r"/api/v1/Tag") == 0 and crm.writes() == 0


def test_a_missing_tag_without_create_fails_naming_the_fix(espo: Espo) -> None:
    crm = espo.crm
    adapter = espo.adapter(lambda write: write["flag"]["tag_lookup"].pop("create"))
    result = apply_one(adapter, action(ActionType.FLAG, "L2", tag="new-one"))

    assert result.status is ActionStatus.FAILED
    assert (
        result.message == 'espo has no tag named "new-one" (create it in the CRM, or add tag_lookup.create)'
    )
    assert crm.writes() == 0


def test_a_reassign_rereads_the_owner_and_skips_a_record_a_person_moved(
    espo: Espo,
) -> None:
    crm, adapter = espo.crm, espo.adapter()
    crm.set_owner("Lead", "L2", "u-wang")  # a person moved it after the plan saw u-zhang
    result = apply_one(
        adapter, action(ActionType.REASSIGN, "L2", new_owner_id="u-li", previous_owner_id="u-zhang")
    )

    assert result.status is ActionStatus.SKIPPED
    assert result.message == (
        "the owner changed since the plan (expected u-zhang, the CRM has u-wang); not overwritten"
    )
    assert crm.records["Lead"]["L2"]["assignedUserId"] == "u-wang" and crm.writes() == 0


def test_a_reassign_lands_when_the_owner_is_still_the_one_planned(espo: Espo) -> None:
    crm, adapter = espo.crm, espo.adapter()
    result = apply_one(
        adapter, action(ActionType.REASSIGN, "L2", new_owner_id="u-li", previous_owner_id="u-zhang")
    )

    assert result.status is ActionStatus.APPLIED and result.applied_at == NOW
    row = crm.records["Lead"]["L2"]
    assert row["assignedUserId"] == "u-li" and row["modifiedById"] == "u-api-referee"
    again = apply_one(
        adapter, action(ActionType.REASSIGN, "L2", new_owner_id="u-li", previous_owner_id="u-zhang")
    )
    assert again.status is ActionStatus.APPLIED and again.message == "already owned by u-li; nothing sent"
    assert crm.calls("PUT", r"/api/v1/Lead/L2") == 1


def test_a_200_that_did_nothing_is_failed_with_the_crms_message(espo: Espo) -> None:
    crm, adapter = espo.crm, espo.adapter()
    result = apply_one(
        adapter, action(ActionType.REASSIGN, "L2", new_owner_id="u-gone", previous_owner_id="u-zhang")
    )

    assert result.status is ActionStatus.FAILED and result.applied_at is None
    assert result.message == (
        "PUT /{module}/{id} answered 200 but did not do it (success = !error is not true): "
        "Former Rep is not active; the assignment was not changed."
    )
    assert crm.records["Lead"]["L2"]["assignedUserId"] == "u-zhang"


def test_a_long_note_is_cut_to_max_length_and_marked(espo: Espo) -> None:
    crm, adapter = espo.crm, espo.adapter()
    text = "crm-referee: " + "word " * 1000
    result = apply_one(adapter, action(ActionType.NOTE, "L3", text=text))

    assert result.status is ActionStatus.APPLIED
    assert result.message == (
        f"text cut to 2000 of {len(text)} characters (write.max_length); the full text is in the journal"
    )
    [posted] = [n for n in crm.notes if n["parentId"] == "L3"]
    assert len(posted["post"]) <= POST_MAX_LENGTH and posted["post"].endswith("…")
    assert text.startswith(posted["post"][:-1])


def test_field_errors_of_the_crm_are_in_the_result_shortened(espo: Espo) -> None:
    crm = espo.crm
    raw = espo.adapter(lambda write: write["note"].pop("max_length"))
    result = apply_one(raw, action(ActionType.NOTE, "L3", text="x" * 5000))

    assert result.status is ActionStatus.FAILED
    assert result.message == (
        "POST /Note answered HTTP 400: Validation failure: field post is not maxLength. (field post: maxLength)"
    )
    assert not [n for n in crm.notes if n["parentId"] == "L3"]


def test_a_record_gone_from_the_crm_is_skipped_before_writing(espo: Espo) -> None:
    crm, adapter = espo.crm, espo.adapter()
    crm.delete("Lead", "L2")
    result = apply_one(adapter, action(ActionType.FLAG, "L2"))
    assert (
        result.status is ActionStatus.SKIPPED
        and "answered 404: the record is gone from espo" in result.message
    )


def test_a_success_path_that_fails_on_the_answer_is_a_failed_write_not_a_traceback(
    espo: Espo,
) -> None:
    broken = espo.adapter(lambda write: write["note"].update(success="length(error)"))
    result = apply_one(broken, action(ActionType.NOTE, "L3", text="crm-referee: hello"))
    assert result.status is ActionStatus.FAILED
    assert result.message.startswith('POST /Note answered 200, but success path "length(error)" failed:')


def test_the_journal_keeps_the_full_text_of_a_cut_note(espo: Espo, tmp_path: Any) -> None:
    from connector.store import Store
    from connector.sync import apply_actions

    text = "crm-referee: " + "long " * 800
    note = action(ActionType.NOTE, "L3", text=text)
    store = Store.open(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        store.journal_plan("run-1", [note], now=NOW)
        [result] = apply_actions(store, {"espo": espo.adapter()}, [note], run_id="run-1", now=NOW)
        [entry] = store.list_journal()
    finally:
        store.close()
    assert result.status is ActionStatus.APPLIED and "cut to 2000" in entry.message
    assert entry.action.text == text and len(text) > 2000
    [posted] = [n for n in espo.crm.notes if n["parentId"] == "L3"]
    assert len(posted["post"]) == 2000 and posted["post"].endswith(f"…\n\n[crm-referee ref {note.idempotency_key}]")
