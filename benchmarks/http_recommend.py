"""Recommendations over HTTP: our app under gunicorn against a bare Flask endpoint that does
only one FAISS batch search for the same gap vectors, both served the same way, same run.

Quick run (10k resources, 10 gaps; under a minute):
    .venv/bin/python benchmarks/http_recommend.py --quick
Full run (1k, 10k and 100k resources; 1, 5 and 10 gaps; about 10 minutes):
    .venv/bin/python benchmarks/http_recommend.py
A million resources with an HNSW index (about 3 GB of memory, 30+ minutes to set up on 2
cores; recall@10 of the HNSW index against exact search is printed):
    .venv/bin/python benchmarks/http_recommend.py --sizes 1000000 --index-type hnsw
Gaps in words (the first N gaps of each request as text, encoded and matched per request):
    .venv/bin/python benchmarks/http_recommend.py --sizes 100000 --gaps 10 --words 1
    (the words repeat across requests, the statements' own texts; --fresh-words makes every
    request's words new, so that nothing the service keeps per text helps)
Each size also starts one worker afresh and times its first request with a gap in words
against its later ones (``first_words_request_extra_ms``): the model, index version and
snapshot are loaded as the worker starts, before it takes requests.
Profile of our workers under load (py-spy, 10 gaps at the largest size; summary printed):
    .venv/bin/python benchmarks/http_recommend.py --sizes 100000 --gaps 10 --profile

For each size a catalogue and index version are prepared (benchmarks/serving.py), then three
gunicorn servers with 2 workers each on 127.0.0.1, all with our gunicorn config: our app
(recommender.wsgi:app, rate limits off), benchmarks/bare_search_app.py, and the floor,
benchmarks/constant_json_app.py, which answers one of our own answers per gap count (captured
from ours first) as constant bytes. A Python load driver sends the same gap sets to all three
(``--clients`` threads, each over a keep-alive connection; a fixed number of requests and a
time limit per case), alternating ours, bare and floor in two rounds so that a change in the
machine's load hits each. Warm-up requests go first and are not counted. Per size and gap
count: p50, p99 and requests/s of each, the CPU time its workers spent per request
(``_worker_cpu_ms``, from /proc: what a request costs the server, whatever else the machine
runs), ``_ratio`` = our p50 / bare p50, ``_rps_ratio`` = our rps / bare rps and
``_floor_ratio`` = our rps / floor rps (how close we are to what Flask and gunicorn cost for
an answer that size). The headlines are at 10 gaps (or the most gaps asked) at the largest
size: ``floor_ratio`` (our rps / floor rps) and, last, ``ratio`` (our p50 / bare p50).
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
from common import machine, percentile
from serving import (
    Gunicorn,
    Load,
    bare_body,
    drive,
    gap_sets,
    our_body,
    prepare,
    serving_arguments,
    words_arguments,
)

from indexes.vectors import VectorIndex


def hnsw_recall(served, k: int = 10) -> float:
    """recall@k of the published HNSW index against exact search, for every statement."""
    index = VectorIndex.load(next((served.folder / "indexes" / "versions").iterdir())
                             / "resources.faiss")
    queries = served.statements.vectors
    _, found = index.search(queries, k)
    exact = np.argsort(-(served.vectors @ queries.T), axis=0)[:k].T + 1  # ids are 1..n
    return float(np.mean([len(set(f) & set(e)) / k for f, e in zip(found, exact, strict=True)]))


def profile(server: Gunicorn, bodies: list[bytes], clients: int, seconds: float) -> None:
    """py-spy samples of our workers while the driver runs: the share of the samples taken
    inside a request in which each of our functions was on the stack (inclusive), and in
    which each function, ours or a library's, was running itself (own)."""
    out = Path(tempfile.mkdtemp(prefix="bench-profile-")) / "workers.txt"
    spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record",
                            "--nonblocking", "--subprocesses", "--format", "raw", "-r", "200",
                            "-d", str(int(seconds)), "-o", str(out),
                            "-p", str(server.process.pid)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    drive(server.port, "/api/v1/recommendations", bodies, clients, seconds)
    spy.wait()
    inclusive, own, total = Counter(), Counter(), 0
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [f.rsplit(":", 1)[0] + ")" for f in stack.split(";") if " (" in f]
        if not any(f.startswith("recommendations (") for f in frames):
            continue  # a worker waiting for a connection, or the master
        total += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            if frame.split(" (")[1].startswith(("recommender/", "indexes/")):
                inclusive[frame] += int(count)  # our own functions, wherever they appear
    print(f"profile_samples: {total} (raw stacks: {out})")
    for name, counter in (("inclusive", inclusive), ("own", own)):
        for frame, count in counter.most_common(20):
            print(f"profile_{name}: {100 * count / max(total, 1):5.1f}% {frame}")


def answer(port: int, body: bytes) -> str:
    """Our answer to one request body, as sent."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", "/api/v1/recommendations", body,
                           {"Content-Type": "application/json"})
        response = connection.getresponse()
        if response.status != 200:
            raise RuntimeError(f"our app answered {response.status}")
        return response.read().decode()
    finally:
        connection.close()


def cold_start(env: dict[str, str], bodies: list[bytes], p: str) -> None:
    """The first request with a gap in words that a just-started worker serves, against the
    same worker's later ones (one worker, so the first request is its first)."""
    with Gunicorn("recommender.wsgi:app", env, workers=1) as fresh:
        first = drive(fresh.port, "/api/v1/recommendations", bodies[:1], clients=1)
        later = drive(fresh.port, "/api/v1/recommendations", bodies[1:], clients=1)
    if first.errors or later.errors:
        print(f"{p}cold_start_errors: {first.errors + later.errors}")
    warm = percentile(later.latencies, 50)
    print(f"{p}first_words_request_ms: {first.latencies[0] * 1000:.1f}")
    print(f"{p}warm_words_request_p50_ms: {warm * 1000:.1f}")
    print(f"{p}first_words_request_extra_ms: {(first.latencies[0] - warm) * 1000:.1f}")


