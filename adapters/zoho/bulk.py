"""Zoho Bulk Read for very large first loads: create a job, poll it, download and read its CSV.

One job exports up to 200,000 records as a ZIP'd CSV, so 100,000 leads cost about four calls
(create, a poll or two, download) instead of 500 Get Records pages. Every call goes through the
adapter's ``ZohoClient`` (one retry layer, per-endpoint counting, the run's budget); polling waits
with the adapter's injectable ``sleep``.

Bulk Read is an optimisation: when Zoho refuses it for this token or module (missing
``ZohoCRM.bulk.read`` scope, a field or module it cannot export, a result without a column we asked
for) ``open`` returns ``None`` and logs why, and the caller loads the module with Get Records.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import timedelta
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from adapters.zoho.bulk_wire import bulk_fields, has_id_column, lookup_fields, open_result, to_raw
from adapters.zoho.client import ZohoClient
from adapters.zoho.faults import error_for
from adapters.zoho.wire import Outcome
from connector.errors import FatalApiError

log = logging.getLogger(__name__)

BULK = "/crm/bulk/v8/read"
SCOPE = "ZohoCRM.bulk.read"
BATCH = 2_000  # raw records handed to the mapper at a time (one PullBatch each)
# Create-job refusals that mean "this export cannot be done by Bulk Read", not "the run is broken".
FALLBACK_CODES = frozenset(
    {
        "NO_PERMISSION",
        "FIELD_NOT_SUPPORTED",
        "FIELD_NOT_AVAILABLE",
        "MODULE_NOT_SUPPORTED",
        "MODULE_NOT_AVAILABLE",
        "NOT_SUPPORTED_FEATURE",
        "QUERY_NOT_SUPPORTED",
        "JOB_NOT_SUPPORTED",
    }
)


class BulkReader:
    """Runs Bulk Read jobs for one adapter run."""

    def __init__(
        self,
        client: ZohoClient,
        *,
        sleep: Callable[[float], None],
        poll_interval: timedelta,
        timeout: timedelta,
        default_tz: str = "UTC",
    ) -> None:
        self.client = client
        self.sleep = sleep
        self.poll_interval = poll_interval.total_seconds()
        self.timeout = timeout.total_seconds()
        self.tz = ZoneInfo(default_tz)

    def open(self, module: str, fields: Sequence[str]) -> Iterator[list[dict[str, Any]]] | None:
        """Export ``module`` and return its records in batches shaped like Get Records pages.

        The first page's job runs (and its header is checked) before this returns, so a ``None``
        (fall back to Get Records) is decided before any record was handed out.
        """
        wanted = bulk_fields(module, fields)
        job_id = self._create(module, wanted, page=1, page_token=None)
        if job_id is None:
            return None
        result = self._wait(module, job_id)
        header, rows = open_result(self._download(job_id), job_id)
        missing = [f for f in wanted if f not in header]
        if missing or not has_id_column(header):
            log.warning(
                "zoho: the Bulk Read result for %s lacks the columns %s; loading %s with Get Records instead",
                module,
                ", ".join(missing or ["Id"]),
                module,
            )
            return None
        return self._pages(module, wanted, rows, result)

    def _pages(
        self, module: str, wanted: list[str], rows: Iterator[dict[str, str]], result: Mapping[str, Any]
    ) -> Iterator[list[dict[str, Any]]]:
        lookups = lookup_fields(module)
        while True:
            raws = (to_raw(row, lookups, self.tz) for row in rows)
            while batch := list(islice(raws, BATCH)):
                yield batch
            if not result.get("more_records"):
                return
            token = result.get("next_page_token") or None
            page = int(result.get("page") or 1) + 1
            job_id = self._create(module, wanted, page=page, page_token=token)
            if job_id is None:
                raise FatalApiError(
                    f"zoho: Bulk Read refused page {page} of {module} after accepting page 1 (see the log); "
                    "rerun, or set bulk_read_above = 0 to load with Get Records",
                    crm="zoho",
                )
            result = self._wait(module, job_id)
            _, rows = open_result(self._download(job_id), job_id)

    def _create(self, module: str, wanted: list[str], *, page: int, page_token: str | None) -> str | None:
        """``POST /crm/bulk/v8/read``; the job id, or ``None`` when Bulk Read is refused for this export."""
        query: dict[str, Any] = {"module": {"api_name": module}, "fields": wanted}
        if page_token:  # like Get Records: page or page_token, never both
            query["page_token"] = page_token
        else:
            query["page"] = page
        endpoint = "POST /bulk/read"
        reply = self.client.call(
            "POST",
            BULK,
            endpoint=endpoint,
            json={"query": query},
            scope=SCOPE,
            tolerate=frozenset({Outcome.SCOPE}),
        )
        if reply.answer.outcome is Outcome.SCOPE:
            log.warning(
                "zoho: the refresh token lacks the scope %s (%s); loading %s with Get Records instead "
                "(add the scope and run `referee zoho auth` to use Bulk Read)",
                SCOPE,
                reply.answer.code,
                module,
            )
            return None
        if reply.answer.outcome is Outcome.ERROR:
            if reply.answer.code in FALLBACK_CODES:
                log.warning(
                    "zoho: Bulk Read refused %s (%s: %s); loading %s with Get Records instead",
                    module,
                    reply.answer.code,
                    reply.answer.message,
                    module,
                )
                return None
            raise error_for(reply.answer, endpoint=endpoint, status=reply.status, scope=SCOPE)
        details = _first(reply.body).get("details") or {}
        if not details.get("id"):
            raise FatalApiError(f"zoho: {endpoint} for {module} answered without a job id", crm="zoho")
        return str(details["id"])

    def _wait(self, module: str, job_id: str) -> Mapping[str, Any]:
        """Poll ``GET /crm/bulk/v8/read/{job_id}`` until COMPLETED; the job's ``result``."""
        waited = 0.0
        while True:
            if waited >= self.timeout:
                raise FatalApiError(
                    f"zoho: Bulk Read job {job_id} for {module} did not complete within {waited:.0f} s; "
                    "raise bulk_timeout, or set bulk_read_above = 0 to load with Get Records",
                    crm="zoho",
                )
            self.sleep(self.poll_interval)
            waited += self.poll_interval
            reply = self.client.get(f"{BULK}/{job_id}", endpoint="GET /bulk/read/{job_id}", scope=SCOPE)
            job = _first(reply.body)
            state = str(job.get("state") or "")
            if state == "COMPLETED":
                return job.get("result") or {}
            if state == "FAILURE":
                raise FatalApiError(
                    f"zoho: Bulk Read job {job_id} for {module} ended in state FAILURE; rerun, or set "
                    "bulk_read_above = 0 to load with Get Records",
                    crm="zoho",
                )

    def _download(self, job_id: str) -> bytes:
        """``GET /crm/bulk/v8/read/{job_id}/result``: the ZIP (≤10 downloads a minute; 429s are retried)."""
        reply = self.client.get(
            f"{BULK}/{job_id}/result", endpoint="GET /bulk/read/{job_id}/result", scope=SCOPE, binary=True
        )
        return reply.content


def _first(body: Any) -> Mapping[str, Any]:
    data = body.get("data") if isinstance(body, Mapping) else None
    return data[0] if isinstance(data, list) and data and isinstance(data[0], Mapping) else {}
