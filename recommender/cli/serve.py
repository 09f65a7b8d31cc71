"""Run the service: ``recommender run`` (set up, a worker and gunicorn), ``recommender
worker`` and ``recommender settings``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import click

from recommender.cli.context import make_app
from recommender.storage.worker_process import start_worker, stop, worker_command


@click.command("settings")
def settings_cmd() -> None:
    """Print the effective configuration (secrets hidden)."""
    # local: config imports FAISS (through indexes.vectors); only this command needs it
    from recommender.config import ENVIRONMENT

    app = make_app()
    for key in ENVIRONMENT:
        value = app.config.get(key)
        if isinstance(value, frozenset):
            value = ",".join(sorted(value))
        if isinstance(value, str) and "@" in value:
            value = value.split("://")[0] + "://***@" + value.split("@", 1)[1]
        click.echo(f"{key}={value if value is not None else ''}")


@click.command("worker")
def worker_cmd() -> None:
    """Run a Celery worker for the default and indexing queues (solo pool)."""
    os.execv(sys.executable, worker_command())


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--web-workers", default=2, show_default=True, help="gunicorn worker processes.")
def run_cmd(host: str, port: int, web_workers: int) -> None:
    """Set up everything on first run, then serve: database, framework, catalogue, index."""
    # local: the set-up imports the indexing layer, FAISS and Alembic; only `run` needs them
    from recommender.cli.bootstrap import bootstrap

    # explicit handlers: a shell that starts us in the background may have SIGINT ignored
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    app = make_app()
    log_dir = Path(app.config["VAR_DIR"]) / "log"
    log_dir.mkdir(parents=True, exist_ok=True)
    worker = start_worker(log_file=(log_dir / "worker.log").open("ab"), beat=True)
    web = None
    try:
        bootstrap(app, echo=click.echo)
        web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-b", f"{host}:{port}",
                                "-w", str(web_workers), "recommender.wsgi:app"])
        if not _wait_until_serving(web, host, port):
            raise click.ClickException(f"the web server did not start on {host}:{port} "
                                       "(is the port taken?)")
        click.echo(f"serving on http://{host}:{port}  (worker log: {log_dir / 'worker.log'}; "
                   "Ctrl-C stops)")
        while web.poll() is None and worker.poll() is None:
            time.sleep(0.5)
        if worker.poll() is not None:
            raise click.ClickException("the Celery worker stopped; see its log")
        raise click.ClickException(f"the web server stopped (exit code {web.returncode})")
    except KeyboardInterrupt:
        pass
    finally:
        if web is not None:
            stop(web)
        stop(worker)


def _wait_until_serving(web: subprocess.Popen, host: str, port: int, timeout: float = 60
                        ) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and web.poll() is None:
        try:
            with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=2):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def _interrupt(_signum, _frame) -> None:
    raise KeyboardInterrupt


