"""WSGI entry point for gunicorn: ``gunicorn recommender.wsgi:app``."""

from recommender import create_app

app = create_app()
