"""A 500 leaves the exception and its traceback in the server log (never in the HTTP answer)."""

from __future__ import annotations

import json
import logging

from connector.server.logs import JsonFormatter, PlainFormatter


def _record() -> logging.LogRecord:
    try:
        {}["missing"]
    except KeyError as exc:
        return logging.LogRecord("referee.server", logging.ERROR, __file__, 1, "unexpected error", None, (
            type(exc), exc, exc.__traceback__
        ))
    raise AssertionError("unreachable")


def test_json_lines_carry_the_error_and_the_traceback() -> None:
    line = json.loads(JsonFormatter().format(_record()))

    assert (line["level"], line["error_type"], line["error"]) == ("error", "KeyError", "'missing'")
    assert line["traceback"].startswith("Traceback (most recent call last):")
    assert "KeyError: 'missing'" in line["traceback"]


def test_terminal_lines_print_the_traceback_below() -> None:
    text = PlainFormatter().format(_record())

    assert text.splitlines()[0].endswith("unexpected error")
    assert "Traceback (most recent call last):" in text
