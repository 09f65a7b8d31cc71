"""What the HTTP and memory benchmarks share: a catalogue and index version on disk, gunicorn
servers started and stopped by us, a bounded load driver, and process memory from /proc.

A served catalogue is prepared once per size in a temp folder (SQLite database, index
versions): resources from benchmarks/synthetic.py written by its ``populate``, vectors
generated directly (encoding does not change serving costs, and 10k texts take two minutes to
encode here), an index version published with the build's own index code.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from common import arguments, bench_app, bench_config
from synthetic import Statements, embed_statements, populate, publish

from indexes.embedding import BACKENDS, DEFAULT_MODEL, get_encoder
from indexes.store import IndexStore
from recommender import create_app
from recommender.storage import db, migrate

BENCHMARKS = Path(__file__).resolve().parent
ROOT = BENCHMARKS.parent


@dataclass
class Served:
    """A prepared catalogue: its folder, statements, and (for recall) its vectors."""

    folder: Path
    size: int
    kind: str
    statements: Statements
    vectors: np.ndarray | None = None
    backend: str = "torch"  # the encoder backend its index version was made for

    def env(self) -> dict[str, str]:
        """The app's environment: this folder's database and indexes, no rate limit, no Redis
        (the web path does not use it), quiet logs."""
        env = {k: v for k, v in os.environ.items()
               if k not in ("REDIS_URL", "PROMETHEUS_MULTIPROC_DIR")}
        env.update(DATABASE_URL=f"sqlite:///{self.folder / 'b.db'}", VAR_DIR=str(self.folder),
                   INDEX_DIR=str(self.folder / "indexes"), INDEX_TYPE=self.kind,
                   RATE_LIMIT_ENABLED="false", LOG_LEVEL="WARNING", LOG_FORMAT="text",
                   EMBEDDING_BACKEND=self.backend,
                   PYTHONPATH=os.pathsep.join([str(ROOT), str(BENCHMARKS)]))
        return env

    def app(self):
        """An app in this process over the prepared catalogue (for in-process benchmarks)."""
        return create_app(bench_config(self.folder))


def serving_arguments(doc: str):
    """The parser of a script that serves a prepared catalogue: --reuse skips preparing it."""
    parser = arguments(doc)
    parser.add_argument("--reuse", type=Path, help="serve the catalogue an earlier run "
                        "prepared in this folder (its 'folder:' line) instead of a new one")
    return parser


def words_arguments(parser) -> None:
    """--backend and --words: how a request's gaps in words are encoded, and how many."""
    parser.add_argument("--backend", default="torch", choices=BACKENDS,
                        help="the encoder backend the prepared index version is made for "
                             "(EMBEDDING_BACKEND; with --reuse, the folder's own)")
    parser.add_argument("--words", type=int, default=0,
                        help="give this many of each request's gaps in words (text gaps)")


def prepare(n: int, kind: str = "flat", keep_vectors: bool = False,
            reuse: Path | None = None, backend: str = "torch") -> Served:
    """A catalogue of n resources and its index version in a new temp folder, or the one an
    earlier run prepared in ``reuse`` (a million resources take many minutes to prepare).
    The version is made for the encoder ``backend`` (EMBEDDING_BACKEND; the ONNX export goes
    into the folder); a reused folder's backend is its manifest's."""
    if reuse is not None:
        manifest = IndexStore(reuse / "indexes").manifest()
        backend = next((b for b in BACKENDS if manifest["model"].endswith(f"+{b}")), "torch")
        served = Served(reuse, manifest["count"], manifest["index_type"], None, backend=backend)
        app = served.app()
        with app.app_context():  # a folder an older release prepared: its schema brought up
            migrate.upgrade(db.engine())
        served.statements = embed_statements(app, _encoder(reuse, backend))
        return served
    folder = Path(tempfile.mkdtemp(prefix=f"bench-serve-{n}-"))
    print(f"folder: {folder}", flush=True)
    app = bench_app(folder)
    statements = embed_statements(app, _encoder(folder, backend))
    catalogue = populate(app, n, statements, direct=True)
    began = time.perf_counter()
    publish(app, catalogue, statements, kind)
    print(f"n{n}_publish_seconds: {time.perf_counter() - began:.1f}", flush=True)
    return Served(folder, n, kind, statements, catalogue.vectors if keep_vectors else None,
                  backend)


