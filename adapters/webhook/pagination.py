"""Walk the pages of a list endpoint in any of the supported styles.

The walk is independent of HTTP: it asks ``fetch`` for one page at a time and decides from the
body (or the ``Link`` header) what to ask for next. A repeated token or URL, or a page identical
to the one before, is a loop and stops with :class:`CrmApiError`; ``max_pages`` is a hard cap.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from adapters.webhook.config import Pagination
from adapters.webhook.mapping import search, text
from connector.errors import CrmApiError


@dataclass(frozen=True)
class PageRequest:
    """One page to fetch: ``follow`` means ``url`` came from the CRM and already holds its query."""

    url: str
    params: dict[str, Any] = field(default_factory=dict)
    follow: bool = False


@dataclass(frozen=True)
class PageResponse:
    body: Any
    next_link: str | None = None  # the RFC 8288 rel="next" target, if the response had one


Fetch = Callable[[PageRequest], PageResponse]


def extract_items(body: Any, items: str | None, crm: str = "") -> list[Any]:
    """The list of items in a response body (the body itself when ``items`` is unset)."""
    found = body if items is None else search(items, body)
    if found is None:
        return []
    if not isinstance(found, list):
        where = f'items = "{items}"' if items else "the response body"
        raise CrmApiError(
            f"{crm}: {where} is a {type(found).__name__}, not a list (point items at the list of records)",
            crm=crm,
        )
    return found


def iter_pages(
    pagination: Pagination, items: str | None, url: str, fetch: Fetch, *, crm: str = ""
) -> Iterator[list[Any]]:
    """Yield the items of each page, in order, until the stop rule says the list is done."""
    origin = _origin(url)
    request = PageRequest(url, _first_params(pagination))
    seen: set[str] = {url}
    previous: str | None = None
    for _ in range(pagination.max_pages):
        response = fetch(request)
        page = extract_items(response.body, items, crm)
        fingerprint = json.dumps(page, sort_keys=True, default=str)
        if page and fingerprint == previous:
            raise CrmApiError(
                f"{crm}: {request.url} returned the same page twice; the CRM ignores the "
                f'"{pagination.query_param}" parameter, so paging would never end (check pagination)',
                crm=crm,
            )
        previous = fingerprint
        yield page
        if pagination.style == "none" or _no_more(pagination, response.body):
            return
        next_request = _next(pagination, request, response, page, seen, crm)
        if next_request is None:
            return
        if next_request.follow and _origin(next_request.url) != origin:
            raise CrmApiError(
                f"{crm}: the next page points at {_origin(next_request.url)}, not {origin}; "
                "credentials are only sent to base_url",
                crm=crm,
            )
        request = next_request
    raise CrmApiError(
        f"{crm}: stopped after {pagination.max_pages} pages of {url} (raise pagination.max_pages if the "
        "list is really that long)",
        crm=crm,
    )


def _first_params(pagination: Pagination) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if pagination.style in ("page", "offset"):
        params[pagination.query_param] = pagination.first
    if pagination.limit_param is not None and pagination.limit is not None:
        params[pagination.limit_param] = pagination.limit
    return params


def _no_more(pagination: Pagination, body: Any) -> bool:
    if pagination.has_more is None:
        return False
    flag = search(pagination.has_more, body)
    return flag is None or flag is False or str(flag).lower() in ("false", "0", "no", "")


def _next(
    pagination: Pagination,
    request: PageRequest,
    response: PageResponse,
    page: list[Any],
    seen: set[str],
    crm: str,
) -> PageRequest | None:
    style = pagination.style
    if style in ("page", "offset"):
        if not page or (pagination.stop == "short" and len(page) < (pagination.limit or 0)):
            return None
        step = 1 if style == "page" else len(page)
        params = dict(request.params)
        params[pagination.query_param] = int(params[pagination.query_param]) + step
        return PageRequest(request.url, params)
    if style == "cursor":
        token = text(search(pagination.next, response.body))
        if token is None:
            return None
        _remember(f"cursor:{token}", seen, f'the cursor "{token}"', crm)
        return PageRequest(request.url, {**request.params, pagination.query_param: token}, request.follow)
    link = response.next_link if style == "link-header" else text(search(pagination.next, response.body))
    if link is None:
        return None
    link = urljoin(request.url, link)
    _remember(link, seen, f"the next-page URL {link}", crm)
    return PageRequest(link, follow=True)


def _remember(key: str, seen: set[str], what: str, crm: str) -> None:
    if key in seen:
        raise CrmApiError(f"{crm}: {what} came back a second time; paging would loop forever", crm=crm)
    seen.add(key)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
