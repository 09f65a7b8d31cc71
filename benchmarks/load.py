"""Load: recommendations over HTTP while the catalogue is imported into and the index updated.

    .venv/bin/python benchmarks/load.py --quick     # under a minute
    .venv/bin/python benchmarks/load.py             # longer and more requests

Set-up: a SQLite database; a real Celery worker on the embedded SQLite broker, as `make run`
has it, which builds the first index version with the real model from ``recommender import``
of the shipped catalogue's first 200 resources (60 with --quick); gunicorn (our config, 2
workers) on a free 127.0.0.1 port with rate limits off.

Two phases on the same server, each a bounded closed loop (``--clients`` keep-alive
connections; a fixed number of requests and a time limit, whichever ends first), after
warm-up requests that are not counted:

1. quiet: recommendation requests only (the baseline);
2. busy: the same requests while ``recommender import`` adds the next 104 shipped resources
   (40 with --quick; a real CLI process) and the worker applies them to the index
   incrementally and publishes a new version, which the web workers load in the middle of it.

Printed: ``throughput_rps``, ``p50_ms``, ``p99_ms``, ``max_ms``, ``errors`` and ``requests`` of
the busy phase, the quiet phase's figures with the prefix ``quiet_``, how long the import took
and when the new version was served, and ``ratio`` = busy p99 / quiet p99: what the import and
the index update cost the requests being served at the same time (1.0: nothing). The
reliability goal (docs/reliability.md, tests/test_load.py): zero errors and no request over
1 s while the index changes underneath.
"""

from __future__ import annotations

import argparse
import dataclasses
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import bench_app, machine, percentile
from serving import ROOT, Gunicorn, Served, drive, gap_sets, our_body

from catalogue.framework import load_framework
from catalogue.importers import read_resources, shipped_files
from recommender.storage.worker_process import start_worker, stop

FIRST = 200  # resources indexed before the load; the next ones are imported during it
PATH = "/api/v1/recommendations"


def prepare(folder: Path, first: int, add: int) -> tuple[Served, list[Path], list[str]]:
    """A database holding the framework; the two files the runs import (the first ``first``
    shipped resources, then the next ``add``); the statement ids."""
    app = bench_app(folder)
    app.extensions["db"].kw["bind"].dispose()
    framework = load_framework()
    resources = read_resources(shipped_files(), framework).resources
    files = []
    for name, part in (("first", resources[:first]), ("rest", resources[first:first + add])):
        files.append(folder / f"{name}.jsonl")
        files[-1].write_text("\n".join(json.dumps(dataclasses.asdict(r)) for r in part) + "\n")
    return Served(folder, first, "flat", None), files, sorted(framework.ids())


