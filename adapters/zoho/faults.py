"""Turn a classified Zoho answer into the project's exceptions, with messages a user can act on.

Messages name the endpoint, Zoho's code and the setting or scope to fix; never a token or secret.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from adapters.zoho.wire import Answer, Outcome, is_daily_quota
from connector.errors import AuthError, ConnectorError, CrmApiError, FatalApiError, QuotaExhaustedError

CRM = "zoho"
CREDIT_WINDOW = timedelta(hours=24)
"""Zoho's credits are a rolling 24-hour window: each call's credits free up 24 hours after it."""


def quota_error(message: str, *, endpoint: str, now: datetime | None) -> QuotaExhaustedError:
    """The one-line stop for "daily API credits used up", saying when calls work again."""
    resets_at = now + CREDIT_WINDOW if now is not None else None
    when = (
        f"by {resets_at.isoformat(timespec='minutes')} at the latest"
        if resets_at is not None
        else "within 24 hours"
    )
    return QuotaExhaustedError(
        f"zoho: the org's daily API credits are used up ({endpoint} answered TOO_MANY_REQUESTS: "
        f"{message or 'the 24-hour limit is exceeded'}); they free up on a rolling 24-hour window, {when}. "
        "The run stopped; what it finished is saved and the next run continues "
        "(buy add-on credits or lower max_api_calls to leave room for other integrations)",
        crm=CRM,
        resets_at=resets_at,
    )


def response_classifier(clock: Callable[[], datetime]) -> Callable[[Any], ConnectorError | None]:
    """For :class:`connector.http.HttpClient`: stop at once on a daily-credit 429 (never retried)."""

    def classify(response: Any) -> ConnectorError | None:
        if response.status_code != 429:
            return None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not is_daily_quota(429, body, response.headers.get("X-API-CREDITS-REMAINING")):
            return None
        path = response.request.path_url.split("?")[0] if response.request is not None else ""
        endpoint = f"{response.request.method} {path.removeprefix('/crm/v8')}" if path else "a call"
        message = str(body.get("message") or "") if isinstance(body, dict) else ""
        return quota_error(message, endpoint=endpoint, now=clock())

    return classify


def error_for(answer: Answer, *, endpoint: str, status: int, scope: str = "") -> CrmApiError:
    """The exception to raise for a failed ``answer`` of ``endpoint``."""
    detail = f"{answer.code}: {answer.message}".strip(": ")
    if answer.outcome is Outcome.SCOPE:
        need = f"the scope {scope}" if scope else "a scope this call needs"
        return AuthError(
            f"zoho: {endpoint} was refused ({detail}); the refresh token lacks {need} "
            "(generate a new grant code with that scope and run `referee zoho auth`)",
            crm=CRM,
            status=status,
        )
    if answer.outcome is Outcome.AUTH:
        return AuthError(
            f"zoho: the accounts server rejected the credentials ({detail}); check client_id, client_secret "
            "and refresh_token, and that data_center matches where the self client was created",
            crm=CRM,
            status=status,
        )
    if answer.outcome is Outcome.TOKEN_EXPIRED:
        return AuthError(
            f"zoho: {endpoint} rejected a freshly refreshed access token ({detail}); "
            "the refresh token may be revoked (run `referee zoho auth` again)",
            crm=CRM,
            status=status,
        )
    if answer.outcome is Outcome.TOKEN_THROTTLED:
        return FatalApiError(
            "zoho: the accounts server refused a new access token (more than 10 refreshes in 10 minutes for "
            "this refresh token); wait 10 minutes, and make every job share one state store so the cached "
            "token is reused",
            crm=CRM,
            status=status,
        )
    if answer.outcome is Outcome.CREDITS:
        return quota_error(answer.message, endpoint=endpoint, now=None)
    return FatalApiError(f"zoho: {endpoint} failed with HTTP {status} ({detail})", crm=CRM, status=status)
