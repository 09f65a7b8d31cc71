"""How the API's JSON answers are encoded: orjson, with Flask's own rules for the types it
encodes its way (dates as HTTP dates, dataclasses, ``__html__``), and the standard library as
the fallback for anything orjson refuses (integers past 64 bits, keys that are not strings)
and for indented (debug) answers.

Encoding was a tenth of a 10-gap recommendation's time in the web worker (a 50 KB answer:
0.5 ms with the standard library's C encoder, 0.03 ms with orjson; docs/performance.md). The
bytes differ only where JSON allows: non-ASCII text is sent as UTF-8 instead of ``\\u``
escapes, and floats in their shortest form (``1e-5`` for ``1e-05``). ``dumps`` (templates'
``tojson``, anything that wants a string) stays the standard library's."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider

# types orjson would encode its own way are handed to Flask's ``default`` instead; a dict with
# keys that are not strings goes to the standard library (OPT_NON_STR_KEYS made every answer
# half as slow again: 28 to 44 µs for a 10-gap recommendation), and the newline Flask ends an
# answer with is written by orjson, not appended to a copy
_OPTIONS = (orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
            | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_APPEND_NEWLINE)


class JSONProvider(DefaultJSONProvider):
    """Flask's default JSON provider, whose compact answers are encoded by orjson."""

    def response(self, *args: Any, **kwargs: Any) -> Response:
        if self.compact is False or (self.compact is None and self._app.debug):
            return super().response(*args, **kwargs)
        obj = self._prepare_response_obj(args, kwargs)
        options = _OPTIONS | (orjson.OPT_SORT_KEYS if self.sort_keys else 0)
        try:
            body = orjson.dumps(obj, default=self.default, option=options)
        except TypeError:  # orjson.JSONEncodeError: the standard library decides
            return super().response(*args, **kwargs)
        return self._app.response_class(body, mimetype=self.mimetype)


def init_app(app: Flask) -> None:
    """Answer JSON through ``JSONProvider``, keys in the order the code builds them."""
    app.json = JSONProvider(app)
    app.json.sort_keys = False
