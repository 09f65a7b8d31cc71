"""A resource's URL: what makes one acceptable as its link, the canonical form that recognises the
same resource reached by two spellings, and the resource id made from it."""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid")
MAX_URL = 2000
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,79}$")  # a resource id


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop default ports, fragments, tracking parameters and a
    trailing slash; sort the remaining query parameters."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = parts.path.rstrip("/") or ""
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                   if not k.lower().startswith(_TRACKING))
    return urlunsplit(("https" if scheme in ("http", "https") else scheme, netloc, path,
                       urlencode(query), ""))


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a resource's link, or None: only absolute http(s) URLs with a
    host, a valid port and no spaces or control characters (javascript:, data:, file: and the
    like never reach a page or an export)."""
    if len(url) > MAX_URL:
        return f"must be at most {MAX_URL} characters"
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an absolute http(s) URL"
    return None


def slug(text: str) -> str | None:
    """A valid resource id from an identifier or a URL (host and path), or None."""
    text = text.strip()
    if text.startswith(("http://", "https://")):
        try:
            parts = urlsplit(text)
            host = (parts.hostname or "").removeprefix("www.")
        except ValueError:  # not a valid URL ("http://[", found by fuzzing): slug the text
            parts = None
        if parts is not None:
            text = host + parts.path + (f"-{parts.query}" if parts.query else "")
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(value) > 80:  # keep long ids distinct: cut, then add a short digest of the whole
        value = value[:71].rstrip("-") + "-" + hashlib.sha1(value.encode()).hexdigest()[:8]
    return value if SLUG.match(value) else None


def host(url: str) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.")
