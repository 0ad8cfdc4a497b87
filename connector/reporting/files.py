"""Writing a report or export file: atomically, with one clear error when the path is unusable."""

from __future__ import annotations

import os
from pathlib import Path

from connector.errors import UsageError


def write_atomic(out: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``out`` through a temporary file, so readers never see half a file."""
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8", newline="")
        tmp.replace(out)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise UsageError(f"cannot write {out}: {error.strerror or error} (check the directory exists and is writable)") from None
