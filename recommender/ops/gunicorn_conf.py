"""gunicorn settings for production (``gunicorn --config python:recommender.ops.gunicorn_conf``).

With ``PROMETHEUS_MULTIPROC_DIR`` set, each worker process writes its metrics to files in
that folder and ``/metrics`` sums them (see ``recommender.ops.metrics``): the folder is emptied
when gunicorn starts, and the files of a worker that exits are marked dead.

With ``LOG_FORMAT=json``, gunicorn's own lines (start, worker boots and timeouts) are JSON like
the app's. Requests are logged by the app (``recommender.logs``, with their request id), so
gunicorn's access log stays off.

Each worker loads the served index version, its catalogue snapshot and the embedding model as
it starts (``post_worker_init``), not on its first request, and loads each newly published
version in the background, answering from the previous one until the new version and its
snapshot are ready (``recommender.indexing.holder.IndexHolder``). The index's vectors are
memory-mapped (``indexes.vectors.VectorIndex.load``), so the workers share one copy in the
page cache (docs/performance.md).
"""

import os
import shutil
import threading
from pathlib import Path

# gunicorn 25+ opens a control socket under $HOME; nothing here uses it, and two instances on
# one host (tests, make run) would share its path (older releases ignore the name)
control_socket_disable = True

if os.environ.get("LOG_FORMAT") == "json":
    logconfig_dict = {
        "root": {"level": "WARNING", "handlers": []},  # the app installs its own handler
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["json"], "propagate": False},
            "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": False},
        },
        "handlers": {"json": {"class": "logging.StreamHandler", "formatter": "json",
                              "stream": "ext://sys.stderr"}},
        "formatters": {"json": {"()": "recommender.logs.JsonFormatter"}},
    }


def on_starting(_server) -> None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True)


def post_worker_init(worker) -> None:
    """Load the served index version, its catalogue snapshot and the embedding model before
    the worker takes requests, so that no request after a start pays for them (the model
    takes seconds, a snapshot minutes at a million resources on a busy 2-core machine). The
    worker tells the arbiter it is alive while it loads, so the request timeout does not kill
    it. Any failure leaves it to the first request."""
    app = getattr(worker, "wsgi", None)
    if "index" not in getattr(app, "extensions", {}):
        return
    app.extensions["index"].background = True  # later versions load while this one serves
    done = threading.Event()

    def load() -> None:
        try:
            with app.app_context():
                # local: gunicorn's master reads this file and must not import the app
                from recommender.indexing.serving import warm

                warm()
        except Exception:  # noqa: BLE001 - warming is an optimisation; requests report
            worker.log.exception("could not warm up; the first request will load what it needs")
        finally:
            done.set()

    threading.Thread(target=load, name="warm-up", daemon=True).start()
    while not done.wait(1.0):
        worker.notify()


def child_exit(_server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # local: the master imports prometheus_client only when multiprocess metrics are on
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
