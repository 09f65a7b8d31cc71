"""Guards ranking quality on the judged set: ours must stay at least 10% above the better of
a BM25-only and a dense-only ranking on nDCG@10 (benchmarks/evaluate.py prints the figures)."""

from recommender.indexing.serving import index_holder, snapshot, statements
from recommender.ranking.evaluation import Evaluator, load_queries, ndcg
from recommender.storage import db


def test_ndcg_helper_on_a_worked_example():
    judgments = {"a": 3, "b": 1}
    assert ndcg(["a", "b"], judgments, 10) == 1.0
    assert 0 < ndcg(["b", "a"], judgments, 10) < 1.0
    assert ndcg(["x"], judgments, 10) == 0.0


def test_our_ranking_beats_both_baselines_by_ten_percent(served_app, encoder):
    with served_app.app_context():
        index = index_holder().get()
        evaluator = Evaluator(db.session(), index, snapshot(index), statements(), encoder)
        results = evaluator.run(load_queries())
    better = max(results["bm25"]["ndcg_at_10"], results["dense"]["ndcg_at_10"])
    assert results["ours"]["ndcg_at_10"] >= 1.10 * better, results
    assert results["ours"]["mrr"] >= max(results["bm25"]["mrr"], results["dense"]["mrr"])
