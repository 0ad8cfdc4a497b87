"""The report in a real headless Chromium (Debian's ``chromium``, driven by Playwright), offline.

Playwright's own browser downloads are never used: the test launches ``/usr/bin/chromium``.
It skips, saying why, only where no Chromium is installed or Playwright is missing; with ``CI``
set it fails instead (``.ci/run`` installs Chromium, so CI always runs it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import DEMO_NOW, run_referee
from tests.reporting.conftest import demo_copy

CHROMIUM = os.environ.get("REFEREE_TEST_CHROMIUM", "/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]


def _missing() -> str | None:
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    problem = _missing()
    if problem is not None:
        if os.environ.get("CI", "").lower() not in ("", "0", "false", "no"):
            pytest.fail(f"{problem} (CI is set, so this is a failure, not a skip)")
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        executable = CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium")
        chromium = playwright.chromium.launch(executable_path=executable, args=FLAGS)
        yield chromium
        chromium.close()


def open_offline(browser: Any, page_file: Path) -> tuple[Any, list[str], list[str]]:
    """Load ``page_file`` with every non-file request refused; collect console errors and requests."""
    context = browser.new_context(offline=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("request", lambda r: requests.append(r.url))
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort())
    page.goto(page_file.resolve().as_uri())
    page.wait_for_function(
        "document.querySelectorAll('.chart').length > 0 && Array.from(document.querySelectorAll('.chart'))"
        ".every(c => c.querySelector('svg.main-svg'))",
        timeout=60_000,
    )
    return page, problems, requests


def assert_every_chart_drew(page: Any) -> None:
    charts = page.evaluate(
        """Array.from(document.querySelectorAll('.chart')).map(c => ({
             name: c.dataset.chart,
             svgs: c.querySelectorAll('svg.main-svg').length,
             marks: c.querySelectorAll('g.trace, g.point, path.box').length,
             width: c.querySelector('svg.main-svg').getBoundingClientRect().width}))"""
    )
    assert [c["name"] for c in charts] == ["timeline", "response", "actions"]
    for chart in charts:
        assert chart["svgs"] >= 1 and chart["width"] > 100 and chart["marks"] > 0, chart


@pytest.mark.e2e
@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_sync_report_renders_offline_without_errors(browser: Any, tmp_path: Path, language: str) -> None:
    config = demo_copy(tmp_path, language=language)
    out = tmp_path / "report.html"
    result = run_referee("sync", "-c", str(config), "--now", DEMO_NOW, "--report", str(out))
    assert result.returncode == 0, result.stderr
    page, problems, requests = open_offline(browser, out)
    assert_every_chart_drew(page)
    assert problems == []
    assert all(url.startswith("file:") for url in requests), requests
    assert page.locator("#conflicts tbody tr").count() == 2
    page.close()


@pytest.mark.e2e
def test_the_rep_table_sorts_on_click(browser: Any, tmp_path: Path) -> None:
    config = demo_copy(tmp_path)
    assert run_referee("sync", "-c", str(config), "--now", DEMO_NOW).returncode == 0
    out = tmp_path / "report.html"
    result = run_referee("report", "-c", str(config), "--now", DEMO_NOW, "--since", "30d", "--out", str(out))
    assert result.returncode == 0, result.stderr
    page, problems, _ = open_offline(browser, out)
    received = "Array.from(document.querySelectorAll('#reps tbody tr')).map(r => parseFloat(r.cells[2].dataset.sort))"
    page.click("#reps th:nth-child(3)")
    ascending = page.evaluate(received)
    page.click("#reps th:nth-child(3)")
    descending = page.evaluate(received)
    assert ascending == sorted(ascending) and descending == sorted(ascending, reverse=True)
    assert problems == []
    page.close()
