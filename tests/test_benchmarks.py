"""The scale benchmarks run end to end on tiny catalogues and print their figures; the
synthetic catalogue they share is seeded and shaped like the shipped one."""

import contextlib
import subprocess
import sys
from pathlib import Path
from statistics import mean

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


@pytest.fixture(scope="module")
def synthetic():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import synthetic

        yield synthetic
    finally:
        sys.path.remove(str(BENCHMARKS))


def run(script: str, *args: str, timeout: float = 600) -> dict[str, float | str]:
    """The figures a benchmark printed (``name: value``); values that are not numbers (the
    prepared folder) stay text."""
    done = subprocess.run([sys.executable, str(BENCHMARKS / script), *args],
                          capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    figures = {}
    for line in done.stdout.splitlines():
        name, _, value = line.partition(": ")
        figures[name] = value
        with contextlib.suppress(ValueError):
            figures[name] = float(value)
    return figures


def test_synthetic_catalogue_is_seeded_and_shaped_like_the_shipped_one(synthetic):
    one, again, other = (synthetic.generate(3000, seed=s) for s in (1, 1, 2))
    assert one.texts() == again.texts() and one.teaches == again.teaches
    assert one.texts() != other.texts()
    assert 50 <= mean(len(d.split()) for d in one.descriptions) <= 64
    assert 6 <= mean(len(t.split()) for t in one.titles) <= 10
    assert all(len(t) == 4 for t in one.topics)
    assert 2.4 <= mean(len(t) for t in one.teaches) <= 3.3
    taught = np.bincount([j for t in one.teaches for j in t], minlength=len(one.codes))
    assert 0.7 <= synthetic.zipf_exponent(taught.tolist()) <= 1.3  # skewed, Zipf-like
    assert taught.max() > 20 * np.median(taught)
    records = one.records()
    assert records[0].capabilities == tuple(one.codes[j] for j in one.teaches[0])


def test_direct_vectors_sit_near_their_statements(synthetic):
    catalogue = synthetic.generate(500)
    statements = np.random.default_rng(0).normal(size=(len(catalogue.codes), 384))
    statements = (statements / np.linalg.norm(statements, axis=1, keepdims=True)).astype(
        np.float32)
    vectors = synthetic.direct_vectors(catalogue, statements)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    first = [vectors[i] @ statements[t[0]] for i, t in enumerate(catalogue.teaches)]
    other = vectors @ statements.T
    assert np.median(first) > 0.2 > 0.05 > abs(np.median(other))  # statements are random here
    np.testing.assert_array_equal(vectors, synthetic.direct_vectors(catalogue, statements))


def test_index_build_benchmark_prints_throughput_memory_and_adds():
    figures = run("index_build.py", "--sizes", "40", "--adds", "1,3", "--delta-sizes", "300",
                  "--delta-rounds", "2")
    for name in ("n40_bare_encode_texts_per_s", "n40_index_build_texts_per_s",
                 "n40_peak_rss_mb_build", "n40_add_1_seconds", "n40_add_3_seconds",
                 "loadavg_1m", "d300_publish_ms", "d300_serve_ms",
                 "d300_full_version_visible_ms", "d300_delta_ratio"):
        assert figures[name] > 0, name
    assert figures["d300_deltas"] == 2
    assert figures["d300_visible_after_encoding_ms"] >= figures["d300_publish_ms"]
    assert figures["n40_peak_rss_mb_build"] >= figures["n40_peak_rss_mb_model_loaded"]
    assert figures["ratio"] == figures["n40_ratio"] > 0


def test_in_process_benchmark_measures_a_prepared_catalogue_and_can_reuse_it():
    figures = run("recommend.py", "--sizes", "300", "--gaps", "1,10", "--requests", "20")
    assert figures["resources"] == 300 and figures["index_type"] == "flat"
    for gaps in (1, 10):
        prefix = f"gaps_{gaps}_recommend_"
        assert figures[prefix + "p99_ms"] >= figures[prefix + "p50_ms"] > 0
        assert figures[f"gaps_{gaps}_bare_faiss_batch_p50_ms"] > 0
    assert figures["ratio"] == figures["n300_ratio"] > 0
    again = run("recommend.py", "--reuse", figures["folder"], "--gaps", "5", "--requests", "10")
    assert "folder" not in again and again["resources"] == 300
    assert again["ratio"] == again["n300_ratio"] > 0


def test_http_benchmark_serves_ours_the_bare_endpoint_and_the_constant_json_floor():
    figures = run("http_recommend.py", "--sizes", "300", "--gaps", "1,10", "--requests", "20",
                  "--seconds", "30", "--clients", "2")
    for gaps in (1, 10):
        for who in ("ours", "bare", "floor"):
            prefix = f"n300_gaps{gaps}_{who}_"
            assert figures[prefix + "requests"] == 20, prefix  # every request answered 200
            assert figures[prefix + "p99_ms"] >= figures[prefix + "p50_ms"] > 0
            assert figures[prefix + "rps"] > 0
            assert figures[prefix + "worker_cpu_ms"] >= 0
            assert prefix + "errors" not in figures
        # the floor answers one of our own answers at this gap count
        assert figures[f"n300_gaps{gaps}_floor_body_bytes"] > 1000
    assert figures["ratio"] == figures["n300_gaps10_ratio"] > 0
    assert figures["floor_ratio"] == figures["n300_gaps10_floor_ratio"] > 0


def test_wsgi_benchmark_times_ours_against_the_floor_and_checks_answers(tmp_path):
    answers = tmp_path / "answers.json"
    figures = run("wsgi_recommend.py", "--size", "300", "--turn", "5", "--rounds", "2",
                  "--answers", str(answers))
    assert figures["answers_written"] == 500 and answers.exists()
    assert figures["ours_cpu_p50_ms"] == figures["n300_gaps10_ours_cpu_p50_ms"] > 0
    assert figures["floor_cpu_p50_ms"] == figures["n300_gaps10_floor_cpu_p50_ms"] > 0
    assert 0 < figures["ratio"] < 1  # the floor does less than ours
    again = run("wsgi_recommend.py", "--reuse", figures["folder"], "--turn", "5", "--rounds",
                "2", "--answers", str(answers))
    assert again["answers_differing"] == 0  # the same catalogue answers the same
    words = run("wsgi_recommend.py", "--reuse", figures["folder"], "--turn", "5", "--rounds",
                "2", "--words", "1", "--fresh-words")
    assert words["words"] == "1 (fresh)" and words["backend"] == "torch"
    assert words["ours_cpu_p50_ms"] > 0


def test_memory_benchmark_compares_mapped_and_naive_workers():
    figures = run("memory.py", "--sizes", "300")
    for mode in ("mapped", "naive"):
        assert figures[f"n300_{mode}_worker_pss_mb"] > 0
        assert figures[f"n300_{mode}_worker_rss_mb"] >= figures[f"n300_{mode}_worker_pss_mb"]
    assert figures["ratio"] == figures["n300_ratio"] > 0


def test_suggestion_representations_are_chosen_on_train_and_reported_held_out():
    figures = run("suggest_representations.py", "--quick")
    baseline = "baseline_whole_text_domain_group_statement_"
    for name in (baseline, "r_title_only_"):
        assert 0 < figures[name + "train_p3"] <= 1
        assert 0 < figures[name + "heldout_p3"] <= figures[name + "heldout_hit3"] <= 1
    # a title alone says less than the whole text, on both parts
    assert figures["r_title_only_heldout_p3"] < figures[baseline + "heldout_p3"]
    assert figures["r_title_only_train_p3"] < figures[baseline + "train_p3"]
    assert figures["ratio"] > 0
