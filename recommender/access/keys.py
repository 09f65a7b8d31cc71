"""API keys: made, listed, revoked and checked, with only a salted hash of each secret stored.

A key reads ``rk_<id>_<secret>``: the id (12 hex characters) finds the row and may be shown
anywhere; the secret (43 URL-safe characters, 256 random bits) is never stored. A random
256-bit secret cannot be guessed, so one salted SHA-256 is enough (a slow password hash would
only slow every request down).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from recommender.storage.models import ApiKey

SCOPES = {
    "recommend": "ask for recommendations (single and batch)",
    "catalogue:read": "list, read and export resources",
    "catalogue:write": "create, replace and delete resources; curate near-duplicates",
    "coverage:read": "read how well the catalogue covers the framework",
    "assessments": "learner data: store and read assessments, give feedback, export or "
                   "delete a learner",
    "admin": "index builds and status; implies every other scope",
}
PREFIX = "rk"
log = logging.getLogger(__name__)
LAST_USED_EVERY = timedelta(minutes=1)  # write last_used_at at most this often per key
# compared against when the id is unknown, so that an unknown id costs what a wrong secret does
_DUMMY_SALT, _DUMMY_HASH = secrets.token_hex(16), "0" * 64


@dataclass(frozen=True)
class Created:
    key: str  # shown once
    row: ApiKey


def create_key(session: Session, name: str, scopes: list[str]) -> Created:
    """Store a new key's hash and return the key itself (the only time it is known)."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValueError("the name must be 1-100 characters")
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise ValueError(f"scopes must be some of {', '.join(SCOPES)}"
                         + (f"; unknown: {', '.join(unknown)}" if unknown else ""))
    if active_named(session, name):
        raise ValueError(f"an active key is already named {name!r}; revoke it or choose "
                         "another name")
    key_id, secret, salt = secrets.token_hex(6), secrets.token_urlsafe(32), secrets.token_hex(16)
    row = ApiKey(id=key_id, name=name, scopes=list(dict.fromkeys(scopes)), salt=salt,
                 secret_hash=_hash(salt, secret))
    session.add(row)
    session.commit()
    return Created(f"{PREFIX}_{key_id}_{secret}", row)


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)))


def active_named(session: Session, name: str) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).where(ApiKey.name == name,
                                                     ApiKey.revoked_at.is_(None))))


def revoke_key(session: Session, name_or_id: str) -> list[ApiKey]:
    """Revoke the key with this id, or the active key with this name; return what was revoked."""
    row = session.get(ApiKey, name_or_id)
    if row is not None:
        rows = [row] if row.revoked_at is None else []
    else:
        rows = active_named(session, name_or_id)
    now = datetime.now(UTC)
    for row in rows:
        row.revoked_at = now
    session.commit()
    return rows


def verify(session: Session, presented: str) -> ApiKey | None:
    """The active key matching ``presented``, or None: the same answer, in about the same
    time, whether the id is unknown, the secret wrong or the key revoked."""
    prefix, _, rest = presented.strip().partition("_")
    key_id, _, secret = rest.partition("_")
    row = session.get(ApiKey, key_id) if prefix == PREFIX and key_id and secret else None
    salt, expected = (row.salt, row.secret_hash) if row is not None else (_DUMMY_SALT,
                                                                          _DUMMY_HASH)
    matches = hmac.compare_digest(_hash(salt, secret), expected)
    if row is None or not matches or row.revoked_at is not None:
        return None
    return row


def touch(session: Session, row: ApiKey) -> None:
    """Record that the key was used, at most once a minute (a write on every request would
    make every read a write). ``row`` may be detached: only its id and last use are read."""
    now = datetime.now(UTC)
    last = row.last_used_at
    if last is not None and last.tzinfo is None:  # SQLite hands back naive UTC
        last = last.replace(tzinfo=UTC)
    if last is None or now - last >= LAST_USED_EVERY:
        try:
            session.execute(update(ApiKey).where(ApiKey.id == row.id)
                            .values(last_used_at=now))
            session.commit()
        except SQLAlchemyError:  # bookkeeping: a busy database must not refuse the request
            session.rollback()
            log.warning("could not record the use of API key %s", row.id, exc_info=True)


def _hash(salt: str, secret: str) -> str:
    return hmac.new(bytes.fromhex(salt), secret.encode(), hashlib.sha256).hexdigest()
