"""Learning plans as stored: what a plan was asked for and which resources it chose, in the
order they are to be done. The weeks are laid out when the plan is read, from the learner's
completions (recommender/plans), so progress needs no write here. A plan goes with its learner:
deleting the learner deletes it (the database's ON DELETE CASCADE)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from catalogue.framework import DEFAULT_FRAMEWORK
from recommender.storage.models.base import Base, utcnow


class Plan(Base):
    """One learner's plan: the request it answers (archetype, gaps with their severities,
    weekly minutes, start date, weeks) and the resources chosen, each with its minutes and
    the gaps it is in the plan for; the gaps left uncovered, each with its reason."""

    __tablename__ = "plans"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    learner_id: Mapped[str | None] = mapped_column(
        ForeignKey("learners.id", ondelete="CASCADE"), nullable=True, index=True)
    framework: Mapped[str] = mapped_column(String(40), default=DEFAULT_FRAMEWORK,
                                           server_default=DEFAULT_FRAMEWORK)
    assessment_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    request: Mapped[dict] = mapped_column(JSON)
    chosen: Mapped[list] = mapped_column(JSON)
    uncovered: Mapped[list] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
