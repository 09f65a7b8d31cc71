"""The home page and the pages' assets: our own stylesheet and scripts, and the NHS.UK
frontend's files copied into static/nhsuk by ``make`` (recommender.web.build_assets)."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, render_template, send_from_directory

from recommender.web.pages import error_pages

STATIC = Path(__file__).parent / "static"
bp = Blueprint("site", __name__, static_folder="static", static_url_path="/static/site",
               template_folder="templates")
error_pages(bp)
ASSET_MAX_AGE = 86400


@bp.get("/")
def home():
    return render_template("home.html")


@bp.get("/assets/<path:filename>")
def assets(filename: str):
    """The NHS.UK frontend's images and manifest, where its stylesheet expects them."""
    return send_from_directory(STATIC / "nhsuk" / "assets", filename, max_age=ASSET_MAX_AGE)
