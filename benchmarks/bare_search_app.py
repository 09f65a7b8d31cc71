"""The bare baseline of benchmarks/http_recommend.py: a Flask app whose one endpoint does only
a FAISS batch search, of the named statements' vectors, in the same index version our app
serves (``INDEX_DIR``), and answers the ids found. No validation, ranking, database or
explanations: the least a recommendation endpoint over FAISS could do per request.

    gunicorn -w 2 --config python:recommender.ops.gunicorn_conf bare_search_app:app
    POST /search {"gaps": ["6.0.1", ...]}  ->  {"ids": [[...50 ids...], ...]}
"""

from __future__ import annotations

import os

import numpy as np
from flask import Flask, jsonify, request

from indexes.store import IndexStore
from indexes.vectors import set_search_threads

DEPTH = 50
app = Flask(__name__)
store = IndexStore(os.environ["INDEX_DIR"])
set_search_threads(1)  # as our app does in each serving process
_loaded = {}


def version():
    if "v" not in _loaded:
        _loaded["v"] = store.load()
    return _loaded["v"]


@app.get("/healthz")
def healthz():
    return {"status": "ok"}


@app.post("/search")
def search():
    index = version()
    queries = np.stack([index.capability_vector(code) for code in request.get_json()["gaps"]])
    _, ids = index.vectors.search(queries, DEPTH)
    return jsonify({"ids": ids.tolist()})
