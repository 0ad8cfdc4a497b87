"""``HttpClient(classify=…)``: an adapter can make an answer final before the retry layer repeats it."""

from __future__ import annotations

import pytest
import responses

from connector.errors import QuotaExhaustedError, RetriableApiError
from connector.http import HttpClient

URL = "https://crm.example.com/api/leads"


def _quota(response: object) -> QuotaExhaustedError | None:
    if getattr(response, "status_code", 0) == 429 and b"daily" in getattr(response, "content", b""):
        return QuotaExhaustedError("crm: daily quota used up", crm="crm")
    return None


@responses.activate
def test_a_classified_answer_is_raised_at_once_and_never_retried() -> None:
    responses.get(URL, status=429, body=b'{"message": "daily quota used up"}')
    slept: list[float] = []
    client = HttpClient("crm", sleep=slept.append, classify=_quota)
    with pytest.raises(QuotaExhaustedError) as caught:
        client.request("GET", URL, endpoint="GET /leads")
    assert caught.value.exit_code == 3 and caught.value.crm == "crm" and caught.value.resets_at is None
    assert slept == [] and client.calls == {"GET /leads": 1}


@responses.activate
def test_other_answers_keep_the_retry_policy() -> None:
    responses.get(URL, status=429, body=b'{"message": "slow down"}')
    responses.get(URL, status=200, json={"data": []})
    slept: list[float] = []
    client = HttpClient("crm", sleep=slept.append, classify=_quota, max_attempts=2)
    assert client.request("GET", URL).status_code == 200
    assert len(slept) == 1


@responses.activate
def test_without_a_classifier_a_429_is_retried_until_attempts_run_out() -> None:
    responses.get(URL, status=429, body=b'{"message": "daily quota used up"}')
    client = HttpClient("crm", sleep=lambda s: None, max_attempts=3)
    with pytest.raises(RetriableApiError):
        client.request("GET", URL)
    assert len(responses.calls) == 3
