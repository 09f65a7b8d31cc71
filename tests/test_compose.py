"""docker-compose.yml, run natively: every app service's own command and health check, with
the environment pointed at local PostgreSQL and Redis and a temporary folder, so the compose
file cannot drift from the code (a renamed module, command option or queue fails here).

No Docker engine is needed: the image's entry points are the venv's executables.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import redis
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, text

from recommender.config import ENVIRONMENT, celery_settings

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP = {name: s for name, s in SERVICES.items() if "build" in s}  # run from our image
BIN = Path(sys.executable).parent
TEST_REDIS = "redis://127.0.0.1:6379/12"  # a database number only this test uses
# read by libraries rather than by recommender.config
OTHER_VARIABLES = {"PROMETHEUS_MULTIPROC_DIR"}


def args(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else list(command)


def option(argv: list[str], *names: str) -> str | None:
    """The value of ``--name value``, ``--name=value`` or ``-N value`` in a command line."""
    for i, arg in enumerate(argv):
        if arg in names and i + 1 < len(argv):
            return argv[i + 1]
        for name in names:
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def workers() -> dict[str, list[str]]:
    return {name: args(s["command"]) for name, s in APP.items()
            if args(s["command"])[:1] == ["celery"] and "worker" in args(s["command"])}


def health_test(service: dict) -> list[str]:
    """A healthcheck's ``test`` as a command line; CMD-SHELL becomes ``sh -c``."""
    test = service["healthcheck"]["test"]
    if isinstance(test, str):
        return ["sh", "-c", test.replace("$$", "$")]
    kind, *rest = test
    if kind == "CMD-SHELL":
        return ["sh", "-c", " ".join(rest).replace("$$", "$")]
    assert kind == "CMD", test
    return rest


def routed_queues() -> set[str]:
    """Celery's default queue and every queue the code routes tasks to."""
    settings = celery_settings("redis://", Path("var"))
    return {settings.get("task_default_queue", "celery")} | {
        route["queue"] for route in settings["task_routes"].values()}


def test_every_long_running_service_has_a_health_check():
    for name, service in SERVICES.items():
        if service.get("restart") == "no":  # one-shot
            continue
        assert "healthcheck" in service and health_test(service), name


def test_commands_name_executables_and_modules_that_exist():
    """What the image would run: each module a command or health check names is importable
    from the installed packages, each executable is installed."""
    commands = [args(s["command"]) for s in APP.values()]
    commands += [health_test(s) for s in APP.values() if "healthcheck" in s]
    modules = set()
    for argv in commands:
        if argv[:2] == ["sh", "-c"]:
            argv = args(argv[2])
        for word in argv:
            if word in ("&&", ";", "||"):
                continue
            if re.fullmatch(r"[a-z_]+(\.[a-z_]+)+:[a-z_]+", word):  # module:attribute (WSGI)
                modules.add(word.split(":")[0])
            if word.startswith("python:"):  # gunicorn --config python:module
                modules.add(word[len("python:"):])
        for flag in ("-A", "--app", "-m"):
            if option(argv, flag):
                modules.add(option(argv, flag))
        assert (BIN / argv[0]).exists() or argv[0] == "sh", argv[0]
    assert {"workers.make_celery", "recommender.wsgi"} <= modules
    for module in sorted(modules):
        assert importlib.util.find_spec(module) is not None, f"no module {module}"


def test_workers_consume_exactly_the_queues_tasks_are_sent_to():
    consumed = {}
    for name, argv in workers().items():
        queues = option(argv, "-Q", "--queues")
        assert queues, f"{name} must name its queues"
        consumed[name] = set(queues.split(","))
    every = set().union(*consumed.values())
    assert every <= routed_queues(), f"no task is sent to {every - routed_queues()}"
    assert routed_queues() <= every, f"no worker consumes {routed_queues() - every}"
    # index builds take a file lock and most of a core: one at a time, in their own worker
    [indexer] = [name for name, queues in consumed.items() if "indexing" in queues]
    assert consumed[indexer] == {"indexing"}
    assert option(workers()[indexer], "-c", "--concurrency") == "1"
    hostnames = [option(argv, "-n", "--hostname") for argv in workers().values()]
    assert len(set(hostnames)) == len(hostnames), "two workers on one host need two names"


