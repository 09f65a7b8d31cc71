"""A spreadsheet's rows, one statement each, checked and made into a Framework
(docs/frameworks.md). Every problem is collected, each naming its row as a spreadsheet numbers
them (the header is row 1) and its column; a sheet with any problem gives no framework."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from catalogue.errors import DataError
from catalogue.framework import (
    DEFAULT_FRAMEWORK,
    FRAMEWORK_ID,
    LEVEL_SOURCES,
    PROVENANCES,
    Capability,
    Framework,
    id_problem,
    is_domain_level,
    parse_archetypes,
    shipped_archetypes,
)
from catalogue.framework_profile import COLUMNS, SheetProfile

MAX_SHOWN = 50  # problems listed; the rest are counted
# columns a sheet must have, unless the profile gives a default for it
REQUIRED = ("statement", "text", "domain_name", "version", "level", "archetypes", "provenance")
# the longest value each column may hold (the database's column sizes)
LIMITS = {"framework": 40, "version": 40, "title": 300, "domain": 10, "domain_name": 200,
          "subdomain": 20, "subdomain_name": 200, "statement": 20}
_DOMAIN = re.compile(r"^\d+$")


class SheetProblems(DataError):
    """A framework sheet that cannot be loaded; ``problems`` holds one line per problem (at
    most MAX_SHOWN, then a line counting the rest)."""

    def __init__(self, problems: list[str], source: str):
        extra = len(problems) - MAX_SHOWN
        self.problems = problems[:MAX_SHOWN] + ([f"... and {extra} more"] if extra > 0 else [])
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"{count}; nothing was loaded", source=source)


def framework_from_rows(rows: Sequence[Sequence[str]], profile: SheetProfile,
                        source: str) -> Framework:
    """The Framework a sheet's rows describe (the first row is the header); SheetProblems
    naming every bad cell."""
    return _Sheet(profile, source).read(rows)


class _Sheet:
    def __init__(self, profile: SheetProfile, source: str):
        self.profile = profile
        self.source = source
        self.problems: list[tuple[int, str]] = []
        self.first: dict[str, tuple[str, int]] = {}  # per-file column -> (value, row)
        self.names: dict[tuple[str, str], tuple[str, int]] = {}  # (column, id) -> (name, row)
        self.places: dict[tuple[str, str], int] = {}  # (column, id) -> its first row
        self.rows_of: dict[str, int] = {}  # statement id -> its row
        self.at: dict[str, int] = {}  # our column -> its position in the header

    def read(self, rows: Sequence[Sequence[str]]) -> Framework:
        if not rows or not any(c.strip() for c in rows[0]):
            raise SheetProblems(["row 1: the header row is empty (see docs/frameworks.md for "
                                 "the columns)"], self.source)
        self.at = self._header(rows[0])
        caps = []
        for number, cells in enumerate(rows[1:], start=2):
            # a row empty in all of our columns is a gap (or notes beside the framework)
            if any(cells[i].strip() for i in self.at.values() if i < len(cells)):
                cap = self._statement(number, cells)
                if cap is not None:
                    caps.append((number, cap))
        self._check_names_and_ids(caps)
        if not caps and not self.problems:
            self.problem(1, None, "the sheet has no statements")
        if self.problems:
            self.problems.sort(key=lambda p: p[0])
            raise SheetProblems([m for _, m in self.problems], self.source)
        group_names = {k[1]: v[0] for k, v in self.names.items() if k[0] == "subdomain_name"}
        domain_names = {k[1]: v[0] for k, v in self.names.items() if k[0] == "domain_name"}
        built = tuple(replace(c, domain_name=domain_names[c.domain_id],
                              group_name=group_names.get(c.group_id) or domain_names[c.domain_id])
                      for _, c in caps)
        return Framework(version=self.value_of("version"), title=self.value_of("title"),
                         source_url="", archetypes=shipped_archetypes(), capabilities=built,
                         id=self.value_of("framework") or DEFAULT_FRAMEWORK)

    def problem(self, row: int, column: str | None, message: str) -> None:
        where = f"row {row}, column {self.named(column)}" if column else f"row {row}"
        self.problems.append((row, f"{where}: {message}"))

    def named(self, column: str) -> str:
        """A column as the sheet names it, with our name when the profile renames it."""
        header = self.profile.header(column)
        return column if header.casefold() == column else f"{header} ({column})"

    def value_of(self, column: str) -> str:
        return self.first.get(column, (self.profile.defaults.get(column, ""), 0))[0]

    def _header(self, cells: Sequence[str]) -> dict[str, int]:
        positions: dict[str, list[int]] = {}
        for i, cell in enumerate(cells):
            positions.setdefault(cell.strip().casefold(), []).append(i)
        at = {}
        for column in COLUMNS:
            found = positions.get(self.profile.header(column).strip().casefold(), [])
            if len(found) > 1:  # read from the first, and refused
                self.problem(1, column, f"the header appears {len(found)} times")
            if found:
                at[column] = found[0]
        missing = [self.named(c) for c in REQUIRED
                   if c not in at and c not in self.profile.defaults]
        if missing:
            hint = "; a profile can name other headers or give defaults" \
                if not self.profile.columns else ""
            headers = ", ".join(repr(c.strip()) for c in cells if c.strip())
            raise SheetProblems([m for _, m in self.problems] + [
                f"row 1: missing columns: {', '.join(missing)} (the header has {headers})"
                f"{hint}"], self.source)
        return at

    def cell(self, cells: Sequence[str], column: str) -> str:
        """A cell's text, translated by the profile's map for the column, else its default."""
        i = self.at.get(column)
        value = cells[i].strip() if i is not None and i < len(cells) else ""
        value = self.profile.maps.get(column, {}).get(value.casefold(), value)
        return value or self.profile.defaults.get(column, "")

    def _statement(self, row: int, cells: Sequence[str]) -> Capability | None:
        values = {c: self.cell(cells, c) for c in COLUMNS}
        before = len(self.problems)
        for column, limit in LIMITS.items():
            if len(values[column]) > limit:
                self.problem(row, column, f"longer than {limit} characters")
        for column in ("framework", "version", "title"):
            self._same(row, column, values[column])
        if values["framework"] and not FRAMEWORK_ID.match(values["framework"]):
            self.problem(row, "framework", "must be lower-case letters, digits and hyphens, "
                                           f"not {values['framework']!r}")
        sid = values["statement"]
        if not sid:
            self.problem(row, "statement", "is required")
        elif sid in self.rows_of:
            self.problem(row, "statement", f"duplicate statement id {sid!r} (first on row "
                                           f"{self.rows_of[sid]})")
        else:
            self.rows_of[sid] = row
        domain = values["domain"] or sid.split(".")[0]
        group = values["subdomain"] or domain
        if not _DOMAIN.match(domain):
            if domain:  # with no domain and no statement id, the id is the one named
                self.problem(row, "domain", f"must be a number such as 2, not {domain!r}")
        else:
            fault = id_problem(domain, group, sid) if sid else None
            if fault:
                # an XLSX cell holding the number 2.0 reads as 2
                hint = f" (is the sub-domain '{group}.0' typed as a number? type ids as " \
                       "text)" if sid.startswith(f"{group}.0.") else ""
                self.problem(row, "subdomain" if fault[0] == "group" else "statement",
                             fault[1] + hint)
            self._name(row, "domain_name", domain, values["domain_name"])
            if values["subdomain_name"] or not is_domain_level(domain, group):
                self._name(row, "subdomain_name", group, values["subdomain_name"])
        if not values["text"]:
            self.problem(row, "text", "is required")
        level, level_source = self._level(row, cells, values)
        archetypes = self._archetypes(row, values["archetypes"])
        provenance = values["provenance"].casefold()
        if provenance not in PROVENANCES:
            self.problem(row, "provenance", f"must be {', '.join(PROVENANCES[:-1])} or "
                                            f"{PROVENANCES[-1]}"
                         + (f", not {values['provenance']!r}" if provenance else ""))
        if len(self.problems) > before:
            return None
        return Capability(id=sid, text=values["text"], level=level, archetypes=archetypes,
                          provenance=provenance, domain_id=domain, domain_name="",
                          group_id=group, group_name="", level_source=level_source)

    def _same(self, row: int, column: str, value: str) -> None:
        """Framework, version and title hold one value for the whole file."""
        if not value:
            if column == "version":
                self.problem(row, column, "is required")
            return
        first, first_row = self.first.setdefault(column, (value, row))
        if value != first:
            self.problem(row, column, f"{value!r} differs from {first!r} on row {first_row} "
                                      "(one file holds one framework version)")

    def _name(self, row: int, column: str, key: str, name: str) -> None:
        """A domain's or sub-domain's name: on one of its rows at least, the same on all."""
        self.places.setdefault((column, key), row)
        if not name:
            return
        first, first_row = self.names.setdefault((column, key), (name, row))
        if name != first:
            what = "domain" if column == "domain_name" else "sub-domain"
            self.problem(row, column, f"{name!r} differs from {first!r} given for {what} {key} "
                                      f"on row {first_row}")

    def _level(self, row: int, cells: Sequence[str], values: dict) -> tuple[int, str]:
        i = self.at.get("level")
        stated = cells[i].strip() if i is not None and i < len(cells) else ""
        stated = self.profile.maps.get("level", {}).get(stated.casefold(), stated)
        source = values["level_source"].casefold()
        if source and source not in LEVEL_SOURCES:
            self.problem(row, "level_source", f"must be stated or inferred, not "
                                              f"{values['level_source']!r}")
        if stated:
            if stated not in ("1", "2", "3", "4"):
                self.problem(row, "level", f"must be 1-4, not {stated!r}")
                return 0, "stated"
            return int(stated), source or "stated"
        default = self.profile.defaults.get("level")
        if default is None:
            self.problem(row, "level", "is required (1-4); a profile can give a default level")
            return 0, "stated"
        i = self.at.get("level_source")
        if i is not None and i < len(cells) and cells[i].strip().casefold() == "stated":
            self.problem(row, "level_source", "is 'stated' but the row states no level")
        return int(default), "inferred"

    def _archetypes(self, row: int, text: str) -> tuple[str, ...]:
        found, unknown = parse_archetypes(text)
        for item in unknown:
            self.problem(row, "archetypes", f"unknown archetype {item!r} (badges S, D, C, E, U "
                                            "or names shaper, driver, creator, embedder, user)")
        if not found and not unknown:
            self.problem(row, "archetypes", "is required (badges such as S, D, U)")
        return found

    def _check_names_and_ids(self, caps: list[tuple[int, Capability]]) -> None:
        """Every domain and sub-domain is named somewhere; no statement id is a group's id."""
        for (column, key), row in self.places.items():
            if (column, key) not in self.names:
                what = "domain" if column == "domain_name" else "sub-domain"
                self.problem(row, column, f"{what} {key} has no name on any of its rows")
        groups = {c.group_id for _, c in caps}
        for row, cap in caps:
            if cap.id in groups:
                self.problem(row, "statement", f"{cap.id!r} is also a sub-domain's id; give "
                                               f"domain-level statements the group "
                                               f"'{cap.domain_id}.0' ({cap.domain_id}.0.1, ...)")
