"""Celery entry point: ``celery -A workers.make_celery worker``."""

from recommender import create_app, logs

flask_app = create_app()
celery_app = flask_app.extensions["celery"]
logs.init_celery(flask_app.config["LOG_FORMAT"])
