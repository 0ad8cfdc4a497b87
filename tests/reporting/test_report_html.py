"""The HTML report's content: self-contained, escaped, linked, in the configured language."""

from __future__ import annotations

import json
import re
from pathlib import Path

from connector.cli.common import build_adapters
from connector.config import Config, load_config
from connector.reporting.data import gather
from connector.reporting.html import render
from connector.reporting.period import parse_period
from connector.store import Store
from connector.sync import SyncOptions, SyncReport, run_sync
from tests.reporting.conftest import NOW, demo_copy

HOSTILE = '<script>alert("crm")</script><img src=x onerror=alert(1)> & Co'


def report_of(config: Config, store: Store, **kw: object) -> str:
    period = parse_period("30d", None, now=NOW, timezone=config.referee.timezone)
    return render(gather(config, store, now=NOW, period=period, **kw), plotly_js="/* plotly.js */")  # type: ignore[arg-type]


def test_one_file_with_everything_inline(synced: tuple[Config, Store, SyncReport]) -> None:
    config, store, _ = synced
    page = report_of(config, store)
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    assert re.findall(r'<script[^>]*\ssrc=|<link\s|@import|url\(http', page) == []
    external = set(re.findall(r'href="(https?://[^"/]+)', page))
    assert external == {"https://crm.example.com"}  # record links only
    charts = json.loads(re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', page, re.S)[1])
    assert set(charts) == {"timeline", "response", "actions"}
    assert sum(sum(t["y"]) for t in charts["timeline"]["data"]) == 9  # 2 conflicts, 6 missed SLAs, 1 late
    assert {t["name"] for t in charts["response"]["data"]} == {"inside-sales", "key-accounts", "overseas"}


def test_tiles_tables_and_links(synced: tuple[Config, Store, SyncReport]) -> None:
    config, store, report = synced
    page = report_of(config, store)
    assert re.search(r'data-tile="conflicts"><b>2</b>', page) and re.search(r'data-tile="late"><b>1</b>', page)
    assert re.search(r'data-tile="actions"><b>(\d+)</b>', page)[1] == str(len(report.results))
    assert '<a href="https://crm.example.com/Contacts/C-2001" rel="noopener noreferrer">ACME, Inc (Contacts/C-2001)</a>' in page
    assert "same email john.doe@acme.com on Contacts/C-2001 and Leads/L-1001" in page
    assert '<table class="sortable" id="reps">' in page and "王强 Wang Qiang" in page


def test_one_run_shows_its_own_actions(synced: tuple[Config, Store, SyncReport]) -> None:
    config, store, report = synced
    page = render(gather(config, store, now=NOW, run_id=report.run_id), plotly_js="")
    assert report.run_id in page
    assert page.count("<tr><td>") >= len(report.results)


def test_crm_text_is_escaped(tmp_path: Path) -> None:
    path = demo_copy(tmp_path)
    records = tmp_path / "demo-crm" / "records.jsonl"
    lines = records.read_text(encoding="utf-8").splitlines()
    lines = [line.replace('"Acme Inc."', json.dumps(HOSTILE)) for line in lines]
    records.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = load_config(path)
    store = Store.open(config.state_url())
    try:
        run_sync(config, store, build_adapters(config, store, now=NOW), SyncOptions(now=NOW))
        page = report_of(config, store)
    finally:
        store.close()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;crm&quot;)&lt;/script&gt;" in page


def test_report_in_chinese(tmp_path: Path) -> None:
    config = load_config(demo_copy(tmp_path, language="zh-CN"))
    store = Store.open(config.state_url())
    try:
        run_sync(config, store, build_adapters(config, store, now=NOW), SyncOptions(now=NOW))
        page = report_of(config, store)
    finally:
        store.close()
    assert '<html lang="zh-CN">' in page and "未解决的撞单" in page and "首次跟进超时" in page
    assert "联系人「ACME, Inc」" in page and "撞单与 SLA 超时趋势" in page
