"""The one retry layer for every HTTP adapter.

Transient failures (connection errors, timeouts, 429, 5xx) are retried here with exponential
backoff and jitter, honouring ``Retry-After``; nothing above this layer retries. Every call is
counted per endpoint so runs can report what they cost, and an optional budget stops a run
before it spends more calls than allowed. A client may be shared by threads (per-record reads):
counting is locked, and a ``Retry-After`` pauses every thread, not only the one that got it.

Writes that are not idempotent (POST and PATCH unless the caller says otherwise: notes, tag adds,
owner changes) are repeated only when the CRM cannot have acted on them: the connection was never
made, or the answer was 429/503. A read timeout, a reset after sending or another 5xx raises
:class:`~connector.errors.OutcomeUnknownError` at once, so the caller journals the action
``unknown`` and learns the truth by reading the CRM, instead of writing it twice.

An adapter may pass ``classify``: it sees every response before the retry decision and can turn
one into a final error (Zoho's "daily credits used up" is an HTTP 429 that no retry can fix).
"""

from __future__ import annotations

import email.utils
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from typing import Any

import requests
import urllib3
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from connector import __version__
from connector.errors import BudgetExhaustedError, ConnectorError, OutcomeUnknownError, RetriableApiError
from connector.redirects import refuse_cross_origin

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
NOTHING_DONE_STATUSES = frozenset({429, 503})
"""Answers that prove the CRM did not act on a request, so even a non-idempotent write may be repeated."""
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
ResponseClassifier = Callable[[requests.Response], ConnectorError | None]
"""Returns the error to raise for a response that must not be retried (or ``None`` to go on)."""
USER_AGENT = f"crm-referee/{__version__}"


class CallBudget:
    """A hard cap on API calls per run; ``None`` means unlimited."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.used = 0

    def spend(self, crm: str) -> None:
        if self.limit is not None and self.used >= self.limit:
            raise BudgetExhaustedError(
                f"{crm}: the run used its budget of {self.limit} API calls; the rest waits for the next run "
                "(raise max_api_calls to allow more)",
                crm=crm,
            )
        self.used += 1


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class HttpClient:
    """A ``requests`` session with one retry policy, call counting and an optional budget."""

    def __init__(
        self,
        crm: str,
        *,
        timeout: float = 30.0,
        max_attempts: int = 5,
        base_delay: float = 1.0,
        max_delay: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
        budget: CallBudget | None = None,
        retry_statuses: Collection[int] = RETRY_STATUSES,
        classify: ResponseClassifier | None = None,
    ) -> None:
        self.crm = crm
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.sleep = sleep
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", USER_AGENT)
        self.session.hooks["response"].append(refuse_cross_origin(crm))  # see connector.redirects
        self.budget = budget or CallBudget(None)
        self.retry_statuses = frozenset(retry_statuses)
        self.classify = classify
        self.calls: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._resume_at = 0.0  # time.monotonic() before which no thread sends (a Retry-After)

    def request(
        self,
        method: str,
        url: str,
        *,
        endpoint: str | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> requests.Response:
        """Send with retries; return the final response (any non-retriable status) to the caller.

        ``endpoint`` labels the call in ``calls`` (e.g. ``"GET /Leads"``); never put secrets in it.
        ``idempotent`` defaults to what the method promises (:data:`IDEMPOTENT_METHODS`).
        """
        label = endpoint or method.upper()
        safe = method.upper() in IDEMPOTENT_METHODS if idempotent is None else idempotent
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            sleep=self.sleep,
            retry=retry_if_exception_type(RetriableApiError),
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                if attempt.retry_state.attempt_number == 1:  # a retry already waited its own delay
                    self._wait_for_resume()
                with self._lock:
                    self.budget.spend(self.crm)
                    self.calls[label] += 1
                response = self._send(
                    method, url, label, safe, params=params, json=json, data=data, headers=headers
                )
        return response

    def _send(self, method: str, url: str, label: str, idempotent: bool, **kwargs: Any) -> requests.Response:
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except (requests.ConnectionError, requests.Timeout) as exc:
            if not idempotent and not nothing_sent(exc):
                raise OutcomeUnknownError(
                    f"{self.crm}: {label} got no answer ({type(exc).__name__}); it may have been carried "
                    "out, so it is not sent again: the next run reads the CRM to find out",
                    crm=self.crm,
                ) from None
            raise RetriableApiError(
                f"{self.crm}: {label} could not reach the server ({type(exc).__name__})", crm=self.crm
            ) from None
        final = self.classify(response) if self.classify is not None else None
        if final is not None:
            raise final
        if not idempotent and response.status_code in self.retry_statuses - NOTHING_DONE_STATUSES:
            raise OutcomeUnknownError(
                f"{self.crm}: {label} answered HTTP {response.status_code}; it may have been carried out, "
                "so it is not sent again: the next run reads the CRM to find out",
                crm=self.crm,
                status=response.status_code,
            )
        if response.status_code in self.retry_statuses:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after:
                with self._lock:
                    resume = time.monotonic() + min(retry_after, self.max_delay)
                    self._resume_at = max(self._resume_at, resume)
            raise RetriableApiError(
                f"{self.crm}: {label} answered HTTP {response.status_code}",
                crm=self.crm,
                status=response.status_code,
                retry_after=retry_after,
            )
        if self._resume_at:
            self._resume_at = 0.0  # the server answers again: nobody needs to hold back any more
        return response

    def _wait_for_resume(self) -> None:
        """Hold back while a ``Retry-After`` another request got has not passed yet."""
        delay = self._resume_at - time.monotonic()
        if delay > 0:
            self.sleep(delay)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        if retry_after is not None:
            return min(float(retry_after), self.max_delay)
        backoff = self.base_delay * 2 ** (state.attempt_number - 1)
        return min(self.max_delay, backoff) * (0.5 + random.random() / 2)


def nothing_sent(exc: requests.RequestException) -> bool:
    """True when the request never left this machine: connect timeout, refused, DNS failure.

    ``requests`` wraps urllib3's errors; a reset or timeout after the request was written
    (``ProtocolError``, ``ReadTimeout``) means the CRM may have acted on it.
    """
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.Timeout):
        return False
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError))
