"""``POST /v1/check``: who already works this customer? (查重, a CRM's "before create" hook)."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from connector.identity_index import CheckVerdict, check
from connector.server.models import CheckCandidate, Problem
from connector.server.state import ServerState, get_state

_bearer = HTTPBearer(auto_error=False, description="An API key from `[server] api_keys`.")


async def require_api_key(
    state: Annotated[ServerState, Depends(get_state)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Accept ``Authorization: Bearer <key>`` for any configured key, compared in constant time.

    Async because it never blocks: a sync dependency would cost a thread-pool hop per request.
    """
    keys = state.config.server.api_keys
    if credentials is None or credentials.scheme.lower() != "bearer":
        state.metrics.checks.labels("unauthorized").inc()
        raise HTTPException(
            401, "missing API key (send Authorization: Bearer <key>)", {"WWW-Authenticate": "Bearer"}
        )
    given = credentials.credentials.encode()
    matched = False
    for key in keys:  # no early exit: the time taken does not depend on which key matched
        matched |= hmac.compare_digest(given, key.get_secret_value().encode())
    if not matched:
        state.metrics.checks.labels("unauthorized").inc()
        detail = (
            "wrong API key"
            if keys
            else "no API keys are configured ([server] api_keys), so /v1/check is closed"
        )
        raise HTTPException(401, detail, {"WWW-Authenticate": "Bearer"})


class KeyFirstRoute(APIRoute):
    """Checks the API key before FastAPI reads and parses the body.

    FastAPI reads the whole body before it runs any dependency, so without this an unauthenticated
    client could make the server read and parse up to ``[server] max_body`` bytes per request.
    The ``Depends(require_api_key)`` on the route stays for the OpenAPI document (and is cheap).
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def key_first(request: Request) -> Response:
            await require_api_key(await get_state(request), await _bearer(request))
            return await handler(request)

        return key_first


router = APIRouter(tags=["check"], route_class=KeyFirstRoute)


@router.post(
    "/v1/check",
    response_model=CheckVerdict,
    summary="Check a candidate record against every known customer",
    description=(
        "Send the record a rep is about to create (domain field names). The answer lists the matching "
        "customers, their records and owners, whether each is actively pursued, and the keeper the "
        "pursuit rules would choose. Answers from the state store only (no CRM call)."
    ),
    responses={
        401: {"model": Problem, "description": "Missing or wrong API key."},
        503: {"model": Problem, "description": "The state store is unreachable."},
    },
    dependencies=[Depends(require_api_key)],
)
async def check_candidate(
    candidate: CheckCandidate, state: Annotated[ServerState, Depends(get_state)]
) -> Response:
    """One thread-pool hop for the (blocking) check, and the JSON written by pydantic directly.

    A sync endpoint returning the model costs two hops (FastAPI validates a sync endpoint's return
    value in the pool too) plus a dump/validate/dump round; the body is the same bytes.
    """
    verdict = await run_in_threadpool(check, state.store, candidate.as_candidate(), state.config, datetime.now(UTC))
    state.metrics.checks.labels("ok").inc()
    return Response(verdict.model_dump_json(), media_type="application/json")
