"""Absences from Zoho's users' unavailability (``GET /crm/v8/settings/users_unavailability``).

An optional feed: it needs the scope ``ZohoCRM.settings.users_unavailability.READ`` (or ``.ALL``),
an admin's token to see every user, and an edition that has the feature. When Zoho refuses
(scope, permission, feature), the adapter logs one warning, stops asking for the rest of the
process and users carry no absences; any other 4xx is logged and skipped for that pull. A
missing extra never fails a sync.
Run-level faults (credits used up, the token revoked, Zoho down) still stop the run as usual.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from adapters.zoho.client import API, ZohoClient
from adapters.zoho.faults import error_for
from adapters.zoho.wire import Answer, Outcome, classify, format_time, parse_time
from connector.domain import Absence, User

log = logging.getLogger(__name__)

PATH = f"{API}/settings/users_unavailability"
ENDPOINT = "GET /settings/users_unavailability"
SCOPE = "ZohoCRM.settings.users_unavailability.READ"
LOOK_BACK = timedelta(days=1)
LOOK_AHEAD = timedelta(days=30)
# Answers that mean "this org or token cannot read unavailability", not "the run is broken".
_NOT_AVAILABLE = frozenset(
    {"OAUTH_SCOPE_MISMATCH", "NO_PERMISSION", "FEATURE_NOT_SUPPORTED", "FEATURE_NOT_ENABLED"}
)
_RUN_LEVEL = frozenset({Outcome.AUTH, Outcome.TOKEN_EXPIRED, Outcome.TOKEN_THROTTLED, Outcome.CREDITS})


def window_filter(start: datetime, end: datetime) -> str:
    """Zoho ``filters`` JSON for absences overlapping ``[start, end]``: ``to >= start and from <= end``."""
    return json.dumps(
        {
            "group_operator": "and",
            "group": [
                {"comparator": "greater_equal", "field": {"api_name": "to"}, "value": format_time(start)},
                {"comparator": "less_equal", "field": {"api_name": "from"}, "value": format_time(end)},
            ],
        },
        separators=(",", ":"),
    )


def to_absences(body: Any, start: datetime, end: datetime) -> dict[str, tuple[Absence, ...]]:
    """Absences per Zoho user id, oldest first, keeping only those overlapping ``[start, end]``.

    Entries without a user id or with unreadable or reversed times are dropped (logged at debug):
    one odd entry must not hide everyone else's. The window is checked here too, in case Zoho
    ignored the filter.
    """
    items = body.get("users_unavailability") if isinstance(body, Mapping) else None
    found: dict[str, list[Absence]] = {}
    for item in items if isinstance(items, list) else ():
        absence, user_id = _absence(item)
        if absence is None or user_id is None:
            log.debug("zoho: skipped an unreadable users_unavailability entry %r", _entry_id(item))
            continue
        if absence.ends_at < start or absence.starts_at > end:
            continue
        found.setdefault(user_id, []).append(absence)
    return {
        user_id: tuple(sorted(set(absences), key=lambda a: (a.starts_at, a.ends_at)))
        for user_id, absences in found.items()
    }


def attach(users: Sequence[User], absences: Mapping[str, tuple[Absence, ...]]) -> list[User]:
    """The users with their absences set (users Zoho reported none for get an empty tuple)."""
    return [user.model_copy(update={"unavailable": absences.get(user.id, ())}) for user in users]


def _absence(item: Any) -> tuple[Absence | None, str | None]:
    if not isinstance(item, Mapping):
        return None, None
    user = item.get("user")
    user_id = user.get("id") if isinstance(user, Mapping) else None
    starts_at, ends_at = parse_time(item.get("from")), parse_time(item.get("to"))
    if user_id is None or starts_at is None or ends_at is None or ends_at <= starts_at:
        return None, None
    reason = next(
        (str(v).strip() for v in (item.get("comments"), item.get("title")) if v and str(v).strip()), None
    )
    return Absence(starts_at=starts_at, ends_at=ends_at, reason=reason), str(user_id)


def _entry_id(item: Any) -> Any:
    return item.get("id") if isinstance(item, Mapping) else None


def _decode(response: Any) -> Any:
    if response.status_code in (204, 304) or not response.content:
        return {}
    try:
        return response.json()
    except ValueError:
        return {}


class AbsenceFeed:
    """Reads absences once per ``pull_users``; after Zoho refuses the feature it stops asking."""

    def __init__(self, client: ZohoClient, clock: Callable[[], datetime], adapter: str = "zoho") -> None:
        self.client = client
        self.clock = clock
        self.adapter = adapter
        self.available = True

    def attach_to(self, users: Sequence[User]) -> list[User]:
        """``users`` with the absences overlapping [now - 1 day, now + 30 days]."""
        if not self.available or not users:
            return list(users)
        now = self.clock()
        start, end = now - LOOK_BACK, now + LOOK_AHEAD
        body = self._fetch({"filters": window_filter(start, end)})
        if body is None:
            return list(users)
        raw_info = body.get("info")
        info: Mapping[str, Any] = raw_info if isinstance(raw_info, Mapping) else {}
        if info.get("more_records"):
            log.warning(
                "%s: Zoho has more users' unavailability entries than one page; only the first %s were read "
                "(the API documents no paging for this endpoint)",
                self.adapter,
                info.get("count") or len(body.get("users_unavailability") or ()),
            )
        return attach(users, to_absences(body, start, end))

    def _fetch(self, params: Mapping[str, Any]) -> Mapping[str, Any] | None:
        """The decoded answer, ``{}`` for 204, or ``None`` when Zoho refuses the feature."""
        for attempt in (1, 2):
            token = self.client.tokens.token()
            response = self.client.http.request(
                "GET",
                token.api_domain + PATH,
                endpoint=ENDPOINT,
                params=params,
                headers={"Authorization": f"Zoho-oauthtoken {token.access_token}"},
            )
            body = _decode(response)
            answer = classify(response.status_code, body)
            if answer.outcome is Outcome.TOKEN_EXPIRED and attempt == 1:
                self.client.tokens.invalidate()
                continue
            if answer.outcome in _RUN_LEVEL:
                raise error_for(answer, endpoint=ENDPOINT, status=response.status_code, scope=SCOPE)
            if answer.outcome in (Outcome.OK, Outcome.EMPTY, Outcome.NOT_MODIFIED):
                return body if isinstance(body, Mapping) else {}
            self._turn_off(response.status_code, answer)
            return None
        raise AssertionError("unreachable")  # pragma: no cover

    def _turn_off(self, status: int, answer: Answer) -> None:
        """Warn; a refusal (scope, permission, edition) also stops asking for the rest of the process."""
        detail = f"{answer.code}: {answer.message}".strip(": ")
        if answer.outcome is Outcome.SCOPE or answer.code in _NOT_AVAILABLE or status == 403:
            self.available = False
            log.warning(
                "%s: users' unavailability is not available (%s, HTTP %s); assignment sees no absences from "
                "Zoho. To use it, grant the scope %s to an admin's refresh token (`referee zoho auth`) on an "
                "edition that has the feature, or set pull_unavailability = false to stop asking",
                self.adapter,
                detail,
                status,
                SCOPE,
            )
        else:
            log.warning(
                "%s: %s failed (%s, HTTP %s); users carry no absences from Zoho this time",
                self.adapter,
                ENDPOINT,
                detail,
                status,
            )
