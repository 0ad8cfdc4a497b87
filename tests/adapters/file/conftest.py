"""Fixtures for the file-adapter tests (builders live in ``file_builders``)."""

from __future__ import annotations

from file_builders import export

__all__ = ["export"]
