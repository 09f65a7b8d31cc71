"""Database models (SQLAlchemy 2.x typed), one module per concern; every model is importable
from here, and importing this package registers every table."""

from recommender.storage.models.access import ApiKey
from recommender.storage.models.base import Base, utcnow
from recommender.storage.models.catalogue import (
    Capability,
    FrameworkVersion,
    HeldRecord,
    ImportJob,
    NearDuplicate,
    Resource,
    ResourceCapability,
    SuggestionDecision,
)
from recommender.storage.models.frameworks import CrosswalkLink, MappingReview, VersionChanges
from recommender.storage.models.indexing import IndexBuild, IndexOutbox
from recommender.storage.models.learners import (
    Assessment,
    AssessmentAnswer,
    DemandCell,
    Feedback,
    FeedbackMarks,
    Learner,
)
from recommender.storage.models.plans import Plan
from recommender.storage.models.replicas import IndexFile, IndexFileChunk, IndexPointer

__all__ = ["ApiKey", "Assessment", "AssessmentAnswer", "Base", "Capability", "CrosswalkLink",
           "DemandCell", "Feedback", "FeedbackMarks", "FrameworkVersion", "HeldRecord",
           "ImportJob", "IndexBuild", "IndexFile", "IndexFileChunk", "IndexOutbox",
           "IndexPointer", "Learner", "MappingReview", "NearDuplicate", "Plan", "Resource",
           "ResourceCapability", "SuggestionDecision", "VersionChanges", "utcnow"]
