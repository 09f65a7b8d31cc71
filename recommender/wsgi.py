"""WSGI entry point for gunicorn: ``gunicorn recommender.wsgi:app``."""

from recommender import create_app, logs

app = create_app()
logs.configure(app.config["LOG_FORMAT"], app.config["LOG_LEVEL"])
