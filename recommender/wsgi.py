"""WSGI entry point for gunicorn: ``gunicorn recommender.wsgi:app``."""

from indexes.embedding import set_encoder_threads
from recommender import create_app, logs

app = create_app()
logs.configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
# a web process answers one request at a time per thread: its free-text queries are encoded
# on as few threads as its searches (index builds, in the worker, keep every core)
set_encoder_threads(app.config["SEARCH_THREADS"])
