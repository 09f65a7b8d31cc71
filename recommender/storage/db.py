"""SQLAlchemy engine and sessions: one engine per app, one session per request or task."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

CONNECT_TIMEOUT = 5  # seconds to wait for PostgreSQL to answer a new connection


class Base(DeclarativeBase):
    """Declarative base of every model."""


def make_engine(url: str) -> Engine:
    """An engine with SQLite tuned for a web process and a worker sharing one file."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        return engine
    # pool_pre_ping: a connection the server dropped (a restart) is replaced, not handed out;
    # connect_timeout: a server that accepts but does not answer fails the request in seconds
    connect_args = {"connect_timeout": CONNECT_TIMEOUT} if url.startswith("postgresql") else {}
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["db"] = sessionmaker(bind=engine, expire_on_commit=False)
    app.teardown_appcontext(_close_session)


def engine() -> Engine:
    return current_app.extensions["db"].kw["bind"]


def session() -> Session:
    """The session of the current request or task, opened on first use."""
    if "db_session" not in g:
        g.db_session = current_app.extensions["db"]()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    sess = g.pop("db_session", None)
    if sess is not None:
        sess.close()
