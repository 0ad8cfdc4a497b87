"""Find the export files of a directory and read them as numbered rows with canonical keys."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast

from connector.errors import ConfigError, DataError

Format = Literal["jsonl", "csv"]
STREAMS = ("users", "records", "activities")


@dataclass(frozen=True)
class Row:
    """One line of an export, keys already renamed to canonical field names."""

    file: str
    line: int
    data: dict[str, Any]


@dataclass(frozen=True)
class BadLine:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


def locate(directory: Path, stream: str, fmt: str) -> tuple[Path, Format]:
    """The file that holds ``stream``; with ``auto`` JSON Lines wins over CSV (it can be written back)."""
    if not directory.is_dir():
        raise ConfigError(f"{directory}: no such directory (set [adapters.<name>] path to an export folder)")
    candidates: tuple[Format, ...] = ("jsonl", "csv") if fmt == "auto" else (cast(Format, fmt),)
    for kind in candidates:
        path = directory / f"{stream}.{kind}"
        if path.is_file():
            return path, kind
    names = " or ".join(f"{stream}.{kind}" for kind in candidates)
    raise ConfigError(f"{directory}: no {names} (an empty file is fine when the export has none)")


def iter_rows(path: Path, fmt: Format, columns: Mapping[str, str]) -> Iterator[Row | BadLine]:
    """Yield every non-blank line of ``path`` as a :class:`Row`, or a :class:`BadLine` if unreadable."""
    if fmt == "jsonl":
        yield from _iter_jsonl(path, columns)
    else:
        yield from _iter_csv(path, columns)


def rename(data: Mapping[str, Any], columns: Mapping[str, str]) -> dict[str, Any]:
    """Export keys → canonical names using ``columns`` (canonical = header); other keys stay as they are."""
    if not columns:
        return data if isinstance(data, dict) else dict(data)
    by_header = {header: field for field, header in columns.items()}
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key in by_header:
            continue
        out[key] = value
    for key, value in data.items():
        if key in by_header:
            out[by_header[key]] = value
    return out


def _iter_jsonl(path: Path, columns: Mapping[str, str]) -> Iterator[Row | BadLine]:
    with path.open("rb") as handle:  # bytes, so one line of invalid UTF-8 is one bad line
        for number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                yield BadLine(path.name, number, f"not UTF-8 text (byte {exc.start + 1} of the line)")
                continue
            if not text.strip():
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                yield BadLine(path.name, number, f"not valid JSON ({exc.msg} at column {exc.colno})")
                continue
            except RecursionError:
                yield BadLine(path.name, number, "nests too deeply to be a record")
                continue
            if not isinstance(data, dict):
                yield BadLine(path.name, number, f"expected a JSON object, got {type(data).__name__}")
                continue
            yield Row(path.name, number, rename(data, columns))


def _iter_csv(path: Path, columns: Mapping[str, str]) -> Iterator[Row | BadLine]:
    try:
        path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path.name}: not UTF-8 text (byte {exc.start + 1}); export it as UTF-8") from None
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle, restkey="\x00extra", restval=None)
        headers = reader.fieldnames or []
        missing = [f'"{h}" (for {f})' for f, h in columns.items() if h not in headers]
        if missing and headers:
            raise ConfigError(
                f"{path.name}: mapped column(s) {', '.join(missing)} not in the header row "
                f"(headers: {', '.join(headers)}; fix [adapters.<name>.columns.{path.stem}])"
            )
        for raw in reader:
            # line_num is the record's last line; step back over line breaks inside quoted cells
            number = reader.line_num - sum(v.count("\n") for v in raw.values() if isinstance(v, str))
            if "\x00extra" in raw:
                yield BadLine(path.name, number, f"has more cells than the {len(headers)} header columns")
                continue
            cleaned = {k: (v if v is None or v.strip() else None) for k, v in raw.items()}
            if all(v is None for v in cleaned.values()):
                continue
            yield Row(path.name, number, rename(cleaned, columns))
