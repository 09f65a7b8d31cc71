"""The load benchmark, quick: recommendations over gunicorn keep being answered, every one of
them, while an import runs and the worker publishes an index update (how fast is the
benchmark's to say: it prints max_ms and the ratio; a test asserts no wall-clock budget)."""

import subprocess
import sys
from pathlib import Path

import pytest

LOAD = Path(__file__).resolve().parent.parent / "benchmarks" / "load.py"


@pytest.mark.services
def test_serving_under_load_with_an_import_and_an_index_update_has_no_errors():
    done = subprocess.run([sys.executable, str(LOAD), "--quick"], capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)
    assert figures["import_ok"] == "1", done.stderr[-3000:]
    assert figures["update_during_load"] == "1", done.stdout  # the index changed under load
    assert int(figures["errors"]) == 0 and int(figures["quiet_errors"]) == 0, done.stdout
    assert int(figures["requests"]) >= 500, done.stdout
