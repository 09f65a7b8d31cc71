"""Reads on a recommendation's path, run on the database driver's own cursor.

A recommendation reads twice: the feedback marks on its statements, and the columns of the
resources it shows. Through a session (its transaction begun, the expanding ``IN`` rendered
for every execution, each row through the result's processors, JSON columns decoded by the
standard library) those two reads and the session's close cost 0.4 ms of a 2.3 ms request at
100k resources (docs/performance.md). Here the SQL is still SQLAlchemy's, compiled for the
engine's dialect once per number of values in each list, and run on a DBAPI connection
(``Reads``); rows come back as named tuples, JSON columns decoded by orjson.

Only column types the drivers return as Python values are accepted (integers, strings,
floats, JSON), so a read here gives what the same select through a session gives
(``tests/test_driver_reads.py`` compares them on SQLite and PostgreSQL).
"""

from __future__ import annotations

import weakref
from collections import namedtuple
from collections.abc import Callable, Sequence

import orjson
from sqlalchemy import JSON, Dialect, Float, Integer, String, bindparam
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

PLAIN_TYPES = (Integer, String, Float)  # Text is a String


_READS: weakref.WeakSet[DriverRead] = weakref.WeakSet()  # every read, for prepare_all


class DriverRead:
    """A SELECT built by ``build(**placeholders)`` for each combination of list lengths,
    where ``placeholders[name]`` is the list of bind parameters standing for list ``name``;
    compiled once per dialect and lengths, and run on a DBAPI cursor. ``prepared``: the
    lengths (of a read of one list) that ``prepare_all`` compiles before any request."""

    def __init__(self, build: Callable[..., Select], lists: Sequence[str],
                 prepared: Sequence[int] = ()):
        self._build = build
        self._lists = tuple(lists)
        self._compiled: dict[tuple, tuple[str, tuple[str, ...] | None, dict, type, tuple]] = {}
        if prepared and len(self._lists) != 1:
            raise ValueError("prepared lengths are for a read of one list")
        self._prepared = tuple(prepared)
        _READS.add(self)

    def rows(self, connection: Reads, **params) -> list:
        """The rows for these parameters (a list parameter given as a sequence of values)."""
        lengths = tuple(len(params[name]) for name in self._lists)
        if 0 in lengths:
            return []
        dialect = connection.dialect
        key = (dialect.name, *lengths)
        compiled = self._compiled.get(key) or self._compile(dialect, key, lengths)
        sql, order, fixed, row_type, json_at = compiled
        flat = fixed | {name: value for name, value in params.items() if name not in self._lists}
        for name in self._lists:
            flat.update((f"{name}_{k}", value) for k, value in enumerate(params[name]))
        bound = [flat[name] for name in order] if order is not None else flat
        cursor = connection.cursor()
        try:
            cursor.execute(sql, bound)
            found = cursor.fetchall()
        except connection.dialect.loaded_dbapi.Error as exc:
            raise connection.failed(exc, sql, bound) from exc
        finally:
            cursor.close()
        if json_at:
            found = [_decoded(row, json_at) for row in found]
        return [row_type._make(row) for row in found]

    def prepare(self, dialect: Dialect) -> None:
        """Compile the read for each of its ``prepared`` lengths now (about 3 ms each)."""
        for n in self._prepared:
            key = (dialect.name, n)
            if key not in self._compiled:
                self._compile(dialect, key, (n,))

    def _compile(self, dialect: Dialect, key: tuple, lengths: tuple[int, ...]) -> tuple:
        placeholders = {name: [bindparam(f"{name}_{k}") for k in range(n)]
                        for name, n in zip(self._lists, lengths, strict=True)}
        statement = self._build(**placeholders)
        columns = list(statement.selected_columns)
        for column in columns:
            if not isinstance(column.type, (*PLAIN_TYPES, JSON)):
                raise TypeError(f"{column.name}: a {type(column.type).__name__} column is not "
                                "read the same way by every driver; read it through a session")
        compiled = statement.compile(dialect=dialect)
        if "POSTCOMPILE" in compiled.string:
            raise TypeError("an IN of values is rendered at each execution: give its values as "
                            "one of the lists, or as literal() values")
        order = tuple(compiled.positiontup) if compiled.positional else None
        # the statement's own literals (such as an IN of constants) are bound parameters too
        fixed = {compiled.bind_names[bind]: bind.effective_value
                 for bind in compiled.binds.values() if not bind.required}
        row_type = namedtuple("Row", [c.name for c in columns])
        json_at = tuple(k for k, c in enumerate(columns) if isinstance(c.type, JSON))
        self._compiled[key] = (compiled.string, order, fixed, row_type, json_at)
        return self._compiled[key]


def prepare_all(dialect: Dialect) -> None:
    """Compile every read for its ``prepared`` lengths, as a web worker starts: each length
    compiles once per process, which the first request of that length would otherwise pay."""
    for read in _READS:
        read.prepare(dialect)


class Reads:
    """The DBAPI connection a request's driver reads run on, taken when first used: the
    session's own when it has a transaction open (so the reads see what it wrote, as they did
    when they ran through it), else one from the engine's pool, given back by ``close`` (which
    ends its read transaction)."""

    def __init__(self, session: Session):
        self.dialect = session.get_bind().dialect
        self._session = session
        self._connection = None
        self._owned = False

    def cursor(self):
        if self._connection is None:
            self._owned = not self._session.in_transaction()
            try:
                self._connection = self._session.get_bind().raw_connection() if self._owned \
                    else self._session.connection().connection
            except self.dialect.loaded_dbapi.Error as exc:  # the pool connects unwrapped
                raise self.failed(exc) from exc
        return self._connection.cursor()

    def failed(self, exc: Exception, sql: str | None = None, params=None) -> sa_exc.DBAPIError:
        """The driver's error as SQLAlchemy raises it through a session (an OperationalError
        for a database that is down, which the app answers with a 503), the connection
        thrown away when the error means it is gone."""
        gone = self.dialect.is_disconnect(exc, self._connection, None)
        if gone and self._owned and self._connection is not None:
            self._connection.invalidate(exc)
            self._connection = None
        return sa_exc.DBAPIError.instance(sql, params, exc, self.dialect.loaded_dbapi.Error,
                                          connection_invalidated=gone, dialect=self.dialect)

    def close(self) -> None:
        if self._connection is not None and self._owned:
            self._connection.close()
        self._connection = None

    def __enter__(self) -> Reads:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()


def _decoded(row: tuple, json_at: tuple[int, ...]) -> list:
    """SQLite returns JSON columns as text; psycopg has already decoded json and jsonb."""
    values = list(row)
    for k in json_at:
        if isinstance(values[k], str | bytes):
            values[k] = orjson.loads(values[k])
    return values
