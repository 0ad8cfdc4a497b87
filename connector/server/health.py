"""``/healthz`` (the process answers), ``/readyz`` (the store is usable) and ``/metrics``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse

from connector.errors import StateError
from connector.server.metrics import CONTENT_TYPE
from connector.server.models import Health, Readiness
from connector.server.state import ServerState, get_state
from connector.store.migrations import current_version

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health, summary="Liveness: the process is up")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="Readiness: the state store is reachable and its schema is current",
    responses={503: {"model": Readiness, "description": "Not ready; `detail` says why."}},
)
def readyz(state: Annotated[ServerState, Depends(get_state)]) -> JSONResponse:
    expected = current_version()
    try:
        version = state.store.schema_version()
    except StateError as exc:
        body = Readiness(status="not ready", expected_schema_version=expected, detail=str(exc))
        return JSONResponse(status_code=503, content=body.model_dump())
    if version != expected:
        body = Readiness(
            status="not ready",
            schema_version=version,
            expected_schema_version=expected,
            detail="the state store schema is not current (restart the server to migrate it)",
        )
        return JSONResponse(status_code=503, content=body.model_dump())
    body = Readiness(status="ready", schema_version=version, expected_schema_version=expected)
    return JSONResponse(status_code=200, content=body.model_dump())


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {
            "content": {"text/plain": {"example": "referee_inbox_depth 0.0\n"}},
            "description": "Prometheus text exposition format.",
        }
    },
)
def metrics(state: Annotated[ServerState, Depends(get_state)]) -> Response:
    return Response(content=state.metrics.render(), media_type=CONTENT_TYPE)