def run_import(env: dict, source: Path) -> subprocess.CompletedProcess:
    """``recommender import <file>``: a real CLI process that commits and queues the update."""
    cli = Path(sys.executable).parent / "recommender"
    return subprocess.run([str(cli), "import", str(source)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def served_version(port: int) -> str | None:
    """The index version a web worker serves (from /readyz, which needs no key)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request("GET", "/readyz")
        body = json.loads(connection.getresponse().read())
        return (body.get("checks") or {}).get("index", {}).get("version")
    except (OSError, ValueError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def wait_ready(log: Path, worker: subprocess.Popen, timeout: float = 300) -> None:
    """Until the worker logs that it is ready, i.e. its broker (a SQLite file here) is set up:
    a publish while it creates the broker's tables fails, the build stays in the outbox, and
    this run has no beat to flush it again."""
    deadline = time.monotonic() + timeout
    while b" ready." not in log.read_bytes():
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the worker did not start; see {log}")
        time.sleep(0.1)


def background_change(env: dict, source: Path, port: int, before: str, seconds: float,
                      out: dict) -> None:
    """Import the rest of the catalogue with the CLI, then wait for a web worker to serve the
    version the worker publishes; records timings in ``out``."""
    began = time.monotonic()
    done = run_import(env, source)
    out["import_s"] = time.monotonic() - began
    out["import_ok"] = done.returncode == 0
    out["import_output"] = (done.stdout + done.stderr)[-2000:]
    deadline = began + seconds
    while time.monotonic() < deadline:
        version = served_version(port)
        if version and version != before:
            out["update_served_s"] = time.monotonic() - began
            out["new_version"] = version
            return
        time.sleep(0.2)


def report(prefix: str, load) -> dict[str, float]:
    latencies = load.latencies or [0.0]
    figures = {"throughput_rps": load.rps, "p50_ms": percentile(latencies, 50) * 1000,
               "p99_ms": percentile(latencies, 99) * 1000, "max_ms": max(latencies) * 1000,
               "errors": load.errors, "requests": len(load.latencies)}
    for name, value in figures.items():
        print(f"{prefix}{name}: {value:.2f}" if isinstance(value, float)
              else f"{prefix}{name}: {value}")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="under a minute in all")
    parser.add_argument("--requests", type=int, default=20000, help="busy phase, at most")
    parser.add_argument("--seconds", type=float, default=90, help="busy phase, at most")
    parser.add_argument("--clients", type=int, default=3, help="concurrent connections")
    parser.add_argument("--first", type=int, default=FIRST,
                        help="shipped resources indexed before the load")
    parser.add_argument("--add", type=int, default=104,
                        help="shipped resources imported during the load")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.seconds, args.first, args.add = 6000, 25, 60, 40
    machine()
    folder = Path(tempfile.mkdtemp(prefix="bench-load-"))
    served, (first, rest), codes = prepare(folder, args.first, args.add)
    env = served.env()
    worker_log = (folder / "worker.log").open("wb")
    worker = start_worker(env, log_file=worker_log)
    try:
        wait_ready(folder / "worker.log", worker)
        # the worker builds the first version (model, statements, resources) from this import
        done = run_import(env, first)
        if done.returncode != 0:
            raise SystemExit(f"import failed: {done.stdout}{done.stderr}")
        with Gunicorn("recommender.wsgi:app", env) as web:
            deadline = time.monotonic() + 300
            while served_version(web.port) is None:
                if time.monotonic() > deadline:
                    raise SystemExit(f"no index was built; see {worker_log.name}")
                time.sleep(0.5)
            warm = [our_body(g) for g in gap_sets(codes, 5, 60, seed=1)]
            drive(web.port, PATH, warm, args.clients)
            bodies = [our_body(g) for g in gap_sets(codes, 5, args.requests)]
            quiet = drive(web.port, PATH, bodies[: max(200, args.requests // 10)], args.clients,
                          args.seconds / 4)
            before = served_version(web.port)
            timings: dict = {}
            change = threading.Thread(target=background_change, args=(
                env, rest, web.port, before, args.seconds, timings))
            change.start()
            busy = drive(web.port, PATH, bodies, args.clients, args.seconds)
            change.join()
    finally:
        stop(worker)
        worker_log.close()
    quiet_figures = report("quiet_", quiet)
    figures = report("", busy)
    print(f"import_ok: {int(bool(timings.get('import_ok')))}")
    print(f"import_s: {timings.get('import_s', float('nan')):.2f}")
    served_s = timings.get("update_served_s")
    print(f"update_served_s: {served_s if served_s is not None else float('nan'):.2f}")
    print(f"update_during_load: {int(served_s is not None and served_s < busy.seconds)}")
    print(f"busy_seconds: {busy.seconds:.2f}")
    if not timings.get("import_ok"):
        print(timings.get("import_output", ""), file=sys.stderr)
    print(f"loadavg_1m_end: {os.getloadavg()[0]:.2f}")
    print(f"ratio: {figures['p99_ms'] / max(quiet_figures['p99_ms'], 1e-9):.3f}")


if __name__ == "__main__":
    main()
