"""The key that signs the pages' session cookie (drafts, sign-in, CSRF tokens).

``SECRET_KEY`` from the environment when set (production: the same value on every replica);
otherwise a random key kept in ``VAR_DIR/secret_key`` (mode 0600), made on first start, so
that every process of an embedded install shares it and a restart signs nobody out.

The cookie is Flask's own signed cookie; a request that sends none (every API call) gets an
empty session without the signer being built, which Flask's interface does on every request
(about 2% of a recommendation's time: docs/performance.md).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

FILE = "secret_key"


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, opened without a signer when no cookie was sent."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.headers.get("Cookie"):
            return self.session_class()
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    app.session_interface = CookieSessions()
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or stored_key(
            Path(app.config["VAR_DIR"]))
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    secure = os.environ.get("SESSION_COOKIE_SECURE", "").strip().lower()
    if secure in ("1", "true", "yes", "on"):  # behind TLS: never send the cookie in clear
        app.config["SESSION_COOKIE_SECURE"] = True


def stored_key(folder: Path) -> str:
    """The key in ``folder``, made (atomically, readable by the owner only) when missing."""
    path = folder / FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        staging = folder / f".{FILE}.{os.getpid()}"
        fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
        try:
            os.link(staging, path)  # first writer wins; a racing process reads its key
        except FileExistsError:
            pass
        finally:
            staging.unlink()
    return path.read_text().strip()