def run_size(n: int, args, gap_counts: list[int]) -> tuple[float, float]:
    served = prepare(n, args.index_type, keep_vectors=args.index_type == "hnsw",
                     reuse=args.reuse, backend=args.backend)
    print(f"n{served.size}_backend: {served.backend}")
    p = f"n{served.size}_"
    if served.vectors is not None:
        print(f"{p}hnsw_recall_at_10: {hnsw_recall(served):.4f}")
        served.vectors = None
    env = served.env()
    codes = served.statements.codes
    texts = dict(zip(codes, served.statements.texts, strict=True))
    tags = itertools.count()  # --fresh-words: no request's words were seen before
    body = lambda g: our_body(g, args.words, texts,  # noqa: E731
                              f"request {next(tags)}" if args.fresh_words else "")
    headline = floor_ratio = 0.0
    cold_start(env, [our_body(g, 1, texts) for g in gap_sets(codes, 10, 21, seed=2)], p)
    cases = {gaps: gap_sets(codes, gaps, args.requests) for gaps in gap_counts}
    with Gunicorn("recommender.wsgi:app", env) as ours, \
            Gunicorn("bare_search_app:app", env) as bare:
        warm = gap_sets(codes, 10, 40, seed=1)
        drive(ours.port, "/api/v1/recommendations", [body(g) for g in warm], args.clients)
        drive(bare.port, "/search", [bare_body(g) for g in warm], args.clients)
        # the floor answers, per gap count, one of our own answers at that gap count, as sent
        stored = {gaps: answer(ours.port, body(sets[0])) for gaps, sets in cases.items()}
        answers = served.folder / "floor_bodies.json"
        answers.write_text(json.dumps(stored))
        with Gunicorn("constant_json_app:app", {**env, "FLOOR_BODIES": str(answers)}) as floor:
            for gaps in gap_counts:
                drive(floor.port, f"/constant/{gaps}", [b"{}"] * 40, args.clients)
            for gaps, sets in cases.items():
                print(f"{p}gaps{gaps}_floor_body_bytes: {len(stored[gaps].encode())}")
                half = len(sets) // 2
                results: dict[str, list[Load]] = {"ours": [], "bare": [], "floor": []}
                cpu = dict.fromkeys(results, 0.0)
                for part in (sets[:half], sets[half:]):
                    for who, server, path, encode in (
                            ("ours", ours, "/api/v1/recommendations", body),
                            ("bare", bare, "/search", bare_body),
                            ("floor", floor, f"/constant/{gaps}", body)):
                        began = server.cpu_seconds()
                        results[who].append(drive(server.port, path, [encode(g) for g in part],
                                                  args.clients, args.seconds / 2))
                        cpu[who] += server.cpu_seconds() - began
                figures = {}
                for who, loads in results.items():
                    latencies = [x for load in loads for x in load.latencies]
                    errors = sum(load.errors for load in loads)
                    figures[who] = (percentile(latencies, 50), percentile(latencies, 99),
                                    len(latencies) / sum(load.seconds for load in loads))
                    q = f"{p}gaps{gaps}_{who}_"
                    print(f"{q}p50_ms: {figures[who][0] * 1000:.2f}")
                    print(f"{q}p99_ms: {figures[who][1] * 1000:.2f}")
                    print(f"{q}rps: {figures[who][2]:.1f}")
                    print(f"{q}requests: {len(latencies)}")
                    print(f"{q}worker_cpu_ms: {cpu[who] * 1000 / max(len(latencies), 1):.2f}")
                    if errors:
                        print(f"{q}errors: {errors}")
                headline = figures["ours"][0] / figures["bare"][0]
                floor_ratio = figures["ours"][2] / figures["floor"][2]
                print(f"{p}gaps{gaps}_ratio: {headline:.3f}")
                print(f"{p}gaps{gaps}_rps_ratio: {figures['ours'][2] / figures['bare'][2]:.3f}")
                print(f"{p}gaps{gaps}_floor_ratio: {floor_ratio:.3f}")
        if args.profile:
            profile(ours, [body(g) for g in gap_sets(codes, gap_counts[-1], 5000)],
                    args.clients, 20)
    return headline, floor_ratio


def main() -> None:
    parser = serving_arguments(__doc__)
    words_arguments(parser)
    parser.add_argument("--quick", action="store_true", help="10k resources, 10 gaps")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--gaps", default="1,5,10")
    parser.add_argument("--requests", type=int, default=1000, help="per case and server")
    parser.add_argument("--seconds", type=float, default=60, help="time limit per case")
    parser.add_argument("--clients", type=int, default=3, help="concurrent connections")
    parser.add_argument("--index-type", default="flat", choices=("flat", "hnsw"))
    parser.add_argument("--profile", action="store_true", help="py-spy our workers")
    parser.add_argument("--fresh-words", action="store_true",
                        help="words that differ in every request (else they repeat: the "
                             "statements' texts), so that none was encoded before")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.gaps, args.requests, args.seconds = "10000", "10", 400, 20
    gap_counts = [int(x) for x in args.gaps.split(",")]
    machine()
    headline = floor = 0.0
    for n in [0] if args.reuse else [int(x) for x in args.sizes.split(",")]:
        headline, floor = run_size(n, args, gap_counts)
        sys.stdout.flush()
    print(f"loadavg_1m_end: {os.getloadavg()[0]:.2f}")
    print(f"floor_ratio: {floor:.3f}")
    print(f"ratio: {headline:.3f}")


if __name__ == "__main__":
    main()
