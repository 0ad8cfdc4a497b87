"""Every shell example in README.md and docs/ that can run offline is run here, so the docs cannot drift.

An example runs offline when it uses a config under ``examples/``. Each such block carries a marker
on the line above it: ``<!-- doc-test: run -->`` (every ``referee`` line is run, in order, in a
private copy of ``examples/``; ``# exit N`` at the end of a line expects that status),
``<!-- doc-test: run-from referee -->`` (only the ``referee …`` part of a one-liner that also
installs), or ``<!-- doc-test: skip (why) -->``. A block without a marker fails the test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_BLOCK = re.compile(r"(?:<!-- doc-test: (?P<marker>[^>]*?) -->\n)?```(?:bash|sh|shell)\n(?P<body>.*?)```", re.S)
_EXIT = re.compile(r"#\s*exit (\d+)\s*$")

pytestmark = pytest.mark.e2e


def _blocks() -> list[tuple[str, str | None, str]]:
    found = []
    for page in PAGES:
        for match in _BLOCK.finditer(page.read_text(encoding="utf-8")):
            body = match.group("body")
            if "examples/" in body and re.search(r"(^|\s|&& )referee ", body):
                found.append((f"{page.relative_to(ROOT)}:{body.splitlines()[0][:50]}", match.group("marker"), body))
    return found


BLOCKS = _blocks()


def test_every_offline_example_is_marked() -> None:
    unmarked = [name for name, marker, _ in BLOCKS if marker is None]
    assert unmarked == [], "add <!-- doc-test: run --> (or skip (why)) above these blocks"
    assert sum(1 for _, marker, _ in BLOCKS if marker and marker.startswith("run")) >= 6
    for name, marker, _ in BLOCKS:
        assert marker in ("run", "run-from referee") or re.fullmatch(r"skip \(.+\)", marker or ""), name


def _commands(marker: str, body: str) -> list[tuple[str, int]]:
    lines = body.replace("\\\n", " ").splitlines()
    commands = []
    for line in lines:
        line = line.strip()
        if marker == "run-from referee":
            line = line[line.index("referee ") :] if "referee " in line else ""
        if not line.startswith("referee "):
            continue
        expect = _EXIT.search(line)
        commands.append((line, int(expect.group(1)) if expect else 0))
    return commands


@pytest.mark.parametrize(
    ("marker", "body"),
    [pytest.param(m, b, id=n) for n, m, b in BLOCKS if m and m.startswith("run")],
)
def test_offline_example_runs(marker: str, body: str, tmp_path: Path) -> None:
    shutil.copytree(ROOT / "examples", tmp_path / "examples", ignore=shutil.ignore_patterns("*.db", "*.db-*"))
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
           "COLUMNS": "200", "REFEREE_CONFIG": ""}
    commands = _commands(marker, body)
    assert commands
    for command, expected in commands:
        result = subprocess.run(["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True,
                                timeout=300, check=False)
        assert result.returncode == expected, f"{command}\n{result.stdout}\n{result.stderr}"
        assert "Traceback" not in result.stderr
