"""Learner pages: choose archetypes, self-assess one domain at a time, see gaps and
recommendations, give feedback, come back by learner id. Open to anyone: a learner's id is
their capability, so it is never put in a link to another site (Referrer-Policy)."""

from flask import Blueprint

from recommender.web.pages import error_pages

bp = Blueprint("learner", __name__)
error_pages(bp)

from recommender.web.learner import account, assessment, results  # noqa: E402, F401