def test_every_variable_set_in_compose_is_read_by_the_code():
    for name, service in APP.items():
        unknown = set(service.get("environment") or {}) - set(ENVIRONMENT) - OTHER_VARIABLES
        assert not unknown, f"{name}: {unknown} are read by nothing"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NativeStack:
    """Starts compose services as local processes; ``close`` stops every one of them."""

    def __init__(self, folder: Path, database_url: str, port: int):
        self.folder = folder
        self.port = port
        self.database_url = database_url
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        (folder / "logs").mkdir()

    def environment(self, service: dict) -> dict:
        local = {"DATABASE_URL": self.database_url, "REDIS_URL": TEST_REDIS,
                 "INDEX_DIR": str(self.folder / "indexes"), "VAR_DIR": str(self.folder),
                 "PROMETHEUS_MULTIPROC_DIR": str(self.folder / "prometheus")}
        env = {k: v for k, v in os.environ.items() if k not in ENVIRONMENT and k not in local}
        for key, value in (service.get("environment") or {}).items():
            assert key in local or not str(value).startswith("/"), \
                f"{key}={value} is a container path this test does not map"
            env[key] = local.get(key, str(value))
        env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
        env["HOSTNAME"] = socket.gethostname()  # Docker sets it; health checks use it
        return env

    def native(self, argv: list[str]) -> list[str]:
        """The venv's executables, and the published port on the loopback address."""
        exposed = {p.split(":")[-1] for s in APP.values() for p in s.get("ports", [])}
        words = []
        for word in argv:
            for container_port in exposed:
                word = re.sub(rf"(0\.0\.0\.0|127\.0\.0\.1|localhost):{container_port}\b",
                              f"127.0.0.1:{self.port}", word)
            words.append(word)
        if (BIN / words[0]).exists():
            words[0] = str(BIN / words[0])
        return words

    def start(self, name: str) -> None:
        service = APP[name]
        self.logs[name] = self.folder / "logs" / f"{name}.log"
        with self.logs[name].open("wb") as out:
            self.processes[name] = subprocess.Popen(
                self.native(args(service["command"])), env=self.environment(service),
                cwd=self.folder, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)  # its own process group, so close() finds its children

    def wait(self, name: str, timeout: float) -> int:
        try:
            return self.processes[name].wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{name} did not finish in {timeout}s:\n{self.tail(name)}")

    def check_running(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None and APP[name].get("restart") != "no":
                pytest.fail(f"{name} exited with {process.returncode}:\n{self.tail(name)}")

    def health(self, name: str) -> subprocess.CompletedProcess:
        return subprocess.run(self.native(health_test(APP[name])),
                              env=self.environment(APP[name]), cwd=self.folder,
                              capture_output=True, text=True, timeout=120)

    def tail(self, name: str, lines: int = 40) -> str:
        return "\n".join(self.logs[name].read_text(errors="replace").splitlines()[-lines:])

    def close(self, timeout: float = 20) -> None:
        """Ask every process to stop (SIGTERM: graceful for gunicorn and Celery), kill any
        that lingers, then kill whatever each left behind in its process group."""
        running = [p for p in reversed(self.processes.values()) if p.poll() is None]
        for process in running:
            process.terminate()
        deadline = time.monotonic() + timeout
        for process in running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):  # no group left: nothing lingers
                os.killpg(process.pid, signal.SIGKILL)


def start_order() -> list[str]:
    """App services in the order compose would start them (dependencies first)."""
    order: list[str] = []

    def visit(name: str, path: tuple[str, ...] = ()) -> None:
        assert name not in path, f"dependency cycle {path + (name,)}"
        if name in order:
            return
        for dependency in APP[name].get("depends_on") or {}:
            if dependency in APP:
                visit(dependency, path + (name,))
        order.append(name)

    for name in APP:
        visit(name)
    return order


def http(port: int, path: str, body: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode() if body else None,
        headers={"Content-Type": "application/json"} if body else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_the_stack_runs_natively_builds_its_index_through_the_worker_and_serves(
        tmp_path, postgres_url):
    redis.Redis.from_url(TEST_REDIS).flushdb()
    [web] = [name for name, s in APP.items() if s.get("ports")]
    stack = NativeStack(tmp_path, postgres_url, free_port())
    try:
        for name in start_order():
            for dependency, rule in (APP[name].get("depends_on") or {}).items():
                if dependency in APP and rule["condition"] == "service_completed_successfully":
                    assert stack.wait(dependency, 600) == 0, stack.tail(dependency)
            stack.start(name)
        one_shot = [name for name, s in APP.items() if s.get("restart") == "no"]
        for name in one_shot:
            assert stack.wait(name, 600) == 0, stack.tail(name)
        assert re.search(r"^index \w+: version \S+, \d+ resources$",
                         stack.logs["setup"].read_text(), re.MULTILINE), stack.tail("setup")

        deadline = time.monotonic() + 120
        while http_or_none(stack.port, "/healthz") != 200:
            stack.check_running()
            assert time.monotonic() < deadline, stack.tail(web)
            time.sleep(0.3)

        status, body = http(stack.port, "/api/v1/recommendations",
                            {"archetype": "user", "gaps": [{"capability": "6.0.1"}], "limit": 3})
        assert status == 200, body
        answer = json.loads(body)
        assert answer["baseline"] and answer["index_version"]
        status, body = http(stack.port, "/readyz")
        assert status == 200, body
        assert set(json.loads(body)["checks"]) == {"database", "index", "broker"}

        # the index was built by the indexing worker, and recorded as such
        engine = create_engine(postgres_url)
        with engine.connect() as conn:
            builds = conn.execute(text("SELECT kind, status FROM index_builds")).all()
        engine.dispose()
        assert ("full", "built") in builds or ("incremental", "built") in builds, builds
        assert '"logger": "workers.tasks"' in stack.tail("indexer", 400)
        web_lines = stack.logs[web].read_text().splitlines()
        assert [json.loads(line)["logger"] for line in web_lines][:1] == ["gunicorn.error"]

        # the web processes' metrics, summed across gunicorn workers
        for _ in range(4):  # reach both workers
            http(stack.port, "/api/v1/framework")
        status, body = http(stack.port, "/metrics")
        assert status == 200
        samples = {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
                   for family in text_string_to_metric_families(body.decode())
                   for sample in family.samples}
        assert samples[("recommender_http_requests_total", (
            ("endpoint", "/api/v1/framework"), ("method", "GET"), ("status", "200")))] == 4
        assert samples[("recommender_index_info", (
            ("model", "all-MiniLM-L6-v2"), ("version", answer["index_version"])))] == 1
        assert samples[("recommender_queue_length", (("queue", "indexing"),))] == 0

        # every health check passes, given the time compose gives it (start_period, retries)
        for name, service in APP.items():
            if "healthcheck" in service:
                deadline = time.monotonic() + 90
                while (result := stack.health(name)).returncode != 0:
                    assert time.monotonic() < deadline, (name, result.stdout, result.stderr)
                    time.sleep(1)
        stack.check_running()
    finally:
        stack.close()
        redis.Redis.from_url(TEST_REDIS).flushdb()


def http_or_none(port: int, path: str) -> int | None:
    try:
        return http(port, path)[0]
    except OSError:
        return None
