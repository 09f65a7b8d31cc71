"""What every model module shares: the declarative base and the clock."""

from __future__ import annotations

from datetime import UTC, datetime

from recommender.storage.db import Base


def utcnow() -> datetime:
    return datetime.now(UTC)


__all__ = ["Base", "utcnow"]