def _encoder(folder: Path, backend: str):
    return get_encoder(DEFAULT_MODEL, backend, folder / "models")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Gunicorn:
    """A gunicorn master we started, with its workers; ``stop`` ends exactly those."""

    app: str
    env: dict[str, str]
    workers: int = 2
    config: str = "python:recommender.ops.gunicorn_conf"
    boot_seconds: float = 1800  # workers load the index and snapshot first: minutes at 1M
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        log = open(Path(tempfile.gettempdir()) / f"bench-gunicorn-{self.port}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", self.config, "-b",
             f"127.0.0.1:{self.port}", "-w", str(self.workers), "--timeout", "120", self.app],
            env=self.env, stdout=log, stderr=log, cwd=str(ROOT))
        log.close()
        deadline = time.monotonic() + self.boot_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn {self.app} exited; see {log.name}")
            if len(self.worker_pids()) == self.workers and self._healthy():
                return self
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn {self.app} did not start; see {log.name}")

    def __exit__(self, *_exc) -> None:
        self.stop()

    def _healthy(self) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        except OSError:
            return False
        finally:
            connection.close()

    def worker_pids(self) -> list[int]:
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
            return [int(p) for p in children.read_text().split()]
        except OSError:
            return []

    def cpu_seconds(self) -> float:
        """CPU time (user and system) the workers have used so far."""
        ticks = 0
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class Load:
    latencies: list[float]
    seconds: float
    errors: int

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def drive(port: int, path: str, bodies: list[bytes], clients: int = 3,
          seconds: float = 60.0) -> Load:
    """Send each body once (or until ``seconds`` pass) from ``clients`` threads, each over its
    own keep-alive connection (reopened when the server closes it); a closed loop, so at
    most ``clients`` requests are in flight."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    cursor = iter(range(len(bodies)))
    deadline = time.monotonic() + seconds

    def client() -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {"Content-Type": "application/json"}
        while time.monotonic() < deadline:
            with lock:
                i = next(cursor, None)
            if i is None:
                break
            began = time.perf_counter()
            try:
                connection.request("POST", path, bodies[i], headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                connection.close()
                ok = False
            took = time.perf_counter() - began
            with lock:
                if ok:
                    latencies.append(took)
                else:
                    errors += 1
        connection.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return Load(latencies, time.perf_counter() - began, errors)


def gap_sets(codes: list[str], gaps: int, count: int, seed: int = 11) -> list[list[str]]:
    rng = np.random.default_rng(seed + gaps)
    return [list(rng.choice(codes, size=gaps, replace=False)) for _ in range(count)]


def our_body(codes: list[str], words: int = 0, texts: dict[str, str] | None = None,
             tag: str = "") -> bytes:
    """A request for these gaps; the first ``words`` of them given in words (the statement's
    text, which the service must encode and match) instead of by id. The words repeat across
    requests (160 statements); a ``tag`` makes them differ from every other request's (no
    text the service has seen before)."""
    lead = f"I need to get better at this ({tag})" if tag else "I need to get better at this"
    gaps = [{"text": f"{lead}: {texts[c]}", "severity": 2}
            if i < words else {"capability": c, "severity": 2} for i, c in enumerate(codes)]
    return json.dumps({"archetype": "user", "limit": 10, "gaps": gaps}).encode()


def bare_body(codes: list[str]) -> bytes:
    return json.dumps({"gaps": codes}).encode()


def memory_mb(pid: int) -> dict[str, float]:
    """rss, pss (shared pages divided among the processes mapping them) and private memory of
    a process, in MB, from /proc/<pid>/smaps_rollup."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[-1] == "kB":
            values[name] = int(parts[0]) / 1024
    return {"rss": values.get("Rss", 0.0), "pss": values.get("Pss", 0.0),
            "private": values.get("Private_Clean", 0.0) + values.get("Private_Dirty", 0.0)}
