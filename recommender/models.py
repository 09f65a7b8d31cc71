"""Database models (SQLAlchemy 2.x typed)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recommender.db import Base


def utcnow() -> datetime:
    return datetime.now(UTC)


class FrameworkVersion(Base):
    """A loaded version of the capability framework; exactly one is current."""

    __tablename__ = "framework_versions"

    version: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    checksum: Mapped[str] = mapped_column(String(64))
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Capability(Base):
    """One capability statement of one framework version."""

    __tablename__ = "capabilities"
    __table_args__ = (UniqueConstraint("framework_version", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    framework_version: Mapped[str] = mapped_column(
        ForeignKey("framework_versions.version", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    level: Mapped[int] = mapped_column(Integer)
    archetypes: Mapped[list] = mapped_column(JSON)
    provenance: Mapped[str] = mapped_column(String(20))
    domain_id: Mapped[str] = mapped_column(String(10))
    domain_name: Mapped[str] = mapped_column(String(200))
    group_id: Mapped[str] = mapped_column(String(20))
    group_name: Mapped[str] = mapped_column(String(200))


class Resource(Base):
    """A learning resource in the catalogue; ``slug`` is its stable public id."""

    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(400))
    url: Mapped[str] = mapped_column(String(2000))
    canonical_url: Mapped[str] = mapped_column(String(2000), unique=True)
    provider: Mapped[str] = mapped_column(String(200), index=True)
    licence: Mapped[str] = mapped_column(String(60))
    access: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text)
    format: Mapped[str] = mapped_column(String(30))
    duration_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    level: Mapped[str] = mapped_column(String(20), index=True)
    archetypes: Mapped[list] = mapped_column(JSON)
    topics: Mapped[list] = mapped_column(JSON)
    language: Mapped[str] = mapped_column(String(10), default="en")
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    mappings: Mapped[list[ResourceCapability]] = relationship(
        back_populates="resource", cascade="all, delete-orphan")


class ResourceCapability(Base):
    """A resource's mapping to a capability statement, curated or suggested."""

    __tablename__ = "resource_capabilities"

    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"),
                                             primary_key=True)
    capability_code: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)
    source: Mapped[str] = mapped_column(String(20), default="curated")
    confidence: Mapped[float] = mapped_column(Float, default=1.0)

    resource: Mapped[Resource] = relationship(back_populates="mappings")


class IndexBuild(Base):
    """One index build, keyed by the Celery task id, so its status outlives the broker."""

    __tablename__ = "index_builds"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    version: Mapped[str | None] = mapped_column(String(80), nullable=True)
    count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
