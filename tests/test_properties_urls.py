"""Property tests of canonical URLs (duplicate detection) and of the http(s)-only URL rule."""

from urllib.parse import parse_qsl, urlsplit

from hypothesis import given
from hypothesis import strategies as st

from catalogue.urls import canonical_url, url_problem
from tests.strategies import LABEL, http_urls


@given(url=http_urls())
def test_canonical_urls_are_valid_and_idempotent(url):
    assert url_problem(url) is None
    canonical = canonical_url(url)
    assert canonical_url(canonical) == canonical
    parts = urlsplit(canonical)
    assert parts.scheme == "https" and not parts.fragment
    assert parts.hostname == parts.hostname.lower() and not parts.hostname.startswith("www.")
    assert parts.port not in (80, 443) and not parts.path.endswith("/")
    names = [k.lower() for k, _ in parse_qsl(parts.query, keep_blank_values=True)]
    assert not [n for n in names if n.startswith(("utm_", "fbclid", "gclid"))]
    assert names == sorted(names)


@given(url=http_urls(tracking=False), data=st.data())
def test_spellings_of_one_address_share_a_canonical_url(url, data):
    """Scheme, case of the host, www., a default port, a trailing slash, a fragment, the order
    of query parameters and tracking parameters do not make another resource."""
    parts = urlsplit(url)
    host = parts.hostname.removeprefix("www.")
    port = parts.port
    other_port = "" if port in (None, 80, 443) else f":{port}"
    default_port = other_port or data.draw(st.sampled_from(["", ":80", ":443"]))
    params = parse_qsl(parts.query, keep_blank_values=True)
    shuffled = data.draw(st.permutations(params)) if params else []
    shuffled = shuffled + [("utm_source", data.draw(LABEL))]
    respelt = (f"{data.draw(st.sampled_from(['http', 'https']))}://"
               f"{data.draw(st.sampled_from(['', 'www.', 'WWW.']))}{host.upper()}{default_port}"
               f"{parts.path.rstrip('/')}{data.draw(st.sampled_from(['', '/']))}"
               f"?{'&'.join(f'{k}={v}' for k, v in shuffled)}#{data.draw(LABEL)}")
    assert canonical_url(respelt) == canonical_url(url)


@given(url=http_urls(tracking=False), path=LABEL)
def test_a_different_path_is_a_different_resource(url, path):
    parts = urlsplit(url)
    other = parts._replace(path=parts.path.rstrip("/") + "/" + path + "-other").geturl()
    assert canonical_url(other) != canonical_url(url)


@given(scheme=st.sampled_from(["javascript", "data", "file", "ftp", "vbscript", "mailto",
                               "JavaScript", "blob", ""]),
       rest=st.text(max_size=40))
def test_only_http_and_https_urls_are_admitted(scheme, rest):
    assert url_problem(f"{scheme}:{rest}") is not None


@given(text=st.text(max_size=80))
def test_any_text_either_is_refused_or_has_a_canonical_form(text):
    """What url_problem admits, canonical_url can always handle (they run in that order on
    every imported record)."""
    if url_problem(text) is None:
        assert canonical_url(canonical_url(text)) == canonical_url(text)


@given(url=http_urls(), junk=st.sampled_from([" ", "\t", "\n", "\x00", "\x7f"]),
       where=st.integers(0, 200))
def test_spaces_and_control_characters_are_refused(url, junk, where):
    where = min(where, len(url) - 1)
    assert url_problem(url[:where] + junk + url[where:]) is not None
