"""What frameworks' versions and neighbours change for curated work: mappings a new version
put up for a curator's review, and crosswalk links between two frameworks' statements."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from recommender.storage.models.base import Base, utcnow


class VersionChanges(Base):
    """What a framework version changed from the one current before it
    (``content.framework_changes``): {"from", "reworded", "added", "removed", "renamed": {new
    id: old id}}. A first version has none."""

    __tablename__ = "framework_version_changes"

    framework: Mapped[str] = mapped_column(String(40), primary_key=True)
    version: Mapped[str] = mapped_column(String(40), primary_key=True)
    changes: Mapped[dict] = mapped_column(JSON)


class MappingReview(Base):
    """A curated mapping whose statement a new framework version reworded or removed, held
    for a curator to keep or remove (``reason`` says what changed)."""

    __tablename__ = "mapping_reviews"
    __table_args__ = (UniqueConstraint("resource_id", "framework", "capability_code",
                                       "framework_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"),
                                             index=True)
    framework: Mapped[str] = mapped_column(String(40), index=True)
    capability_code: Mapped[str] = mapped_column(String(20))
    framework_version: Mapped[str] = mapped_column(String(40))  # the version that changed it
    change: Mapped[str] = mapped_column(String(20))  # reworded or removed
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, kept, removed
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class CrosswalkLink(Base):
    """A statement of one framework and a near one of another, by meaning (the cosine of
    their vectors in the index), suggested and then confirmed or rejected by a curator. A
    confirmed link lets a resource curated for one count for the other, and an assessment
    against one be read against the other."""

    __tablename__ = "crosswalk_links"

    from_framework: Mapped[str] = mapped_column(String(40), primary_key=True)
    from_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    to_framework: Mapped[str] = mapped_column(String(40), primary_key=True)
    to_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    similarity: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), default="suggested")  # or confirmed, rejected
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
