"""Curator pages, for a signed-in key with catalogue:write (or admin): browse and search the
catalogue, edit a resource's mapping, review suggested mappings and near-duplicates, import
files and watch the index update, see the index's status."""

from flask import Blueprint

from recommender.web.pages import error_pages

bp = Blueprint("curator", __name__, url_prefix="/curator")
error_pages(bp)

from recommender.web.curator import (  # noqa: E402, F401
    catalogue,
    held,
    imports,
    index,
    labels,
    review,
)
