"""Bulk Read CSV → the Get Records JSON shape, so ``wire.to_record``/``to_activities`` map both. Pure.

A Bulk Read result is a ZIP holding ``{job_id}.csv``: one column per requested field plus ``Id``,
every cell a string. Lookups (``Owner``, ``Modified_By``, ``Account_Name`` on Contacts/Deals,
``What_Id``/``Who_Id``) hold only the referenced id; ``Tag`` holds the tag names joined by commas;
an empty cell means "no value".
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from connector.errors import FatalApiError

ROWS_PER_PAGE = 200_000  # one Bulk Read job (page) exports at most this many records
ACTIVITY_MODULES = frozenset({"Calls", "Events", "Tasks"})
_USER_LOOKUPS = frozenset({"Owner", "Modified_By", "Created_By"})
_ID_COLUMNS = ("Id", "id", "ID")
# "Account_Name.Account_Name" on Contacts is the account's name: what Get Records shows as the lookup's name.
_NAME_COLUMNS = frozenset({"Account_Name.Account_Name"})
_NAIVE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?")


def lookup_fields(module: str) -> frozenset[str]:
    """Columns of ``module`` whose CSV cell is the id of another record or user."""
    if module in ACTIVITY_MODULES:
        return _USER_LOOKUPS | {"What_Id", "Who_Id"}
    if module in ("Contacts", "Deals"):
        return _USER_LOOKUPS | {"Account_Name"}
    return _USER_LOOKUPS


def bulk_fields(module: str, fields: Sequence[str]) -> list[str]:
    """The Get Records field list plus what the CSV needs to say what Get Records' JSON says.

    Contacts also ask for the account's name (the lookup cell is only its id); activities need
    ``$se_module`` (which module ``What_Id`` points into), which their field list already names.
    """
    out = list(fields)
    if module == "Contacts" and "Account_Name" in out:
        out.append("Account_Name.Account_Name")
    if module in ACTIVITY_MODULES and "What_Id" in out and "$se_module" not in out:
        out.append("$se_module")
    return out


def open_result(content: bytes, job_id: str) -> tuple[list[str], Iterator[dict[str, str]]]:
    """The CSV header and a lazy row iterator of a downloaded result ZIP.

    Rows are read as they are consumed, so a 200,000-record page never sits in memory as dicts.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
    except zipfile.BadZipFile:
        raise FatalApiError(
            f"zoho: the Bulk Read result of job {job_id} is not a ZIP file", crm="zoho"
        ) from None
    wanted = f"{job_id}.csv"
    member = wanted if wanted in names else (names[0] if len(names) == 1 else None)
    if member is None:
        raise FatalApiError(
            f"zoho: the Bulk Read result of job {job_id} holds no {wanted} (found {names or 'no CSV'})",
            crm="zoho",
        )
    handle = io.TextIOWrapper(archive.open(member), encoding="utf-8-sig", newline="")
    reader = csv.DictReader(handle)
    header = list(reader.fieldnames or [])
    return header, _rows(reader, handle)


def _rows(reader: csv.DictReader, handle: io.TextIOWrapper) -> Iterator[dict[str, str]]:
    try:
        yield from reader
    finally:
        handle.close()


def record_id(row: Mapping[str, Any]) -> str | None:
    for column in _ID_COLUMNS:
        value = row.get(column)
        if value:
            return str(value)
    return None


def has_id_column(header: Sequence[str]) -> bool:
    return any(c in header for c in _ID_COLUMNS)


def _time(value: str, tz: ZoneInfo) -> str:
    """Give an offset-less timestamp the org's zone; ISO 8601 with an offset passes unchanged."""
    if _NAIVE_TIME.fullmatch(value):
        return datetime.fromisoformat(value).replace(tzinfo=tz).isoformat()
    return value


def to_raw(row: Mapping[str, str | None], lookups: frozenset[str], tz: ZoneInfo) -> dict[str, Any]:
    """One CSV row → a dict shaped like a Get Records ``data[i]`` item."""
    raw: dict[str, Any] = {"id": record_id(row)}
    names: dict[str, str] = {}
    for column, cell in row.items():
        if column is None or column in _ID_COLUMNS:
            continue  # None: cells beyond the header (a malformed line); ids handled above
        value = cell if isinstance(cell, str) and cell != "" else None
        if column in _NAME_COLUMNS:
            if value is not None:
                names[column.split(".", 1)[0]] = value
        elif value is None:
            raw[column] = None
        elif column in lookups:
            raw[column] = {"id": value}
        elif column == "Tag":
            raw[column] = [{"name": name.strip()} for name in value.split(",") if name.strip()]
        else:
            raw[column] = _time(value, tz)
    for lookup, name in names.items():
        if isinstance(raw.get(lookup), dict):
            raw[lookup]["name"] = name
    return raw
