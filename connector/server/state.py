"""What every request handler of one app instance shares (kept on ``app.state.referee``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import Request

from connector.config import Config
from connector.inbox import Inbox
from connector.protocol import CrmAdapter
from connector.server.intake import BatchWriter
from connector.server.metrics import Metrics
from connector.store import Store


@dataclass
class ServerState:
    config: Config
    store: Store
    adapters: Mapping[str, CrmAdapter]
    inbox: Inbox
    metrics: Metrics
    writer: BatchWriter


async def get_state(request: Request) -> ServerState:
    """Async on purpose: FastAPI runs sync dependencies in the thread pool (a hop per request)."""
    return request.app.state.referee
