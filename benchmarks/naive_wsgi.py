"""``recommender.wsgi:app`` with the index read into each process's own memory instead of
memory-mapped: the naive baseline of benchmarks/memory.py."""

from recommender.wsgi import app

app.extensions["index"].store.mmap = False  # before gunicorn's post_worker_init loads it
