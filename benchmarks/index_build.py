"""Index build throughput against bare ``model.encode`` on the same texts, in the same run.

Quick run (under a minute):  .venv/bin/python benchmarks/index_build.py --quick
Full run:                    .venv/bin/python benchmarks/index_build.py --resources 10000
"""

from __future__ import annotations

import argparse
import time

from common import make_app, synthetic_resources

from catalogue.text import capability_text
from indexes.embedding import DEFAULT_MODEL, get_encoder
from recommender import db
from recommender.framework_store import capabilities
from recommender.indexing import build_index
from recommender.services import index_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="300 resources")
    parser.add_argument("--resources", type=int, default=2000)
    args = parser.parse_args()
    n = 300 if args.quick else args.resources

    resources = synthetic_resources(n)
    app = make_app(resources)
    encoder = get_encoder(DEFAULT_MODEL)
    encoder.encode(["warm up the model"] * 8)
    with app.app_context():
        statements = capabilities(db.session())
        texts = [r.embedding_text() for r in resources] + [
            capability_text(c.domain_name, c.group_name, c.text) for c in statements]

        began = time.perf_counter()
        encoder.encode(texts)
        bare = time.perf_counter() - began

        began = time.perf_counter()
        outcome = build_index(db.session(), index_store(), encoder, force=True)
        ours = time.perf_counter() - began
    assert outcome.count == n

    print(f"resources: {n}")
    print(f"texts_encoded: {len(texts)}")
    print(f"bare_encode_texts_per_s: {len(texts) / bare:.1f}")
    print(f"index_build_texts_per_s: {len(texts) / ours:.1f}")
    print(f"index_build_seconds: {ours:.2f}")
    print(f"ratio: {bare / ours:.3f}")


if __name__ == "__main__":
    main()
