"""The app factory: one FastAPI app per config, with its store, adapters, metrics and inbox worker.

``create_app`` is what tests and ``referee serve`` use. Under uvicorn's ``--workers N`` each
process builds its own app through :func:`app_from_env` (the config path travels in
``REFEREE_CONFIG``). The worker thread starts with the app and, on shutdown (SIGTERM), finishes
the event in flight before the process exits; anything not finished stays in the inbox.
"""

from __future__ import annotations

import os
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import Scope

from connector import __version__
from connector.config import Config, load_config
from connector.errors import ConnectorError, StateError, UsageError
from connector.inbox import Inbox
from connector.protocol import CrmAdapter
from connector.run_warnings import RunWarning
from connector.server import check, health, webhooks
from connector.server.intake import BatchWriter
from connector.server.limits import BodyLimit
from connector.server.logs import get_logger, setup_logging
from connector.server.metrics import Metrics
from connector.server.state import ServerState
from connector.store import Store
from connector.sync import api_calls
from connector.worker import Worker

CONFIG_ENV = "REFEREE_CONFIG"
log = get_logger("server")

DESCRIPTION = """\
crm-referee's webhook server.

* **`POST /webhooks/{adapter}`**: CRMs report changes here; each event is stored durably before
  the 202 answer and then checked for duplicate pursuit (撞单) and SLA breaches by the worker.
* **`POST /v1/check`**: look a candidate record up before creating it (查重); needs an API key.
* **`/healthz`, `/readyz`, `/metrics`**: for load balancers and Prometheus.
"""


def create_app(
    config: Config,
    *,
    store: Store | None = None,
    adapters: Mapping[str, CrmAdapter] | None = None,
    start_worker: bool = True,
) -> FastAPI:
    """Build the app; a store or adapters passed in are used as they are (and not closed)."""
    own_store = store is None
    if store is None:
        store = Store.open(config.state_url())
    if adapters is None:
        adapters = _build_adapters(config, store)
    inbox = Inbox(store)
    metrics = Metrics(
        depth=lambda: _depth(inbox),
        api_calls=lambda: api_calls(adapters),
        run_warnings=lambda: _last_sync_warnings(store),
    )
    writer = BatchWriter(inbox)
    state = ServerState(
        config=config, store=store, adapters=adapters, inbox=inbox, metrics=metrics, writer=writer
    )
    run_worker = start_worker and config.server.worker.enabled

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        thread: threading.Thread | None = None
        writer.start()
        if run_worker:
            worker = Worker(config, store, adapters, metrics=metrics)
            thread = threading.Thread(target=worker.run, args=(stop,), name="referee-worker", daemon=True)
            thread.start()
        log.info("server ready", extra={"adapters": sorted(adapters), "worker": run_worker})
        try:
            yield
        finally:
            await writer.stop()
            stop.set()
            if thread is not None:
                thread.join(timeout=60)
            if own_store:
                store.close()
            log.info("server stopped")

    app = FastAPI(
        title="crm-referee",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    app.state.referee = state
    app.add_middleware(BodyLimit, limit=config.server.max_body, on_refused=_count_refusal(state))
    app.include_router(webhooks.router)
    app.include_router(check.router)
    app.include_router(health.router)
    _install_error_handlers(app)
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` (one call per server process)."""
    path = os.environ.get(CONFIG_ENV)
    if not path:
        raise UsageError(f"{CONFIG_ENV} is not set (start the server with: referee serve -c FILE)")
    setup_logging()
    return create_app(load_config(path))


def _build_adapters(config: Config, store: Store) -> dict[str, CrmAdapter]:
    from adapters.registry import build_adapter

    return {
        name: build_adapter(name, section, store=store, default_tz=config.referee.timezone)
        for name, section in config.adapters.items()
    }


def _count_refusal(state: ServerState) -> Callable[[Scope], None]:
    """Oversized webhooks count as ``too_large`` for their adapter, as the route would count them."""

    def count(scope: Scope) -> None:
        path = str(scope.get("path", ""))
        if path.startswith("/webhooks/"):
            name = path.removeprefix("/webhooks/")
            state.metrics.received.labels(name if name in state.adapters else "unknown", "too_large").inc()

    return count


def _depth(inbox: Inbox) -> int | None:
    try:
        return inbox.depth()
    except StateError:
        return None


def _last_sync_warnings(store: Store) -> tuple[RunWarning, ...]:
    try:
        run = store.last_finished_run()
    except StateError:
        return ()
    return run.warnings if run is not None else ()


def _install_error_handlers(app: FastAPI) -> None:
    """Errors answer with a sentence; tracebacks go to the log only."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
            problems.append(f"{where}: {error.get('msg', 'invalid')}")
        return JSONResponse(status_code=422, content={"detail": "; ".join(problems) or "invalid request"})

    @app.exception_handler(UsageError)
    async def _usage(_request: Request, exc: UsageError) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": str(exc)})

    @app.exception_handler(StateError)
    async def _state(_request: Request, exc: StateError) -> JSONResponse:
        log.error("state store error", extra={"error": str(exc)})
        return JSONResponse(
            status_code=503, content={"detail": "the state store is unavailable; retry shortly"}
        )

    @app.exception_handler(ConnectorError)
    async def _connector(_request: Request, exc: ConnectorError) -> JSONResponse:
        log.error("request failed", extra={"error": str(exc), "error_type": type(exc).__name__})
        return JSONResponse(status_code=500, content={"detail": str(exc)})

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error", exc_info=exc, extra={"error_type": type(exc).__name__})
        return JSONResponse(
            status_code=500, content={"detail": "internal error (details are in the server log)"}
        )
