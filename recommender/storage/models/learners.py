"""Learners, known only by an opaque id, and what is held about them: assessments and their
answers, and feedback on resources (their plans: ``plans``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.framework import DEFAULT_FRAMEWORK
from recommender.storage.models.base import Base, utcnow


class Learner(Base):
    """A learner known only by an opaque id: no name, no email."""

    __tablename__ = "learners"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    assessments: Mapped[list[Assessment]] = relationship(
        back_populates="learner", cascade="all, delete-orphan", passive_deletes=True,
        order_by="Assessment.created_at")
    feedback: Mapped[list[Feedback]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="Feedback.id")


class Assessment(Base):
    """One self-assessment, with the framework version it was taken against."""

    __tablename__ = "assessments"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"),
                                            index=True)
    framework: Mapped[str] = mapped_column(String(40), default=DEFAULT_FRAMEWORK,
                                           server_default=DEFAULT_FRAMEWORK)
    framework_version: Mapped[str] = mapped_column(String(40))
    archetypes: Mapped[list] = mapped_column(JSON)
    skipped_domains: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    learner: Mapped[Learner] = relationship(back_populates="assessments")
    answers: Mapped[list[AssessmentAnswer]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, lazy="selectin")


class AssessmentAnswer(Base):
    """A learner's confidence rating (0-4) for one capability statement."""

    __tablename__ = "assessment_answers"

    assessment_id: Mapped[str] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE"), primary_key=True)
    capability_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    rating: Mapped[int] = mapped_column(Integer)


class Feedback(Base):
    """A learner's verdict on a recommended resource, optionally for one capability."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    learner_id: Mapped[str] = mapped_column(ForeignKey("learners.id", ondelete="CASCADE"),
                                            index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"),
                                             index=True)
    framework: Mapped[str] = mapped_column(String(40), default=DEFAULT_FRAMEWORK,
                                           server_default=DEFAULT_FRAMEWORK)
    capability_code: Mapped[str | None] = mapped_column(String(20), nullable=True, index=True)
    recommendation_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    verdict: Mapped[str] = mapped_column(String(20))  # useful, not_useful, started, completed
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DemandCell(Base):
    """Learners' demand kept as counts, so that reading coverage does not read assessments:
    per unit (a statement, sub-domain or domain: ``grouping`` and ``unit``) x archetype x
    level, for the framework version it was counted against, the learners whose latest
    assessment has a gap there, and the sum and number of those gaps' severities. Updated in
    the transaction that stores an assessment or deletes a learner (recommender/learners/
    demand.py); the row of grouping ``all`` counts the learners assessed."""

    __tablename__ = "demand_cells"

    framework: Mapped[str] = mapped_column(String(40), primary_key=True,
                                           default=DEFAULT_FRAMEWORK)
    framework_version: Mapped[str] = mapped_column(String(40), primary_key=True)
    grouping: Mapped[str] = mapped_column(String(10), primary_key=True)
    unit: Mapped[str] = mapped_column(String(20), primary_key=True)
    archetype: Mapped[str] = mapped_column(String(20), primary_key=True)
    level: Mapped[str] = mapped_column(String(20), primary_key=True)
    learners: Mapped[int] = mapped_column(Integer, default=0)
    severity_sum: Mapped[int] = mapped_column(Integer, default=0)
    gaps: Mapped[int] = mapped_column(Integer, default=0)


class FeedbackMarks(Base):
    """Learners' useful and not-useful marks on a resource for a statement, kept as counts
    (each learner by their latest such mark), so that coverage does not read every learner's
    feedback; updated in the transaction that records a mark or deletes a learner."""

    __tablename__ = "feedback_marks"

    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id", ondelete="CASCADE"),
                                             primary_key=True)
    framework: Mapped[str] = mapped_column(String(40), primary_key=True,
                                           default=DEFAULT_FRAMEWORK)
    capability_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    not_useful: Mapped[int] = mapped_column(Integer, default=0)
    useful: Mapped[int] = mapped_column(Integer, default=0)
