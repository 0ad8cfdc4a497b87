"""Walk the pages of a list endpoint in any of the supported styles.

The walk is independent of HTTP: it asks ``fetch`` for one page at a time and decides from the
body (or the ``Link`` header) what to ask for next. Offsets advance by what the server returned,
never by what the mapping kept. A next value of ``0``, ``""`` or ``null`` ends the list, and so
does a token or URL that was already seen (some CRMs repeat the last cursor on the last page);
a page identical to the one before means the CRM ignores the paging parameter and is an error.
``max_pages`` is a hard cap.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from adapters.webhook.config_read import Pagination
from adapters.webhook.fieldpath import PathError, search
from adapters.webhook.values import text
from connector.errors import CrmApiError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageRequest:
    """One page to fetch: ``follow`` means ``url`` came from the CRM and already holds its query.

    ``params`` are the paging values; the caller puts them in the query string or, for
    ``location = "body"``, in the JSON body.
    """

    url: str
    params: dict[str, Any] = field(default_factory=dict)
    follow: bool = False


@dataclass(frozen=True)
class PageResponse:
    body: Any
    next_link: str | None = None  # the RFC 8288 rel="next" target, if the response had one


Fetch = Callable[[PageRequest], PageResponse]


def body_value(expression: str | None, body: Any, crm: str, what: str) -> Any:
    """A body-level path (``next``, ``has_more``, ``items``): a failing path is a clear error."""
    try:
        return search(expression, body)
    except PathError as exc:
        raise CrmApiError(f"{crm}: {what}: {exc} (check the endpoint's {what})", crm=crm) from None


def extract_items(body: Any, items: Sequence[str | None], crm: str = "") -> list[Any]:
    """Every item of a response body: the lists at ``items``, one after the other, or the body itself."""
    out: list[Any] = []
    for path in items:
        found = body if path is None else body_value(path, body, crm, "items")
        if found is None:
            continue
        if not isinstance(found, list):
            where = f'items = "{path}"' if path else "the response body"
            raise CrmApiError(
                f"{crm}: {where} is a {type(found).__name__}, not a list (point items at the list of records)",
                crm=crm,
            )
        out.extend(found)
    return out


def iter_pages(
    pagination: Pagination, items: Sequence[str | None], url: str, fetch: Fetch, *, crm: str = ""
) -> Iterator[tuple[list[Any], Any]]:
    """Yield ``(items, body)`` of each page, in order, until the stop rule says the list is done."""
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
        yield page, response.body
        if pagination.style == "none" or _no_more(pagination, response.body, crm):
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


def _no_more(pagination: Pagination, body: Any, crm: str) -> bool:
    if pagination.has_more is None:
        return False
    flag = body_value(pagination.has_more, body, crm, "pagination.has_more")
    return flag is None or flag is False or str(flag).lower() in ("false", "0", "no", "")


def _ends(value: Any) -> bool:
    """``None``, ``""``, ``0`` and ``false`` as a next value mean "no next page"."""
    return value is None or value is False or text(value) in (None, "0", "false")


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
        params = dict(request.params)
        if pagination.next is not None:  # the server says where the next page starts
            value = body_value(pagination.next, response.body, crm, "pagination.next")
            if _ends(value) or not _new(f"{style}:{text(value)}", seen, f"the next {style} {text(value)}"):
                return None
            params[pagination.query_param] = value
        else:
            step = 1 if style == "page" else len(page)
            params[pagination.query_param] = int(params[pagination.query_param]) + step
        return PageRequest(request.url, params)
    if style == "cursor":
        value = body_value(pagination.next, response.body, crm, "pagination.next")
        token = None if _ends(value) else text(value)
        if token is None or not _new(f"cursor:{token}", seen, f'the cursor "{token}"'):
            return None
        return PageRequest(request.url, {**request.params, pagination.query_param: token}, request.follow)
    if style == "link-header":
        link = response.next_link
    else:
        value = body_value(pagination.next, response.body, crm, "pagination.next")
        link = None if _ends(value) else text(value)
    if link is None:
        return None
    link = urljoin(request.url, link)
    if not _new(link, seen, f"the next-page URL {link}"):
        return None
    return PageRequest(link, follow=True)


def _new(key: str, seen: set[str], what: str) -> bool:
    """Remember ``key``; ``False`` (the list is over) when it came back a second time."""
    if key in seen:
        log.info("%s came back a second time; taking it as the end of the list", what)
        return False
    seen.add(key)
    return True


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"
