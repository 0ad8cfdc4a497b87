"""Properties of read-modify-write bodies and note cutting (pure functions of :mod:`adapters.webhook.rmw`)."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from adapters.webhook.config_write import Merge, WriteEndpoint
from adapters.webhook.rmw import build_body, cut, merged_list

ids = st.text(alphabet="abcdef0123456789-", min_size=1, max_size=8)


@given(existing=st.lists(ids, max_size=6), tag_id=ids)
def test_merging_keeps_every_existing_id_adds_ours_once_and_is_idempotent(
    existing: list[str], tag_id: str
) -> None:
    merge = Merge(field="tagsIds", current="tagsIds", add="{tag_id}")
    merged, present = merged_list(merge, {"tagsIds": existing}, {"tag_id": tag_id})
    assert present == (tag_id in existing)
    result = existing if present else merged
    assert result[: len(existing)] == existing and tag_id in result
    _, again = merged_list(merge, {"tagsIds": result}, {"tag_id": tag_id})
    assert again


@given(existing=st.lists(ids, max_size=5, unique=True), tag_id=ids)
def test_tag_objects_compare_by_key_and_text_lists_keep_their_separator(
    existing: list[str], tag_id: str
) -> None:
    objects = Merge(field="labels", current="labels", add={"id": "{tag_id}"}, key="id")
    merged, present = merged_list(
        objects, {"labels": [{"id": i, "name": i.upper()} for i in existing]}, {"tag_id": tag_id}
    )
    assert present == (tag_id in existing)
    if not present:
        assert merged[-1] == {"id": tag_id} and [m["id"] for m in merged[:-1]] == existing
    text = Merge(field="p.t", current="p.t", add="{tag}", separator=";")
    joined, present = merged_list(text, {"p": {"t": ";".join(existing)}}, {"tag": tag_id})
    if not present:
        assert joined.split(";") == [*existing, tag_id]


def test_a_whole_record_body_drops_read_only_keys_and_sets_the_merged_list() -> None:
    endpoint = WriteEndpoint.model_validate(
        {
            "method": "PUT",
            "path": "/deals/{id}",
            "current": {"path": "/deals/{id}", "item": "data"},
            "whole": True,
            "drop": ["id", "updated_at"],
            "body": {"meta": {"by": "referee"}},
            "merge": {"field": "tags", "current": "tags", "add": "{tag}"},
        }
    )
    current: dict[str, Any] = {"id": "7", "title": "Deal", "updated_at": "x", "tags": ["a"], "meta": {"v": 1}}
    body, settled = build_body(endpoint, current, {"tag": "b"})
    assert settled is None
    assert body == {"title": "Deal", "tags": ["a", "b"], "meta": {"v": 1, "by": "referee"}}
    assert current["tags"] == ["a"]  # the record read is not changed


@given(text=st.text(max_size=300), limit=st.integers(min_value=2, max_value=200))
def test_cut_text_fits_the_limit_and_is_marked(text: str, limit: int) -> None:
    out, was_cut = cut(text, limit)
    assert out is not None and len(out) <= limit
    assert was_cut == (len(text) > limit)
    if was_cut and "[crm-referee ref " not in text:
        assert out.endswith("…") and text.startswith(out[:-1])
    elif not was_cut:
        assert out == text


@given(text=st.text(min_size=1, max_size=3000), limit=st.integers(min_value=60, max_value=2000))
def test_a_cut_note_keeps_its_key_footer(text: str, limit: int) -> None:
    """The footer is how another run or store recognises the note: never cut off."""
    from connector.notes import carries_key, footer

    note = f"{text}\n\n{footer('k' * 24)}"
    out, was_cut = cut(note, limit)
    assert out is not None and len(out) <= limit and carries_key(out, "k" * 24)
    assert was_cut == (len(note) > limit)


@given(path=st.text(max_size=40), add=st.text(max_size=30))
def test_any_write_config_text_is_accepted_or_refused_with_a_message(path: str, add: str) -> None:
    from pydantic import ValidationError

    try:
        WriteEndpoint.model_validate(
            {
                "path": "/l/{id}",
                "current": {"path": "/l/{id}"},
                "success": path,
                "merge": {"field": "t", "current": "t", "add": add},
            }
        )
    except ValidationError as exc:
        assert all(error["msg"] for error in exc.errors())
