"""A learner's free-text goal searched in the database's full-text index."""

from recommender.ranking import text_search
from recommender.storage import db


def test_a_large_catalogues_goal_query_keeps_its_rarest_words_within_the_budget(
        tmp_path, framework, make_app, shipped_resources, database_url):
    # of these 30 resources, about 20 hold "digital" (as the database stems it) and one
    # "edinburgh"
    app = make_app(tmp_path, framework, shipped_resources[:30], database_url=database_url)
    with app.app_context():
        session = db.session()

        def found(query: str, **bounds) -> list[int]:
            return [rid for rid, _ in text_search.search(session, query, 100, **bounds)]

        rare, common = found("edinburgh"), found("digital")
        assert len(rare) == 1 and len(common) > 10
        both = found("digital edinburgh")
        assert set(both) == set(common) | set(rare)
        together = len(common) + len(rare)
        # more resources than the budget: the rarest words, while their rows add up to it
        assert set(found("digital edinburgh", rows=30, budget=together)) == set(both)
        assert found("digital edinburgh", rows=30, budget=together - 1) == rare
        assert found("digital edinburgh", budget=together - 1) == rare  # size unknown
        assert found("digital", rows=30, budget=len(common) - 1) == []
        assert found("edinburgh", rows=30, budget=1) == rare
        # a catalogue no larger than the budget: every word stays, none is counted
        assert set(found("digital edinburgh", rows=30, budget=30)) == set(both)
        assert found("the of and") == []  # stop words only
