"""The framework and the catalogue as stored: framework versions and their statements,
resources and their mappings, curators' decisions on suggestions and near-duplicates, records
held for review, and import jobs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.framework import DEFAULT_FRAMEWORK
from recommender.storage.models.base import Base, utcnow


class FrameworkVersion(Base):
    """A loaded version of a capability framework; exactly one per framework is current. Its
    roles (archetypes) are data: each ``{id, badge, name, description}``."""

    __tablename__ = "framework_versions"

    framework: Mapped[str] = mapped_column(String(40), primary_key=True,
                                           default=DEFAULT_FRAMEWORK)
    version: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    source_url: Mapped[str] = mapped_column(String(500), default="", server_default="")
    archetypes: Mapped[list] = mapped_column(JSON, default=list)
    checksum: Mapped[str] = mapped_column(String(64))
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Capability(Base):
    """One capability statement of one framework version."""

    __tablename__ = "capabilities"
    __table_args__ = (
        UniqueConstraint("framework", "framework_version", "code"),
        ForeignKeyConstraint(["framework", "framework_version"],
                             ["framework_versions.framework", "framework_versions.version"],
                             ondelete="CASCADE"),
        Index("ix_capabilities_framework_version", "framework", "framework_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    framework: Mapped[str] = mapped_column(String(40), default=DEFAULT_FRAMEWORK)
    framework_version: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    level: Mapped[int] = mapped_column(Integer)
    archetypes: Mapped[list] = mapped_column(JSON)
    provenance: Mapped[str] = mapped_column(String(20))
    # stated: the framework's own level; inferred: assigned where the source gives none
    level_source: Mapped[str] = mapped_column(String(10), default="stated",
                                              server_default="stated")
    domain_id: Mapped[str] = mapped_column(String(10))
    domain_name: Mapped[str] = mapped_column(String(200))
    group_id: Mapped[str] = mapped_column(String(20))
    group_name: Mapped[str] = mapped_column(String(200))
    # the id the statement had in the framework's earlier versions (its data follows it)
    formerly: Mapped[str] = mapped_column(String(20), default="", server_default="")


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
    # where each label came from when the source did not simply state it: {field: {"source":
    # "curated" | "suggested", "confidence": ..., "note": ...}}; a field absent here is as the
    # source stated it (catalogue_store applies the rules; docs/catalogue-formats.md)
    labels: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    # the default framework's mappings, which a catalogue record carries; another framework's
    # are read by query (``framework`` column), and go with the resource by ON DELETE CASCADE
    mappings: Mapped[list[ResourceCapability]] = relationship(
        back_populates="resource", cascade="all, delete-orphan", passive_deletes=True,
        primaryjoin=f"and_(Resource.id == ResourceCapability.resource_id, "
                    f"ResourceCapability.framework == '{DEFAULT_FRAMEWORK}')")
    # the other frameworks' mappings, read-only here (written by the indexer and curators)
    other_mappings: Mapped[list[ResourceCapability]] = relationship(
        viewonly=True,
        primaryjoin=f"and_(Resource.id == ResourceCapability.resource_id, "
                    f"ResourceCapability.framework != '{DEFAULT_FRAMEWORK}')",
        order_by="(ResourceCapability.framework, ResourceCapability.confidence.desc(), "
                 "ResourceCapability.capability_code)")


class ResourceCapability(Base):
    """A resource's mapping to a capability statement, curated or suggested."""

    __tablename__ = "resource_capabilities"

    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"),
                                             primary_key=True)
    framework: Mapped[str] = mapped_column(String(40), primary_key=True,
                                           default=DEFAULT_FRAMEWORK)
    capability_code: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)
    source: Mapped[str] = mapped_column(String(20), default="curated")
    confidence: Mapped[float] = mapped_column(Float, default=1.0)

    resource: Mapped[Resource] = relationship(back_populates="mappings",
                                              primaryjoin="Resource.id == "
                                                          "ResourceCapability.resource_id")


class NearDuplicate(Base):
    """Two resources under different URLs whose text is nearly the same, for a curator."""

    __tablename__ = "near_duplicates"
    __table_args__ = (UniqueConstraint("resource_id", "other_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    other_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"))
    similarity: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, dismissed, merged
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SuggestionDecision(Base):
    """A curator's verdict on a suggested mapping: an accepted one became curated, a rejected
    one is never suggested for the resource again; both are kept as labelled examples."""

    __tablename__ = "suggestion_decisions"

    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"),
                                             primary_key=True)
    framework: Mapped[str] = mapped_column(String(40), primary_key=True,
                                           default=DEFAULT_FRAMEWORK)
    capability_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    verdict: Mapped[str] = mapped_column(String(20))  # accepted or rejected
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)  # as suggested
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class HeldRecord(Base):
    """A record that is a learning resource but was not admitted as it stood (a licence outside
    the policy, a value that could not be read): kept with the reason for a curator to fix
    and admit, or reject. Never recommended, never counted as coverage."""

    __tablename__ = "held_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(500))
    record: Mapped[str | None] = mapped_column(String(40), nullable=True)
    title: Mapped[str | None] = mapped_column(String(400), nullable=True)
    url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    canonical_url: Mapped[str | None] = mapped_column(String(2000), nullable=True, index=True)
    data: Mapped[dict] = mapped_column(JSON)  # the record in our field names, as read
    field: Mapped[str | None] = mapped_column(String(60), nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    # held, admitted (by a curator), rejected (by a curator), superseded (a later import
    # admitted the same URL)
    status: Mapped[str] = mapped_column(String(20), default="held", index=True)
    resource_slug: Mapped[str | None] = mapped_column(String(80), nullable=True)
    import_job_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ImportJob(Base):
    """A catalogue import run by the worker, keyed by its Celery task id; its counts are
    committed as it goes, so the CLI, the curator page and the API can follow it."""

    __tablename__ = "import_jobs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")  # running, done, failed
    source: Mapped[str] = mapped_column(String(500))
    format: Mapped[str | None] = mapped_column(String(20), nullable=True)
    profile: Mapped[str | None] = mapped_column(String(500), nullable=True)
    options: Mapped[dict] = mapped_column(JSON, default=dict)
    payload: Mapped[str] = mapped_column(Text, deferred=True)
    total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    read: Mapped[int] = mapped_column(Integer, default=0)
    admitted: Mapped[int] = mapped_column(Integer, default=0)
    held: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[dict | None] = mapped_column(JSON, nullable=True)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    index_task: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # bumped by every progress commit: a running job whose heartbeat is old lost its worker
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
