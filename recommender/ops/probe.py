"""Container health checks (docker-compose.yml ``healthcheck``), exit status 0 when healthy.

    python -m recommender.ops.probe url http://127.0.0.1:8000/readyz
    python -m recommender.ops.probe beat --max-age 300

``url`` passes when the URL answers 2xx; ``beat`` when Celery beat has written its schedule
file (its name comes from the same configuration beat uses) within the last ``--max-age``
seconds: beat saves it at least every few minutes while its loop is running.
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.request
from pathlib import Path


def check_url(url: str, timeout: float) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # raises on 4xx/5xx
        return f"{url}: {response.status}"


def check_beat(max_age: float) -> str:
    # local: config imports FAISS (through indexes.vectors); the url check runs often, needs none
    from recommender.config import from_environment

    schedule = Path(from_environment()["CELERY"]["beat_schedule_filename"])
    # the dbm module behind the schedule may add suffixes (.db, .dat, .dir)
    files = [p for p in schedule.parent.glob(schedule.name + "*") if p.is_file()]
    if not files:
        raise RuntimeError(f"no beat schedule file at {schedule}")
    age = time.time() - max(p.stat().st_mtime for p in files)
    if age > max_age:
        raise RuntimeError(f"beat schedule {schedule} last written {age:.0f}s ago")
    return f"beat schedule written {age:.0f}s ago"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recommender.ops.probe")
    checks = parser.add_subparsers(dest="check", required=True)
    url = checks.add_parser("url", help="GET a URL; healthy on a 2xx answer")
    url.add_argument("url")
    url.add_argument("--timeout", type=float, default=5)
    beat = checks.add_parser("beat", help="Celery beat's schedule file is fresh")
    beat.add_argument("--max-age", type=float, default=300)
    args = parser.parse_args(argv)
    try:
        message = (check_url(args.url, args.timeout) if args.check == "url"
                   else check_beat(args.max_age))
    except Exception as exc:  # any failure is "unhealthy": say why and exit non-zero
        print(f"unhealthy: {exc}", file=sys.stderr)
        return 1
    print(message)
    return 0


if __name__ == "__main__":
    sys.exit(main())
