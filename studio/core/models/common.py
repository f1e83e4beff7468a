"""Helpers shared by the table modules."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Current time in UTC, timezone-aware (stored as ISO text by SQLAlchemy)."""
    return datetime.now(UTC)
