"""A bounded pass of each importer's atheris fuzz harness (`make fuzz` runs them for longer).

Each harness runs in a subprocess for a fixed number of inputs, mutated from its seeds; a
crash (any exception but DataError, or an invalid resource let through) fails the test with
the input libFuzzer saved.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUNS = 2000


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "jsonld", "oai-pmh", "profile"])
def test_fuzz_harness_survives_a_bounded_run(fmt, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "fuzz" / "seeds" / fmt, corpus)
    harness = ROOT / "fuzz" / f"fuzz_{fmt.replace('-', '')}.py"
    done = subprocess.run(
        [sys.executable, str(harness), f"-runs={RUNS}", "-seed=1", "-max_len=4096",
         f"-artifact_prefix={tmp_path}/", str(corpus)],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    crashes = [p.read_bytes()[:500] for p in tmp_path.glob("crash-*")]
    assert done.returncode == 0, (crashes, done.stderr[-3000:])
    assert f"Done {RUNS} runs" in done.stderr
