"""The recommendation path's two reads, run on the driver's cursor, give what the same
selects give through a session, on SQLite and PostgreSQL."""

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, func, select
from sqlalchemy import exc as sa_exc

from recommender.content.views import PUBLIC_COLUMNS, public_fields
from recommender.contract.openapi.schemas import DEFAULT_LIMIT, MAX_GAPS
from recommender.ranking.recommend import _NET_FEEDBACK, _SHOWN
from recommender.storage import db
from recommender.storage.driver_reads import DriverRead, Reads, prepare_all
from recommender.storage.models import Feedback, Learner, Resource


@pytest.fixture
def stored(tmp_path, framework, shipped_resources, make_app, database_url):
    """The shipped catalogue, with labels some rows carry and some not, and feedback marks."""
    app = make_app(tmp_path, framework, shipped_resources, database_url=database_url)
    with app.app_context():
        session = db.session()
        ids = session.scalars(select(Resource.id).order_by(Resource.id)).all()
        first = session.get(Resource, ids[0])
        first.labels = {"level": {"source": "suggested", "confidence": 0.71,
                                  "note": "read from its text \u2014 \u201cintroductory\u201d"}}
        first.duration_minutes = None
        session.add(Learner(id="learner-a"))
        marks = [(ids[0], "1.1", "not_useful"), (ids[0], "1.1", "not_useful"),
                 (ids[1], "1.1", "useful"), (ids[1], "6.3.2", "not_useful"),
                 (ids[2], "6.3.2", "started"), (ids[3], "2.1", "not_useful")]
        session.add_all(Feedback(learner_id="learner-a", resource_id=rid, capability_code=code,
                                 verdict=verdict) for rid, code, verdict in marks)
        session.commit()
    return app, ids


def test_shown_rows_equal_the_session_s(stored):
    app, ids = stored
    wanted = ids[:7] + ids[-5:] + [10**9]  # one id that is not there
    with app.app_context():
        through_session = {r.id: r for r in db.session().execute(
            select(*PUBLIC_COLUMNS).where(Resource.id.in_(wanted)))}
        through_driver = {r.id: r for r in _SHOWN.rows(Reads(db.session()), ids=wanted)}
    assert set(through_driver) == set(through_session) == set(wanted[:-1])
    for rid, row in through_session.items():
        assert tuple(through_driver[rid]) == tuple(row)
        assert public_fields(through_driver[rid]) == public_fields(row)
    first = through_driver[ids[0]]
    assert first.duration_minutes is None
    assert first.labels["level"]["confidence"] == 0.71
    assert isinstance(first.archetypes, list)


def test_feedback_aggregate_equals_the_session_s(stored):
    app, _ = stored
    codes = ["1.1", "6.3.2", "4.1"]
    with app.app_context():
        expected = db.session().execute(
            select(Feedback.resource_id, Feedback.capability_code, Feedback.verdict,
                   func.count())
            .where(Feedback.framework == "dart-ed", Feedback.capability_code.in_(codes),
                   Feedback.verdict.in_(("useful", "not_useful")))
            .group_by(Feedback.resource_id, Feedback.capability_code, Feedback.verdict)).all()
        with Reads(db.session()) as reads:  # both reads on one connection
            found = _NET_FEEDBACK.rows(reads, codes=codes, framework="dart-ed")
            other = _NET_FEEDBACK.rows(reads, codes=codes, framework="northfield")
    assert sorted(map(tuple, found)) == sorted(map(tuple, expected))
    assert len(found) == 3  # "started" and the mark on 2.1 are not counted
    assert other == []


