"""Every exception crm-referee raises, grouped by what the caller can do about it.

``str(exc)`` is always a message a user can act on and never contains a secret.
The CLI maps ``exit_code`` to the process exit status; the server maps errors to HTTP statuses.
"""

from __future__ import annotations

from datetime import datetime


class ConnectorError(Exception):
    """Root of every crm-referee error."""

    exit_code: int = 1


class ConfigError(ConnectorError):
    """The config file (or a variable it references) must be fixed by the user."""

    exit_code = 2


class UsageError(ConnectorError):
    """A command was called with arguments that cannot work."""

    exit_code = 2


class DataError(ConnectorError):
    """Input data (e.g. an export file) has bad lines the user must fix; the message lists them."""

    exit_code = 2


class StateError(ConnectorError):
    """The state store is unreachable, corrupt, or held by another run."""

    exit_code = 1


class SyncLockedError(StateError):
    """Another sync holds the store's run lock."""


class WebhookRejectedError(ConnectorError):
    """An inbound webhook failed verification or could not be parsed."""

    def __init__(self, message: str, *, status: int = 401) -> None:
        super().__init__(message)
        self.status = status


class CrmApiError(ConnectorError):
    """A CRM answered with an error or could not be reached."""

    exit_code = 3

    def __init__(self, message: str, *, crm: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.crm = crm
        self.status = status


class RetriableApiError(CrmApiError):
    """A transient failure (429, 5xx, connection reset) that the retry layer may repeat."""

    def __init__(
        self, message: str, *, crm: str = "", status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, crm=crm, status=status)
        self.retry_after = retry_after


class OutcomeUnknownError(CrmApiError):
    """A write that may or may not have reached the CRM (read timeout, reset after sending, 5xx).

    Never repeated blindly: the action is journaled ``unknown`` and the next run reads the CRM to
    learn whether it was done.
    """


class FatalApiError(CrmApiError):
    """A failure that repeating the same request cannot fix."""


class AuthError(FatalApiError):
    """Credentials are missing, wrong, revoked or lack a scope."""


class BudgetExhaustedError(FatalApiError):
    """The run's API-call budget or the CRM's daily credits are used up."""


class QuotaExhaustedError(BudgetExhaustedError):
    """The CRM's own quota (e.g. Zoho's daily API credits) is used up; retrying now cannot help.

    ``resets_at`` is when the CRM says (or documents) that calls work again, when known.
    """

    def __init__(self, message: str, *, crm: str | None = None, resets_at: datetime | None = None) -> None:
        super().__init__(message, crm=crm or "", status=429)
        self.resets_at = resets_at
