"""The README's client examples, curl and Python ``requests``, run as written against a live
server on 127.0.0.1 (only the port differs), so a platform developer can paste them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from recommender.access.keys import create_key
from recommender.indexing.build import build_index
from recommender.indexing.serving import index_store
from recommender.storage import db
from tests.conftest import prepared_app

ROOT = Path(__file__).resolve().parents[1]
WRITTEN = "http://127.0.0.1:5000"  # the address the README's examples use
NEEDED = {"6.0.1", "6.3.2", "2.0.4"}  # the statements the examples ask about


def example(language: str, containing: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    found = [b for b in blocks if containing in b]
    assert len(found) == 1, f"one {language} example with {containing!r} in README.md"
    return found[0]


@pytest.fixture(scope="module")
def live(tmp_path_factory, framework, shipped_resources, encoder):
    """A server checking keys and rate limits, over the resources for the examples' gaps."""
    folder = tmp_path_factory.mktemp("readme")
    chosen = [r for r in shipped_resources if NEEDED & set(r.capabilities)]
    app = prepared_app(folder, framework, chosen, AUTH_REQUIRED=True, RATE_LIMIT_ENABLED=True)
    with app.app_context():
        build_index(db.session(), index_store(), encoder)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    env = {**os.environ, "VAR_DIR": str(folder), "DATABASE_URL": app.config["DATABASE_URL"],
           "INDEX_DIR": app.config["INDEX_DIR"], "REDIS_URL": ""}
    yield app, f"http://127.0.0.1:{server.server_port}", env
    server.shutdown()
    thread.join()
    app.extensions["db"].kw["bind"].dispose()


def test_the_curl_example_runs(live):
    _, url, env = live
    script = example("sh", "keys create --name my-lms").replace(WRITTEN, url)
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert '"status":200' in done.stdout.replace(" ", "")
    assert '"status":422' in done.stdout.replace(" ", "")
    assert re.search(r"(?im)^RateLimit-Remaining: \d+", done.stdout)


def test_the_python_requests_example_runs(live):
    app, url, env = live
    with app.app_context():
        key = create_key(db.session(), "readme-python", ["recommend"]).key
    script = example("python", "import requests").replace(WRITTEN, url)
    done = subprocess.run([sys.executable, "-c", script], env={**env, "KEY": key},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(line.startswith(("baseline: ", "specialist: ")) for line in lines), lines
    assert "200 ok" in lines
    assert any(line.startswith("422 ") and "/archetype" in line for line in lines), lines
