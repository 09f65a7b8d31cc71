"""The floor of benchmarks/http_recommend.py: a Flask app whose one endpoint reads the request
and answers a constant JSON body, with no work in between, under the same gunicorn settings
as ours. Whatever our endpoint costs above this is ours; this much is Flask, gunicorn, the
loopback connection and the bytes of an answer that size.

The bodies are our own answers, one per gap count, captured by the benchmark before it starts
this server and written to the file ``FLOOR_BODIES`` names (a JSON object of gap count to
the answer's text, as our app sent it), so the floor answers the same bytes ours does:

    FLOOR_BODIES=bodies.json gunicorn -w 2 --config python:recommender.ops.gunicorn_conf \\
        constant_json_app:app
    POST /constant/10  ->  the 10-gap body, as stored
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from flask import Flask, Response, abort, request

app = Flask(__name__)
# encoded once: the floor pays for no JSON encoding either
BODIES = {int(gaps): text.encode()
          for gaps, text in json.loads(Path(os.environ["FLOOR_BODIES"]).read_text()).items()}


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.post("/constant/<int:gaps>")
def constant(gaps: int):
    request.get_data()  # read the request, as any endpoint must
    if gaps not in BODIES:
        abort(404)
    return Response(BODIES[gaps], mimetype="application/json")
