"""Errors raised while reading catalogue and framework data."""

from __future__ import annotations


class DataError(ValueError):
    """A record in a data file is invalid; names the record and field."""

    def __init__(self, reason: str, *, field: str | None = None, record: str | int | None = None,
                 source: str | None = None):
        self.reason = reason
        self.field = field
        self.record = record
        self.source = source
        super().__init__(self.describe())

    def describe(self) -> str:
        where = []
        if self.source:
            where.append(str(self.source))
        if self.record is not None:
            where.append(f"record {self.record}")
        if self.field:
            where.append(f"field '{self.field}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.reason}" if prefix else self.reason

    def as_dict(self) -> dict:
        return {"record": self.record, "field": self.field, "reason": self.reason,
                "source": self.source}
