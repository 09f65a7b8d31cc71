"""Index build throughput against bare ``model.encode`` on the same texts, peak memory, and
incremental adds, in the same run.

Quick run (1k resources, adds of 1 and 200; about a minute):
    .venv/bin/python benchmarks/index_build.py --quick
Full run (1k and 10k resources, adds of 1 and 1,000; about 8 minutes on 2 cores):
    .venv/bin/python benchmarks/index_build.py
100k resources (about 50 minutes: 100k texts are encoded twice, bare and by the build):
    .venv/bin/python benchmarks/index_build.py --sizes 100000
Profile of a build (pyinstrument, printed after the figures):
    .venv/bin/python benchmarks/index_build.py --sizes 1000 --profile
A one-resource add reaching requests at 100k resources (part of the full run; alone, about
4 minutes, most of it preparing the catalogue):
    .venv/bin/python benchmarks/index_build.py --sizes 0 --delta-sizes 100000

Each size runs in a fresh child process, so its peak memory (``ru_maxrss``) is its own. The
child writes a synthetic catalogue (benchmarks/synthetic.py) to SQLite through the import
path, loads the model and warms it up, then, in order:

(``--rounds`` times, alternating, each one's fastest round kept)
1. ``bare``: ``model.encode`` (sentence-transformers, normalised, batch 64) of exactly the
   texts a build encodes (every resource's title, description and topics, and every
   statement), in one call;
2. ``build``: ``build_index`` (streamed from the database: encode, capability suggestions,
   near-duplicate scan, BM25, per-statement neighbour lists, atomic publish);
3. incremental adds: new resources imported (outbox rows), then ``apply_changes``, against a
   bare encode of the same new texts.

4. a one-resource add over a served catalogue (``--delta-sizes``, prepared as the serving
   benchmarks do: synthetic vectors, no encoding): the add is imported, ``apply_changes``
   encodes it and publishes a delta, and a second app in this process, a web process with its
   own index store and catalogue snapshot loaded, answers a recommendation request until the
   answer names the new index version. ``d<n>_visible_after_encoding_ms`` is the time from
   the end of the encoding to that answer (median of ``--delta-rounds``), split into the
   update's own work after encoding (``..._publish_ms``) and the web process taking it
   (``..._serve_ms``). For comparison in the same run, ``d<n>_full_version_visible_ms``: the
   deltas folded into a full version (``compact``, which rewrites the version as every
   update did before deltas) and the web process loading it with its snapshot;
   ``d<n>_delta_ratio`` is that over the delta's figure.

``<n>_ratio`` is bare seconds / build seconds (1.0: the build costs nothing beyond encoding);
the headline ``ratio`` is the lowest over the sizes. ``<n>_cpu_ratio`` is the same in the
process's CPU time, which other sessions' load sways less than wall time. Peak memory is
printed after the model loads, after the bare encode and after the build (``ru_maxrss`` only
grows: the build's own peak shows as the growth past the bare encode).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import time

from common import arguments, bench_app, machine
from synthetic import generate

from catalogue.text import capability_text
from indexes.embedding import DEFAULT_MODEL, get_encoder
from recommender.content.framework import capabilities
from recommender.content.store import upsert_resources
from recommender.indexing.build import apply_changes, build_index
from recommender.indexing.serving import index_store
from recommender.storage import db


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one_size(n: int, adds: list[int], rounds: int, profile: bool) -> None:
    """Runs in the child: print ``<n>_...`` figures for one catalogue size."""
    app = bench_app()
    catalogue = generate(n, seed=1)
    with app.app_context():
        upsert_resources(db.session(), catalogue.records())
        statements = capabilities(db.session())
    encoder = get_encoder(DEFAULT_MODEL)
    model = encoder._model  # the bare sentence-transformers model the encoder wraps
    model.encode(["warm up the model"] * 64, batch_size=64)
    texts = catalogue.texts() + [capability_text(c.domain_name, c.group_name, c.text)
                                 for c in statements]
    p = f"n{n}_"
    print(f"{p}texts_encoded: {len(texts)}")
    print(f"{p}peak_rss_mb_model_loaded: {peak_mb():.0f}")

    profiler = None
    bare, ours = float("inf"), float("inf")
    bare_cpu, ours_cpu = float("inf"), float("inf")
    for round_ in range(rounds):  # alternate, keep each one's fastest: load hits both alike
        began, began_cpu = time.perf_counter(), time.process_time()
        model.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
        bare = min(bare, time.perf_counter() - began)
        bare_cpu = min(bare_cpu, time.process_time() - began_cpu)
        if round_ == 0:
            print(f"{p}peak_rss_mb_bare_encode: {peak_mb():.0f}")
        if profile and round_ == rounds - 1:
            from pyinstrument import Profiler

            profiler = Profiler()
            profiler.start()
        with app.app_context():
            # every round a first build: no statement vectors to reuse from a previous one
            shutil.rmtree(index_store().root, ignore_errors=True)
            began, began_cpu = time.perf_counter(), time.process_time()
            outcome = build_index(db.session(), index_store(), encoder, force=True)
            ours = min(ours, time.perf_counter() - began)
            ours_cpu = min(ours_cpu, time.process_time() - began_cpu)
        if profiler:
            profiler.stop()
    assert outcome.count == n, outcome
    print(f"{p}peak_rss_mb_build: {peak_mb():.0f}")
    print(f"{p}bare_encode_texts_per_s: {len(texts) / bare:.1f}")
    print(f"{p}index_build_texts_per_s: {len(texts) / ours:.1f}")
    print(f"{p}index_build_seconds: {ours:.2f}")
    print(f"{p}bare_encode_cpu_seconds: {bare_cpu:.2f}")
    print(f"{p}index_build_cpu_seconds: {ours_cpu:.2f}")
    print(f"{p}cpu_ratio: {bare_cpu / ours_cpu:.3f}")  # CPU time: less swayed by other load
    print(f"{p}ratio: {bare / ours:.3f}")

    start = n
    for k in adds:
        added = generate(k, seed=100 + k, start=start)
        start += k
        began = time.perf_counter()
        model.encode(added.texts(), batch_size=64, normalize_embeddings=True,
                     convert_to_numpy=True)
        bare_add = time.perf_counter() - began
        with app.app_context():
            upsert_resources(db.session(), added.records())
            began = time.perf_counter()
            outcome = apply_changes(db.session(), index_store(), encoder)
            took = time.perf_counter() - began
        assert outcome.status == "updated" and outcome.count == start, outcome
        print(f"{p}add_{k}_seconds: {took:.3f}")
        print(f"{p}add_{k}_bare_encode_seconds: {bare_add:.3f}")
    if profiler:
        print(profiler.output_text(unicode=False, color=False))


def delta_visibility(n: int, rounds: int) -> None:
    """Runs in the child: print ``d<n>_...`` figures for one-resource adds at n resources."""
    from serving import prepare

    from recommender.indexing.compaction import compact
    from recommender.indexing.serving import index_holder, snapshot

    served = prepare(n)
    builder, web = served.app(), served.app()  # one index store each, as in two processes
    client = web.test_client()
    ask = {"archetype": "user", "gaps": [{"capability": c, "severity": 3}
                                         for c in served.statements.codes[:10]], "limit": 10}

    def answer() -> str:
        response = client.post("/api/v1/recommendations", json=ask)
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["index_version"]

    def visible(version: str) -> float:
        """Ask until an answer names ``version``; the time it came."""
        while answer() != version:
            pass
        return time.perf_counter()

    encoder = get_encoder(DEFAULT_MODEL)
    encoder.encode(["warm up the model"])
    with web.app_context():
        answer()  # the web process serves the prepared version, snapshot loaded
    publish, serve, total = [], [], []
    for round_ in range(rounds):
        added = generate(1, served.statements.codes, seed=500 + round_, start=n + round_)
        with builder.app_context():
            upsert_resources(db.session(), added.records())
            outcome = apply_changes(db.session(), index_store(), encoder)
            applied = time.perf_counter()
        assert outcome.status == "updated", outcome
        with web.app_context():
            seen = visible(outcome.version)
        publish.append(applied - outcome.encoded_at)
        serve.append(seen - applied)
        total.append(seen - outcome.encoded_at)
    p = f"d{n}_"
    median = lambda values: sorted(values)[len(values) // 2]  # noqa: E731
    print(f"{p}deltas: {rounds}")
    print(f"{p}visible_after_encoding_ms: {median(total) * 1000:.1f}")
    print(f"{p}visible_after_encoding_max_ms: {max(total) * 1000:.1f}")
    print(f"{p}publish_ms: {median(publish) * 1000:.1f}")
    print(f"{p}serve_ms: {median(serve) * 1000:.1f}")
    with builder.app_context():
        began = time.perf_counter()
        folded = compact(index_store())
    with web.app_context():
        seen = visible(folded.version)
        assert index_holder().get().name == folded.version and snapshot(index_holder().get())
    full = seen - began
    print(f"{p}full_version_visible_ms: {full * 1000:.1f}")
    print(f"{p}delta_ratio: {full / median(total):.1f}")


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--quick", action="store_true", help="1,000 resources, adds of 1, 200")
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated sizes")
    parser.add_argument("--adds", default="1,1000", help="incremental adds to time")
    parser.add_argument("--rounds", type=int, default=1, help="bare/build rounds (best kept)")
    parser.add_argument("--profile", action="store_true", help="pyinstrument the last build")
    parser.add_argument("--delta-sizes", default="100000",
                        help="catalogue sizes for the one-resource add (0: none)")
    parser.add_argument("--delta-rounds", type=int, default=7, help="adds timed at each size")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--delta-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    adds = [int(x) for x in ("1,200" if args.quick else args.adds).split(",") if x]
    if args.child is not None:
        one_size(args.child, adds, args.rounds, args.profile)
        return
    if args.delta_child is not None:
        delta_visibility(args.delta_child, args.delta_rounds)
        return
    sizes = [1000] if args.quick else [int(x) for x in args.sizes.split(",") if int(x)]
    delta_sizes = [2000] if args.quick else [int(x) for x in args.delta_sizes.split(",")
                                             if int(x)]
    machine()
    ratios = []
    for n in sizes:
        command = [sys.executable, __file__, "--child", str(n), "--adds",
                   ",".join(map(str, adds)), "--rounds", str(args.rounds)] + \
            (["--profile"] if args.profile else [])
        child = subprocess.run(command, capture_output=True, text=True, check=False)
        if child.returncode:
            sys.exit(f"the {n}-resource run failed:\n{child.stderr[-3000:]}")
        print(child.stdout, end="")
        ratios += [float(line.split(":")[1]) for line in child.stdout.splitlines()
                   if line.startswith(f"n{n}_ratio:")]
    for n in delta_sizes:
        command = [sys.executable, __file__, "--delta-child", str(n), "--delta-rounds",
                   str(3 if args.quick else args.delta_rounds)]
        child = subprocess.run(command, capture_output=True, text=True, check=False)
        if child.returncode:
            sys.exit(f"the {n}-resource delta run failed:\n{child.stderr[-3000:]}")
        print("".join(line + "\n" for line in child.stdout.splitlines()
                      if not line.startswith("folder:")), end="")
    print(f"loadavg_1m_end: {__import__('os').getloadavg()[0]:.2f}")
    if ratios:
        print(f"ratio: {min(ratios):.3f}")


if __name__ == "__main__":
    main()
