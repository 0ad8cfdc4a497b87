"""``referee doctor`` for a folder of exports: each file found and readable, write-back possible."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from adapters.file.adapter import CSV_READ_ONLY, FileAdapter
from adapters.file.source import locate
from connector.doctor import Check, failed, from_error, passed
from connector.domain import ActionType
from connector.errors import ConnectorError
from connector.protocol import CrmAdapter


def doctor(name: str, adapter: CrmAdapter, writes: Mapping[ActionType, Sequence[str]]) -> list[Check]:
    assert isinstance(adapter, FileAdapter)
    checks: list[Check] = []
    formats: dict[str, str] = {}
    for stream in ("users", "records", "activities"):
        subject = f"adapter {name}: {stream}"
        try:
            path, fmt = locate(adapter.directory, stream, adapter.config.format)
        except ConnectorError as exc:
            checks.append(from_error(subject, exc, f"put the {stream} export in {adapter.directory}"))
            continue
        formats[stream] = fmt
        if not os.access(path, os.R_OK):
            checks.append(failed(subject, f"{path} is not readable", f"chmod u+r {path}", 2))
        else:
            checks.append(passed(subject, f"{path.name} ({path.stat().st_size:,} bytes)"))
    if not writes or "records" not in formats:
        return checks
    needed = ", ".join(kind.value for kind in writes)
    subject = f"adapter {name}: write-back ({needed})"
    if formats["records"] != "jsonl":
        checks.append(failed(subject, CSV_READ_ONLY, "export records as records.jsonl, or run dry-run only", 2))
    elif not os.access(adapter.directory, os.W_OK):
        checks.append(failed(subject, f"{adapter.directory} is not writable",
                             "let the user running referee write there (files are replaced atomically)", 2))
    else:
        checks.append(passed(subject, f"{adapter.directory} is writable"))
    return checks
