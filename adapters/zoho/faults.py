"""Turn a classified Zoho answer into the project's exceptions, with messages a user can act on.

Messages name the endpoint, Zoho's code and the setting or scope to fix; never a token or secret.
"""

from __future__ import annotations

from adapters.zoho.wire import Answer, Outcome
from connector.errors import AuthError, BudgetExhaustedError, CrmApiError, FatalApiError

CRM = "zoho"


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
        return BudgetExhaustedError(
            f"zoho: the org's daily API credits are used up ({detail}); the rest waits for the next run "
            "(credits free up 24 hours after they were spent)",
            crm=CRM,
            status=status,
        )
    return FatalApiError(f"zoho: {endpoint} failed with HTTP {status} ({detail})", crm=CRM, status=status)
