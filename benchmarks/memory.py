"""Web-process memory with 2 gunicorn workers: the index memory-mapped (as served) against a
naive load (each worker reads the whole index into its own memory), same catalogue, same run.

Quick run (20k resources, under a minute):  .venv/bin/python benchmarks/memory.py --quick
Full run (100k resources, about 2 minutes): .venv/bin/python benchmarks/memory.py
A million resources (1.5 GB of vectors; 10+ minutes to set up on 2 cores):
    .venv/bin/python benchmarks/memory.py --sizes 1000000

For each size a catalogue and index version are prepared (benchmarks/serving.py); then our
app is started under gunicorn twice, with recommender.wsgi:app and with
benchmarks/naive_wsgi.py (the same app, the index read into memory). Each worker loads the
index and the catalogue snapshot as it starts (recommender/ops/gunicorn_conf.py); 100 ten-gap
recommendations are then served, so the vectors ranking reads are touched. Per worker, from
/proc/<pid>/smaps_rollup: RSS (counts every page mapped, shared or not), PSS (a shared page
counted 1/N in each of the N processes mapping it: what the worker really costs) and private
memory. ``ratio`` is naive / mapped for the workers' summed PSS at the largest size.
"""

from __future__ import annotations

import os
from pathlib import Path

from common import machine
from serving import Gunicorn, drive, gap_sets, memory_mb, our_body, prepare, serving_arguments

MODES = (("mapped", "recommender.wsgi:app"), ("naive", "naive_wsgi:app"))


def run_size(n: int, workers: int, reuse: Path | None = None) -> float:
    served = prepare(n, reuse=reuse)
    p = f"n{served.size}_"
    version = next((served.folder / "indexes" / "versions").iterdir())
    print(f"{p}index_file_mb: {(version / 'resources.faiss').stat().st_size / 2**20:.1f}")
    bodies = [our_body(g) for g in gap_sets(served.statements.codes, 10, 100)]
    summed = {}
    for mode, app in MODES:
        with Gunicorn(app, served.env(), workers=workers) as server:
            drive(server.port, "/api/v1/recommendations", bodies, clients=workers)
            pids = server.worker_pids()
            figures = [memory_mb(pid) for pid in pids]
            master = memory_mb(server.process.pid)
        for key in ("rss", "pss", "private"):
            print(f"{p}{mode}_worker_{key}_mb: {sum(f[key] for f in figures) / len(pids):.1f}")
        summed[mode] = sum(f["pss"] for f in figures)
        print(f"{p}{mode}_workers_pss_total_mb: {summed[mode]:.1f}")
        print(f"{p}{mode}_master_rss_mb: {master['rss']:.1f}")
    ratio = summed["naive"] / summed["mapped"]
    print(f"{p}ratio: {ratio:.3f}")
    return ratio


def main() -> None:
    parser = serving_arguments(__doc__)
    parser.add_argument("--quick", action="store_true", help="20,000 resources")
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sizes = [20_000] if args.quick else [int(x) for x in args.sizes.split(",")]
    machine()
    ratio = 0.0
    for n in [0] if args.reuse else sizes:
        ratio = run_size(n, args.workers, args.reuse)
    print(f"loadavg_1m_end: {os.getloadavg()[0]:.2f}")
    print(f"ratio: {ratio:.3f}")


if __name__ == "__main__":
    main()
