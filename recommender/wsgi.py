"""WSGI entry point for gunicorn: ``gunicorn recommender.wsgi:app``."""

from indexes.embedding import set_encoder_threads
from indexes.vectors import set_search_threads
from recommender import create_app, logs

app = create_app()
logs.configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
# a web process answers one request at a time per thread: its searches, ranking products
# (FAISS, NumPy's BLAS) and free-text encodings run on SEARCH_THREADS threads. Only here:
# the indexing worker (and the CLI) keep every core for builds, whose encoding, HNSW graph
# and scoring products are batch work that does use them
set_search_threads(app.config["SEARCH_THREADS"])
set_encoder_threads(app.config["SEARCH_THREADS"])
