"""Start a real Celery worker as a child process (embedded mode and tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

WORKER_ARGS = ["-A", "workers.make_celery", "worker", "--pool=solo", "-Q", "celery,indexing",
               "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]


def worker_command(*extra: str, beat: bool = False) -> list[str]:
    """The worker command line; ``beat`` embeds the scheduler (embedded mode only: production
    runs one separate beat process)."""
    return [sys.executable, "-m", "celery", *WORKER_ARGS, *(["--beat"] if beat else []),
            *extra]


def start_worker(env: dict | None = None, log_file=None, beat: bool = False
                 ) -> subprocess.Popen:
    """Launch ``celery worker`` with this process's environment (plus ``env``)."""
    child_env = {**os.environ, **(env or {})}
    return subprocess.Popen(worker_command(beat=beat), env=child_env,
                            stdout=log_file or subprocess.DEVNULL,
                            stderr=subprocess.STDOUT if log_file else subprocess.DEVNULL)


def stop(process: subprocess.Popen, timeout: float = 15) -> None:
    """Ask a child to stop (SIGTERM: Celery's warm shutdown), then kill it if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running_worker(env: dict | None = None, log_file=None) -> Iterator[subprocess.Popen]:
    process = start_worker(env, log_file)
    try:
        yield process
    finally:
        stop(process)
