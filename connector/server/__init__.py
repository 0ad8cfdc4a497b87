"""The webhook server: inbound change notifications, ``/v1/check`` and health endpoints."""
