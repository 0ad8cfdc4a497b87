"""``POST /webhooks/{adapter}``: verify, store in the inbox, and only then answer 202."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from connector.errors import WebhookRejectedError
from connector.protocol import InboundEvent, WebhookSource
from connector.sanitize import event_problem
from connector.server.logs import get_logger
from connector.server.models import Problem, WebhookAccepted
from connector.server.state import ServerState, get_state

router = APIRouter(tags=["webhooks"])
log = get_logger("webhooks")

_EXAMPLE_BODY = {"event_id": "evt_01J9Z", "lead": {"id": "L-1001", "company": "Acme", "owner": {"id": "u1"}}}


class _TooLarge(Exception):
    pass


@router.post(
    "/webhooks/{adapter}",
    status_code=202,
    response_model=WebhookAccepted,
    summary="Receive a change notification from a CRM",
    description=(
        "Zoho CRM notifications (checked against the channel token the Zoho adapter registered) or "
        "a generic CRM's signed webhook (HMAC per `[adapters.<name>.inbound.signature]`). The verified "
        "event is committed to the durable inbox **before** the answer, so a 202 is never lost; a "
        "redelivery of the same event id answers 202 with `duplicate: true`."
    ),
    responses={
        400: {"model": Problem, "description": "Malformed body (e.g. not JSON) or no record in it."},
        401: {"model": Problem, "description": "Missing or wrong signature / channel token."},
        404: {"model": Problem, "description": "No such adapter, or it does not accept webhooks."},
        413: {"model": Problem, "description": "Body larger than `[server] max_body` (1 MiB)."},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "object", "additionalProperties": True},
                    "example": _EXAMPLE_BODY,
                }
            },
        }
    },
)
async def receive_webhook(
    request: Request,
    adapter: Annotated[
        str, Path(description="The adapter's name in `[adapters.<name>]`.", examples=["acme"])
    ],
    state: Annotated[ServerState, Depends(get_state)],
) -> JSONResponse:
    source = state.adapters.get(adapter)
    label = adapter if source is not None else "unknown"
    if source is None:
        return _problem(state, label, "unknown_adapter", 404, f'no adapter named "{adapter}" is configured')
    if not isinstance(source, WebhookSource):
        return _problem(
            state,
            label,
            "unknown_adapter",
            404,
            f'adapter "{adapter}" does not accept webhooks (its CRM kind cannot push)',
        )
    limit = state.config.server.max_body
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            return _problem(state, label, "invalid", 400, "Content-Length is not a number")
        if int(declared) > limit:
            return _problem(state, label, "too_large", 413, f"the body is larger than {limit} bytes")
    try:
        body = await _read_body(request, limit)
    except _TooLarge:
        return _problem(state, label, "too_large", 413, f"the body is larger than {limit} bytes")
    headers = {k: v for k, v in request.headers.items()}
    try:
        event = await run_in_threadpool(_verify, source, headers, body, request.method, str(request.url))
    except WebhookRejectedError as exc:
        outcome = "rejected" if exc.status == 401 else "invalid"
        return _problem(state, label, outcome, exc.status, str(exc))
    try:
        inserted = await state.writer.add(adapter, event, body)  # returns after the commit
    except WebhookRejectedError as exc:
        return _problem(state, label, "invalid", exc.status, str(exc))
    state.metrics.received.labels(label, "accepted" if inserted else "duplicate").inc()
    return JSONResponse(
        status_code=202,
        content=WebhookAccepted(
            duplicate=not inserted, event_id=event.event_id, adapter=adapter
        ).model_dump(),
    )


def _verify(source: WebhookSource, headers: dict[str, str], body: bytes, method: str, url: str) -> InboundEvent:
    event = source.verify_inbound(headers, body, method=method, url=url)
    if not event.event_id:
        raise WebhookRejectedError("the event has no id", status=400)
    problem = event_problem(event)  # before the group commit, where it would fail everyone's batch
    if problem is not None:
        raise WebhookRejectedError(f"the event cannot be stored: {problem}", status=400)
    return event


async def _read_body(request: Request, limit: int) -> bytes:
    """The raw body, refusing more than ``limit`` bytes whatever Content-Length said."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _problem(state: ServerState, label: str, outcome: str, status: int, detail: str) -> JSONResponse:
    state.metrics.received.labels(label, outcome).inc()
    log.info(
        "webhook refused", extra={"adapter": label, "outcome": outcome, "status": status, "detail": detail}
    )
    return JSONResponse(status_code=status, content={"detail": detail})
