"""A learner's free-text goal searched in the database's full-text index."""

from dataclasses import replace

from recommender.content.store import upsert_resources
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


def test_word_counts_are_kept_for_the_version_served_and_read_again_for_the_next(
        tmp_path, framework, make_app, shipped_resources, database_url):
    app = make_app(tmp_path, framework, shipped_resources[:30], database_url=database_url)
    others = [r for r in shipped_resources[30:] if "edinburgh" not in r.embedding_text().lower()]
    with app.app_context():
        session = db.session()

        def found(query: str, version: str) -> list[int]:
            return [rid for rid, _ in text_search.search(session, query, 100, rows=30,
                                                         budget=3, version=version)]

        rare = found("edinburgh", "v1")
        assert len(rare) == 1
        # "digital" is over the budget, so only the rare word is searched
        assert found("digital edinburgh", "v1") == rare
        # three more resources hold "edinburgh": its count is now over the budget too
        upsert_resources(session, [replace(r, description=f"{r.description} Edinburgh.")
                                   for r in others[:3]])
        # the version served is the same, so its counts stand, and the word is still searched
        assert len(found("digital edinburgh", "v1")) == 4
        # the next version counts again: no word is within the budget
        assert found("digital edinburgh", "v2") == []
