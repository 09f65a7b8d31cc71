"""Learner pages: choose archetypes, self-assess one domain at a time, see gaps and
recommendations, give feedback, make and follow a learning plan, come back by learner id. Open
to anyone: a learner's id is their capability, so it is never put in a link to another site
(Referrer-Policy)."""

from recommender.web.learner import (  # noqa: F401  (each module registers its pages on bp)
    account,
    assessment,
    plan,
    results,
)
from recommender.web.learner.blueprint import bp

__all__ = ["bp"]
