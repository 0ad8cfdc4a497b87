"""Fuzzed configs through ``referee validate``: every bad one is exit 2 with one ``Error:`` line.

Starting from the configs we ship, hypothesis replaces one value with something a careless admin
(or an attacker) would write (empty text, Rich markup, huge or infinite numbers, ``"yes"`` for a
boolean, absurd durations, deep nesting, a ``${SECRET}`` in a key that does not hold secrets),
deletes or adds a key, or corrupts the bytes. The command runs as the user runs it (the real
Typer app, in-process so that 300 examples stay fast) and must never show a traceback, never
exit with anything but 0 or 2, and never print the secret.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
import tomllib
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from connector.cli import app

ROOT = Path(__file__).resolve().parents[2]
SECRET = "fuzz-secret-value-4242"
BASES = {
    "demo": (ROOT / "examples" / "demo.toml").read_text(encoding="utf-8"),
    "example": (ROOT / "config.example.toml").read_text(encoding="utf-8"),
}
ENV = {
    "FUZZ_SECRET": SECRET,
    "ZOHO_CLIENT_ID": "fuzz-client-id",
    "ZOHO_CLIENT_SECRET": SECRET,
    "ZOHO_REFRESH_TOKEN": "fuzz-refresh-token",
    "REFEREE_API_KEY": "fuzz-api-key-0123456789abcdef",
    "ACME_WEBHOOK_SECRET": SECRET,
    "ACME_CLIENT_ID": "fuzz-acme-client",
    "ACME_CLIENT_SECRET": SECRET,
    "ACME_PASSWORD": SECRET,
    "ACME_REFRESH_TOKEN": SECRET,
    "ACME_TOKEN": SECRET,
    "ACME_USER": "fuzz-user",
    "WECOM_BOT_URL": "json://127.0.0.1:1/fuzz",
}
HOSTILE: list[Any] = [
    "", " ", "[/red]", "[link=https://evil.example]click[/link]", "[adapters.x]", "${FUZZ_SECRET}",
    "yes", "no", "0s", "inf", "nan", "-1s", "99999999999999999999d", "1e400", "http://", "https://:99999",
    "\u0000", "\x7f", "x" * 5000, "Asia/Nowhere", "US-ZZ", "sqlite:////proc/none/x.db",
    True, False, 0, -1, 2**63 - 1, -(2**63), 1e308, math.inf, -math.inf, math.nan, 0.0,
    [], {}, [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]], {"a": {"b": {"c": {"d": {}}}}},
    date(1, 1, 1), datetime(9999, 12, 31, 23, 59), time(1, 0),
]


def dump(value: Any) -> str:
    """TOML text for a parsed value; tables are written inline, which any TOML reader accepts."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(dump(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {dump(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def document(data: dict[str, Any]) -> str:
    return "".join(f"{json.dumps(k)} = {dump(v)}\n" for k, v in data.items())


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def replaced(data: Any, path: tuple[Any, ...], new: Any, delete: bool = False) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        out = dict(data)
        if delete and not rest:
            out.pop(head, None)
        else:
            out[head] = replaced(data.get(head), rest, new, delete)
        return out
    out_list = list(data)
    if delete and not rest:
        out_list.pop(head)
    else:
        out_list[head] = replaced(data[head], rest, new, delete)
    return out_list


values = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=30),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.from_regex(r"\A[0-9]{1,25}(ms|s|m|h|d|w)\Z"),
    st.recursive(st.none().map(lambda _: 1) | st.text(max_size=5), lambda x: st.lists(x, max_size=3), max_leaves=8),
)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    name = draw(st.sampled_from(sorted(BASES)))
    data = tomllib.loads(BASES[name])
    data.setdefault("referee", {})["state"] = "sqlite:///fuzz.db"
    where = draw(st.sampled_from(paths(data)))
    how = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add", "bytes"]))
    if how == "replace":
        data = replaced(data, where, draw(values))
    elif how == "delete":
        data = replaced(data, where, None, delete=True)
    elif how == "add":
        parent = where[:-1]
        node: Any = data
        for part in parent:
            node = node[part]
        if isinstance(node, dict):
            data = replaced(data, (*parent, "unknown_key_" + draw(st.text("abc", min_size=1, max_size=3))), draw(values)) if parent else data
    text = document(data).encode("utf-8", "surrogatepass")
    if how == "bytes":
        at = draw(st.integers(min_value=0, max_value=len(text)))
        text = text[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\x00", b"[", b"]]]", b"\xed\xa0\x80"])) + text[at:]
    return text


FOLDER = Path(tempfile.mkdtemp(prefix="referee-config-fuzz-"))
# validate checks the export folders the shipped configs name (relative to the config file)
shutil.copytree(ROOT / "examples" / "demo-crm", FOLDER / "demo-crm")
shutil.copytree(ROOT / "examples" / "demo-crm", FOLDER / "examples" / "demo-crm")
RUNNER = CliRunner()


def validate(text: bytes) -> tuple[int, str, str]:
    path = FOLDER / "config.toml"
    path.write_bytes(text)
    old = {k: os.environ.get(k) for k in ENV}
    os.environ.update(ENV)
    try:
        result = RUNNER.invoke(app, ["validate", "-c", str(path)], catch_exceptions=True)
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"uncaught {type(result.exception).__name__}: {result.exception}") from result.exception
    return result.exit_code, result.stdout, result.stderr


def test_the_shipped_configs_validate() -> None:
    for text in BASES.values():
        data = tomllib.loads(text)
        data.setdefault("referee", {})["state"] = "sqlite:///fuzz.db"
        code, _out, err = validate(document(data).encode())
        assert (code, err) == (0, ""), err


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_every_mutated_config_is_ok_or_one_error_line(text: bytes) -> None:
    code, out, err = validate(text)

    assert code in (0, 2), (code, err)
    assert "Traceback" not in out + err
    assert SECRET not in out + err
    if code == 2:
        assert err.startswith("Error: "), err
        assert err.count("Error:") == 1, err
