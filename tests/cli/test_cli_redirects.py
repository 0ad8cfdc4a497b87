"""A CRM that redirects to another host never receives, or passes on, our credentials.

Two real HTTP servers on 127.0.0.1 (different ports are different origins): the "CRM" answers
every request with ``302`` to the "other host", which records what it receives. ``referee plan``
runs in a subprocess with ``auth.type = "header"`` (a key ``requests`` would forward on its own).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.cli.conftest import run_referee

pytestmark = pytest.mark.e2e
KEY = "secret-api-key-never-elsewhere"


def serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture
def hosts() -> Iterator[tuple[str, str, list[dict[str, str]]]]:
    received: list[dict[str, str]] = []

    class Other(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            received.append({**dict(self.headers), "path": self.path})
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"data": []}')

        def log_message(self, *_args: object) -> None:
            pass

    other, other_url = serve(Other)

    class Crm(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", f"{other_url}{self.path}")
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    crm, crm_url = serve(Crm)
    try:
        yield crm_url, other_url, received
    finally:
        for server in (crm, other):
            server.shutdown()
            server.server_close()


def test_a_redirect_to_another_host_is_refused_and_the_key_stays_home(hosts, tmp_path: Path) -> None:
    crm_url, other_url, received = hosts
    config = tmp_path / "c.toml"
    config.write_text(
        f"""
[referee]
state = "sqlite:///{tmp_path / 's.db'}"

[adapters.acme]
kind = "webhook"
base_url = "{crm_url}/api"
auth = {{ type = "header", name = "X-Api-Key", value = "{KEY}" }}

[adapters.acme.read.records]
path = "/leads"
items = "data"

[adapters.acme.read.records.fields]
id = "id"
module = "'Leads'"

[[rules.pursuit]]
name = "p"
active_within = "30d"
resolve = "first-touch"
action = "flag"
""",
        encoding="utf-8",
    )

    result = run_referee("plan", "-c", str(config), "--now", "2026-11-27T10:00:00+08:00")

    assert received == []  # nothing at all reached the other host
    assert result.returncode == 3, result.stderr
    assert result.stderr.startswith("Error: acme: ")
    assert f"redirect to {other_url}" in result.stderr and "never sent to another host" in result.stderr
    assert KEY not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_a_redirect_within_the_same_origin_is_still_followed() -> None:
    from connector.http import HttpClient

    seen: list[str] = []

    class Moved(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get("X-Api-Key", ""))
            if self.path == "/old":
                self.send_response(301)
                self.send_header("Location", "/new")
                self.end_headers()
                return
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_args: object) -> None:
            pass

    server, url = serve(Moved)
    try:
        response = HttpClient("acme").request("GET", f"{url}/old", headers={"X-Api-Key": KEY})
    finally:
        server.shutdown()
        server.server_close()

    assert (response.status_code, response.text) == (200, "ok")
    assert seen == [KEY, KEY]
