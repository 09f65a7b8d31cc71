"""The learner pages' blueprint, which each page module registers its views on."""

from flask import Blueprint

from recommender.web.pages import error_pages

bp = Blueprint("learner", __name__)
error_pages(bp)
