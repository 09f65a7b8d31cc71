"""`recommender run` (what `make run` calls): first run sets everything up through a real
Celery worker on the embedded SQLite broker; a second run starts quickly and rebuilds nothing."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.services


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(var_dir: Path, port: int) -> tuple[subprocess.Popen, list[str], float]:
    """Start `recommender run` and read its output until it says where it serves."""
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env["VAR_DIR"] = str(var_dir)
    began = time.monotonic()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "recommender"), "run", "--port", str(port),
         "--web-workers", "1"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    lines = []
    deadline = began + 600
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if line.startswith("serving on http://"):
            return process, lines, time.monotonic() - began
    process.kill()
    process.wait()
    process.stdout.close()
    raise AssertionError("recommender run did not start:\n" + "\n".join(lines))


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGINT)
    process.wait(timeout=60)
    process.stdout.close()


def post(port: int, body: dict) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/recommendations", data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"})
    for _ in range(50):  # gunicorn may still be binding its worker
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())
        except ConnectionError:
            time.sleep(0.2)
    raise AssertionError("no answer from the web server")


def test_first_run_sets_up_and_serves_second_run_reuses_the_index(tmp_path):
    port = free_port()
    process, lines, _ = start(tmp_path, port)
    try:
        text = "\n".join(lines)
        assert "loaded" in text and "new" in text
        assert "index built" in text
        data = post(port, {"archetype": "user", "gaps": [{"capability": "6.0.1"}], "limit": 3})
        assert data["baseline"] and data["baseline"][0]["because"][0]["capability"] == "6.0.1"
        version = data["index_version"]
    finally:
        stop(process)
    assert process.returncode is not None

    process, lines, seconds = start(tmp_path, port)
    try:
        text = "\n".join(lines)
        assert f"index up to date: version {version}" in text
        assert "building" not in text
        assert seconds < 30, f"second start took {seconds:.1f}s"
        assert post(port, {"archetype": "user", "gaps": [{"capability": "6.0.1"}]})[
            "index_version"] == version
    finally:
        stop(process)
