"""The curator pages' blueprint, which each page module registers its views on."""

from flask import Blueprint

from recommender.web.pages import error_pages

bp = Blueprint("curator", __name__, url_prefix="/curator")
error_pages(bp)
