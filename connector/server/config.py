"""``[server]``: the webhook server's settings (listen address, API keys, inbox worker)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, SecretStr, field_validator

from connector.config_base import ConfigModel
from connector.durations import Duration

MIB = 1024 * 1024


class WorkerConfig(ConfigModel):
    """How the inbox worker polls, retries and parks events.

    A failed event waits ``backoff * 2 ** (attempts - 1)`` (capped at ``max_backoff``) before the
    next try and is parked after ``max_attempts``. A claim older than ``lease`` belongs to a worker
    that died, so another worker may take the event again.
    """

    enabled: bool = True
    poll_interval: Duration = timedelta(milliseconds=500)
    max_attempts: int = Field(default=5, ge=1)
    backoff: Duration = timedelta(seconds=5)
    max_backoff: Duration = timedelta(minutes=30)
    lease: Duration = timedelta(minutes=5)

    @field_validator("poll_interval", "backoff", "lease")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError('must be longer than zero (write e.g. "1s")')
        return value


class ServerConfig(ConfigModel):
    api_keys: tuple[SecretStr, ...] = ()
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    max_body: int = Field(default=MIB, ge=1024, le=64 * MIB)
    """Largest request body any route reads (bytes); larger ones get 413 before they are read."""
    max_header_bytes: int = Field(default=64 * 1024, ge=4096, le=MIB)
    """Largest request line + headers (bytes); larger heads get 431 and the connection is closed."""
    max_headers: int = Field(default=100, ge=16, le=1000)
    max_connections: int = Field(default=1000, ge=1, le=100_000)
    """Open connections / requests in flight per server process before new ones get 503."""
    keep_events: Duration = timedelta(days=7)
    """Done inbox events (and their raw bodies) older than this are deleted by the worker."""
    worker: WorkerConfig = WorkerConfig()

    @field_validator("keep_events")
    @classmethod
    def _keep_long_enough(cls, value: timedelta) -> timedelta:
        if value < timedelta(hours=1):
            raise ValueError('keep_events must be at least 1h (write e.g. "7d")')
        return value

    @field_validator("api_keys")
    @classmethod
    def _no_empty_keys(cls, value: tuple[SecretStr, ...]) -> tuple[SecretStr, ...]:
        if any(len(key.get_secret_value()) < 16 for key in value):
            raise ValueError(
                "an API key must be at least 16 characters (generate one with: openssl rand -hex 32)"
            )
        return value
