"""gunicorn settings for production (``gunicorn --config python:recommender.gunicorn_conf``).

With ``PROMETHEUS_MULTIPROC_DIR`` set, each worker process writes its metrics to files in
that folder and ``/metrics`` sums them (see ``recommender.metrics``): the folder is emptied
when gunicorn starts, and the files of a worker that exits are marked dead.
"""

import os
import shutil
from pathlib import Path


def on_starting(_server) -> None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True)


def child_exit(_server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
