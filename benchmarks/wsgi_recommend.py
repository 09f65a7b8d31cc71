"""The CPU time one recommendation costs our app in process, called through its WSGI entry as
gunicorn calls it (hooks, validation, ranking, reasons, encoding), against the floor app of
benchmarks/http_recommend.py (a constant answer of the same bytes) called the same way, in
the same process, taking turns. Thread CPU time per request, so the machine's other load
moves it less than wall time; no sockets, so it is what our code costs, not the network's.

Quick run (10k resources, 10 gaps; under a minute):
    .venv/bin/python benchmarks/wsgi_recommend.py --quick
Over a catalogue an earlier run prepared (its ``folder:`` line; 100k takes minutes to make):
    .venv/bin/python benchmarks/wsgi_recommend.py --reuse FOLDER
Check that a change leaves the answers as they were (all but ``recommendation_id``):
    .venv/bin/python benchmarks/wsgi_recommend.py --reuse FOLDER --answers BEFORE.json
(the first run writes the file, later runs compare with it and print ``answers_differing``).
With gaps in words (the first N of each request's gaps, as benchmarks/http_recommend.py sends
them; their words repeat across requests and turns):
    .venv/bin/python benchmarks/wsgi_recommend.py --reuse FOLDER --words 1
and with words no request had before (each turn's requests new, none of them the answers'):
    .venv/bin/python benchmarks/wsgi_recommend.py --reuse FOLDER --words 1 --fresh-words

Prints ``ours_cpu_p50_ms`` and ``floor_cpu_p50_ms`` (per request, the median of each turn's
mean), and ``ratio:`` floor over ours (the share of our CPU time that Flask itself needs).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import orjson
from common import machine
from serving import ROOT, gap_sets, our_body, prepare, serving_arguments, words_arguments
from werkzeug.test import EnvironBuilder

PATH = "/api/v1/recommendations"


def caller(app, path: str):
    """A function that sends one body through ``app``'s WSGI entry and returns the answer."""
    def call(body: bytes) -> bytes:
        environ = EnvironBuilder(path=path, method="POST", data=body,
                                 content_type="application/json",
                                 environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_environ()
        status = []
        out = app.wsgi_app(environ, lambda s, _headers, _exc=None: status.append(s))
        try:
            answer = b"".join(out)
        finally:
            getattr(out, "close", lambda: None)()
        if not status[0].startswith("200"):
            raise RuntimeError(f"{path} answered {status[0]}: {answer[:300]!r}")
        return answer
    return call


def turns(calls: dict, bodies: dict, rounds: int) -> dict[str, float]:
    """Each caller's median over ``rounds`` turns of its mean thread CPU per request;
    ``bodies[name]`` is a list sent at every turn, or a function of the turn giving one."""
    means: dict[str, list[float]] = {name: [] for name in calls}
    for turn in range(rounds):
        for name, call in calls.items():
            sent = bodies[name](turn) if callable(bodies[name]) else bodies[name]
            began = time.thread_time()
            for body in sent:
                call(body)
            means[name].append((time.thread_time() - began) / len(sent))
    return {name: sorted(m)[len(m) // 2] for name, m in means.items()}


def compare_answers(call, bodies: list[bytes], path: Path) -> None:
    answers = [orjson.loads(call(body)) for body in bodies]
    for answer in answers:
        answer.pop("recommendation_id")
    if not path.exists():
        path.write_bytes(orjson.dumps(answers))
        print(f"answers_written: {len(answers)}")
        return
    before = orjson.loads(path.read_bytes())
    print(f"answers_differing: {sum(a != b for a, b in zip(answers, before, strict=True))}")


def main() -> None:
    parser = serving_arguments(__doc__)
    words_arguments(parser)
    parser.add_argument("--quick", action="store_true", help="10k resources, fewer turns")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--gaps", type=int, default=10)
    parser.add_argument("--turn", type=int, default=100, help="requests per turn")
    parser.add_argument("--rounds", type=int, default=20, help="turns of each app")
    parser.add_argument("--answers", type=Path, help="write, or compare with, the answers")
    parser.add_argument("--fresh-words", action="store_true",
                        help="timed requests' words new at every turn (none encoded before)")
    args = parser.parse_args()
    if args.quick:
        args.size, args.rounds = min(args.size, 10_000), 6
    machine()
    served = prepare(args.size, reuse=args.reuse, backend=args.backend)
    print(f"backend: {served.backend}")
    if args.reuse:
        print(f"folder: {served.folder}")
    os.environ.update(served.env())  # the settings gunicorn's workers get
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from indexes.embedding import set_encoder_threads
    from indexes.vectors import set_search_threads
    from recommender import create_app
    from recommender.indexing.serving import warm

    ours = create_app()
    # as recommender/wsgi.py limits a gunicorn worker
    set_search_threads(ours.config["SEARCH_THREADS"])
    set_encoder_threads(ours.config["SEARCH_THREADS"])
    with ours.app_context():
        warm()  # as a gunicorn worker starts: the model, the version, its snapshot and pools
    codes = served.statements.codes
    texts = dict(zip(codes, served.statements.texts, strict=True))
    sets = gap_sets(codes, args.gaps, 500)
    bodies = [our_body(g, args.words, texts) for g in sets]
    call = caller(ours, PATH)
    for body in bodies[:50]:  # warm-up, not counted
        call(body)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as floor_bodies:
        json.dump({str(args.gaps): call(bodies[0]).decode()}, floor_bodies)
    os.environ["FLOOR_BODIES"] = floor_bodies.name
    floor = importlib.import_module("constant_json_app").app
    floor_call = caller(floor, f"/constant/{args.gaps}")
    if args.answers:
        compare_answers(call, bodies, args.answers)
    turn = bodies[:args.turn]
    if args.fresh_words:
        turn = lambda t: [our_body(g, args.words, texts, f"turn {t} request {i}")  # noqa: E731
                          for i, g in enumerate(sets[:args.turn])]
    cpu = turns({"ours": call, "floor": floor_call}, {"ours": turn, "floor": turn},
                args.rounds)
    Path(floor_bodies.name).unlink()
    print(f"words: {args.words}{' (fresh)' if args.fresh_words else ''}")
    print(f"n{served.size}_gaps{args.gaps}_ours_cpu_p50_ms: {cpu['ours'] * 1000:.3f}")
    print(f"n{served.size}_gaps{args.gaps}_floor_cpu_p50_ms: {cpu['floor'] * 1000:.3f}")
    print(f"ours_cpu_p50_ms: {cpu['ours'] * 1000:.3f}")
    print(f"floor_cpu_p50_ms: {cpu['floor'] * 1000:.3f}")
    print(f"ratio: {cpu['floor'] / cpu['ours']:.3f}")


if __name__ == "__main__":
    main()
