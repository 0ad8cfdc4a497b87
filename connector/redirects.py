"""No credential leaves for another origin: a CRM redirect to a different host is refused.

``requests`` drops ``Authorization`` when a redirect changes host, but not an API key in any
other header (``auth.type = "header"``), a key in the query string, or cookies a CRM set. A CRM
that moved answers 301/302 to its new address; following that with our key would hand the key
to whoever controls the new address. So a redirect within the same origin (scheme, host and
port) is followed as before, and one to another origin is a clear error that says what to change.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from connector.errors import FatalApiError


class CrossOriginRedirectError(FatalApiError):
    """The CRM redirected a request to another origin; nothing was sent there."""


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default


def refuse_cross_origin(crm: str) -> Any:
    """A ``requests`` response hook: it sees each 3xx before ``requests`` follows it."""

    def hook(response: requests.Response, *_args: Any, **_kwargs: Any) -> requests.Response:
        if response.is_redirect:
            target = urljoin(response.url, response.headers.get("location", ""))
            if origin(target) != origin(response.url):
                here = urlsplit(response.url)
                there = urlsplit(target)
                raise CrossOriginRedirectError(
                    f"{crm}: {here.scheme}://{here.netloc} answered HTTP {response.status_code} with a "
                    f"redirect to {there.scheme}://{there.netloc}; credentials are never sent to another "
                    "host, so the request was not repeated there (if the CRM moved, set its URL in the "
                    "config to the new address)",
                    crm=crm,
                    status=response.status_code,
                )
        return response

    return hook
