"""Who may see a page: the scope in recommender.access.auth.PAGES, held by the API key a person
signed in with (kept in the signed session cookie by id only and checked against the database
on every request, so a revoked key signs its holder out at once).

Commissioner pages are open when ``coverage:read`` is in ``OPEN_READ``, like the API.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.exceptions import Forbidden

from recommender.access import keys as api_keys
from recommender.access.auth import PAGES, READ_METHODS, allows
from recommender.storage import db
from recommender.storage.models import ApiKey
from recommender.web.forms import FormErrors
from recommender.web.pages import error_pages

bp = Blueprint("signin", __name__)
error_pages(bp)
SESSION_KEY = "signed_in_key"


def init_app(app: Flask) -> None:
    app.before_request(_check_page)
    app.context_processor(lambda: {"signed_in": signed_in_key()})


def signed_in_key() -> ApiKey | None:
    """The active key this browser signed in with, or None."""
    key_id = session.get(SESSION_KEY)
    if not key_id or request.blueprint not in PAGES:
        return None
    row = db.session().get(ApiKey, key_id)
    if row is None or row.revoked_at is not None:
        session.pop(SESSION_KEY, None)
        return None
    return row


def page_scope() -> str | None:
    """The scope this page needs now, or None when it is open to anyone."""
    scope = PAGES.get(request.blueprint)
    config = current_app.config
    if scope is None or not config["AUTH_REQUIRED"]:
        return None
    if request.method in READ_METHODS and scope in config["OPEN_READ"]:
        return None
    return scope


def _check_page():
    if request.blueprint not in PAGES or request.endpoint is None:
        return None
    scope = page_scope()
    if scope is None:
        return None
    key = signed_in_key()
    if key is None:
        return redirect(url_for("signin.signin", next=request.full_path.rstrip("?")))
    if not allows(key, scope):
        raise Forbidden(f"The key you signed in with ({key.name}) does not have the {scope} "
                        "scope this page needs. Sign in with another key.")
    return None


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    """Sign in with an API key (admin, catalogue:write or coverage:read)."""
    errors = FormErrors()
    target = safe_next(request.values.get("next"))
    if request.method == "POST":
        presented = request.form.get("api_key", "").strip()
        row = api_keys.verify(db.session(), presented) if presented else None
        if not presented:
            errors.add("api_key", "Enter your API key")
        elif row is None:
            errors.add("api_key", "This API key is not valid: check it, or ask an "
                       "administrator for a new one")
        if not errors:
            session.clear()  # a new sign-in starts a new session (no fixation)
            session[SESSION_KEY] = row.id
            return redirect(target)
    return render_template("signin.html", errors=errors, next=target), errors.status


@bp.post("/signout")
def signout():
    session.pop(SESSION_KEY, None)
    return redirect(url_for("site.home"))


def safe_next(value: str | None) -> str:
    """A path on this site to return to after signing in; anything else goes home."""
    parts = urlsplit(value or "")
    if (not value or parts.scheme or parts.netloc or not value.startswith("/")
            or value.startswith("//") or "\\" in value):
        return url_for("site.home")
    return value
