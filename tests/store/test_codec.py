"""Pure row/model conversions (no database)."""

from __future__ import annotations

import pytest

from connector.domain import Module, Record
from connector.store import codec
from tests.store.builders import NOW, a_record


@pytest.mark.parametrize(
    "values",
    [
        pytest.param(("a@x.io",), id="one"),
        pytest.param(("a@x.io", "b@x.io", "c"), id="several"),
        pytest.param(('say "hi"', "back\\slash"), id="quote-and-backslash"),
        pytest.param(('a","b', ","), id="separator-inside"),
        pytest.param(("multi\nline", "tab\t"), id="control-characters"),
        pytest.param(("张伟", "Łódź", "emoji 🙂"), id="unicode"),
        pytest.param(("", " "), id="empty-and-blank"),
    ],
)
def test_string_lists_round_trip(values: tuple[str, ...]) -> None:
    text = codec.dump_json(values)
    assert text is not None
    assert codec.load_strings(text) == values


def test_empty_lists_and_mappings_are_stored_as_null() -> None:
    assert codec.dump_json(()) is None
    assert codec.dump_json({}) is None
    assert codec.load_tuple(None) == ()
    assert codec.load_mapping(None) == {}


def test_a_record_built_from_a_row_behaves_like_a_validated_one() -> None:
    record = a_record(created_at=NOW, emails=("a@x.io",), tags=("vip",), extra={"k": [1]})
    row = codec.record_to_row(record, NOW)
    built = codec.row_to_record(tuple(row[name] for name in codec.RECORD_FIELDS))

    assert built == record
    assert built.model_fields_set == set(Record.model_fields)
    assert built.model_dump() == record.model_dump()
    assert built.model_copy(update={"owner_id": "u9"}).owner_id == "u9"
    assert built.module is Module.LEADS
    assert hash(built.ref) == hash(record.ref)
    with pytest.raises(ValueError, match="frozen"):
        built.owner_id = "u2"  # type: ignore[misc]