def test_a_read_is_compiled_once_per_length_and_an_empty_list_reads_nothing(stored):
    app, ids = stored
    read = DriverRead(lambda ids: select(Resource.slug).where(Resource.id.in_(ids)), ["ids"])
    with app.app_context():
        reads = Reads(db.session())
        assert read.rows(reads, ids=[]) == []
        assert reads._connection is None  # nothing to read: no connection taken
        assert len(read.rows(reads, ids=ids[:2])) == len(read.rows(reads, ids=ids[2:4])) == 2
        assert len(read.rows(reads, ids=ids[:3])) == 3
        reads.close()
        assert reads._connection is None and not db.session().in_transaction()
    assert len(read._compiled) == 2  # lengths 2 and 3


def test_a_worker_start_compiles_the_reads_of_every_gap_count_and_a_default_page(stored):
    app, ids = stored
    with app.app_context():
        dialect = db.engine().dialect
        for read in (_NET_FEEDBACK, _SHOWN):
            read._compiled.clear()
        prepare_all(dialect)
        assert {k[1] for k in _NET_FEEDBACK._compiled} == set(range(1, MAX_GAPS + 1))
        assert {k[1] for k in _SHOWN._compiled} == set(range(1, 2 * DEFAULT_LIMIT + 1))
        compiled = {read: dict(read._compiled) for read in (_NET_FEEDBACK, _SHOWN)}
        reads = Reads(db.session())
        for n in (1, 7, MAX_GAPS):  # what a request reads then compiles nothing
            _NET_FEEDBACK.rows(reads, codes=[f"{k}.1" for k in range(n)], framework="dart-ed")
        assert len(_SHOWN.rows(reads, ids=ids[:2 * DEFAULT_LIMIT])) == 2 * DEFAULT_LIMIT
        reads.close()
        assert {read: read._compiled for read in compiled} == compiled
        # a page longer than the default compiles when first read
        with Reads(db.session()) as reads:
            _SHOWN.rows(reads, ids=ids[:2 * DEFAULT_LIMIT + 1])
        assert (dialect.name, 2 * DEFAULT_LIMIT + 1) in _SHOWN._compiled


def test_columns_a_driver_reads_its_own_way_are_refused(stored):
    app, ids = stored
    dated = DriverRead(lambda ids: select(Resource.created_at).where(Resource.id.in_(ids)),
                       ["ids"])
    expanding = DriverRead(lambda ids: select(Resource.id).where(
        Resource.id.in_(ids), Resource.level.in_(("baseline", "specialist"))), ["ids"])
    with app.app_context():
        with pytest.raises(TypeError, match="created_at: a DateTime column"):
            dated.rows(Reads(db.session()), ids=ids[:1])
        with pytest.raises(TypeError, match="rendered at each execution"):
            expanding.rows(Reads(db.session()), ids=ids[:1])


def test_reads_in_a_session_s_transaction_see_what_it_wrote(stored):
    app, ids = stored
    with app.app_context():
        session = db.session()
        session.get(Resource, ids[0]).title = "A title not yet committed"
        session.flush()
        with Reads(session) as reads:
            (row,) = _SHOWN.rows(reads, ids=ids[:1])
        assert row.title == "A title not yet committed"
        assert session.in_transaction()  # the session's transaction is its own to end
        session.rollback()
        with Reads(session) as reads:
            (row,) = _SHOWN.rows(reads, ids=ids[:1])
        assert row.title != "A title not yet committed"


def test_a_driver_error_is_raised_as_sqlalchemy_raises_it(stored):
    """The app answers SQLAlchemy's errors (a database that is down: 503); the driver's own
    would be a 500 (tests/test_faults_database.py stops a real PostgreSQL under it)."""
    app, ids = stored
    missing = Table("not_there", MetaData(), Column("id", Integer))
    read = DriverRead(lambda ids: select(missing.c.id).where(missing.c.id.in_(ids)), ["ids"])
    with app.app_context():
        expected = sa_exc.ProgrammingError if db.engine().dialect.name == "postgresql" \
            else sa_exc.OperationalError
        with Reads(db.session()) as reads, pytest.raises(expected, match="not_there"):
            read.rows(reads, ids=ids[:1])
