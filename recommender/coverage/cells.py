"""Commissioner coverage: how well the catalogue serves each cell of the framework (supply)
and how many learners have gaps there (demand). The rules are in docs/coverage.md."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalogue.framework import ARCHETYPE_BADGES, DEFAULT_FRAMEWORK, statement_order
from catalogue.licences import LicenceError, check_admission
from catalogue.resources import LEVELS
from recommender.content.crosswalks import Carried, carried_mappings
from recommender.content.framework import current_version
from recommender.learners import demand, feedback
from recommender.learners.assessments import statement_infos
from recommender.learners.demand import unit_id
from recommender.learners.rules import StatementInfo, preferred_level
from recommender.storage.models import Resource, ResourceCapability

ARCHETYPES = tuple(ARCHETYPE_BADGES)  # shaper, driver, creator, embedder, user
GROUPINGS = demand.GROUPINGS  # statement, group (sub-domain), domain
NOT_USEFUL_TO_ZERO = 3  # net not-useful marks that take a resource's weight to nothing


@dataclass(frozen=True)
class CoverageFilters:
    """Which part of the catalogue a coverage read counts."""

    domain: str | None = None
    archetype: str | None = None
    level: str | None = None
    provider: str | None = None
    licence: str | None = None


@dataclass(frozen=True)
class Serving:
    """One resource serving one statement: why it counts and how much."""

    resource: Resource
    source: str
    confidence: float
    not_useful: int
    useful: int

    @property
    def discount(self) -> float:
        return feedback_discount(self.not_useful, self.useful)

    @property
    def weight(self) -> float:
        return self.confidence * self.discount


def mapping_confidence(source: str, confidence: float | None) -> float:
    """A curated mapping counts fully; a suggested one by its stored confidence (0-1), and one
    a crosswalk link carries in by the link's similarity."""
    if source == "curated":
        return 1.0
    return min(1.0, max(0.0, confidence or 0.0))


def label_confidence(labels: dict | None, name: str, value: str | None = None) -> float:
    """How far a resource's label counts: fully when the source or a curator stated it; by
    the confidence the indexer inferred it with otherwise (per archetype for archetypes), or
    half when it has not read the text yet."""
    label = (labels or {}).get(name)
    if not label or label.get("source") != "suggested":
        return 1.0
    found = (label.get("scores") or {}).get(value) if value else None
    found = label.get("confidence") if found is None else found
    return min(1.0, max(0.0, found)) if isinstance(found, int | float) else 0.5


def feedback_discount(not_useful: int, useful: int) -> float:
    """1 - net/3 with net = not-useful minus useful learners (useful marks only offset
    not-useful ones; they never raise a weight above its confidence), floored at 0."""
    net = max(0, not_useful - useful)
    return max(0.0, 1.0 - net / NOT_USEFUL_TO_ZERO)


def passes_policy(resource: Resource, allowed: frozenset[str]) -> bool:
    """The app's licence policy, as applied when a resource is admitted."""
    try:
        check_admission(resource.licence, resource.access, allowed)
    except LicenceError:
        return False
    return True


@dataclass
class Coverage:
    """Supply and demand per (statement, archetype[, level]) for the current framework."""

    version: str | None
    statements: dict[str, StatementInfo]
    resources: dict[int, Resource]
    allowed: frozenset[str]
    min_learners: int
    filters: CoverageFilters = field(default_factory=CoverageFilters)
    # (statement, archetype, level) -> resources serving it (licence policy and filters met)
    supply: dict[tuple[str, str, str], list[Serving]] = field(default_factory=dict)
    # (statement, archetype, level) -> mapped resources the licence policy or filters leave out
    excluded: dict[tuple[str, str, str], list[Serving]] = field(default_factory=dict)
    # (grouping, unit, archetype, level) -> (learners, severity sum, gaps), from each
    # learner's latest assessment, as counted when assessments are stored (learners.demand)
    demand: dict[tuple[str, str, str, str], tuple[int, int, int]] = field(default_factory=dict)
    learners: int = 0
    framework: str = DEFAULT_FRAMEWORK
    roles: tuple[str, ...] = ARCHETYPES  # the framework's roles, in its order
    # another framework's mappings by resource id (the default's are ``Resource.mappings``)
    other_mappings: dict[int, list[ResourceCapability]] = field(default_factory=dict)
    # mappings confirmed crosswalk links carry in from other frameworks' curated ones
    carried: dict[int, list[Carried]] = field(default_factory=dict)

    def mappings_of(self, resource: Resource) -> list[ResourceCapability | Carried]:
        """The resource's mappings to this coverage's framework, and those crosswalk links
        carry in: a carried one takes the place of a suggestion it is surer than, never of a
        curated mapping."""
        own = resource.mappings if self.framework == DEFAULT_FRAMEWORK else \
            self.other_mappings.get(resource.id, [])
        carried = self.carried.get(resource.id)
        if not carried:
            return own
        by_code = {m.capability_code: m for m in own}
        for c in carried:
            mine = by_code.get(c.capability_code)
            if mine is None or (mine.source != "curated" and mine.confidence < c.confidence):
                by_code[c.capability_code] = c
        return list(by_code.values())

    def servings(self, code: str, archetype: str, level: str) -> list[Serving]:
        return self.supply.get((code, archetype, level), [])

    def ordered_statements(self) -> list[StatementInfo]:
        rows = [s for s in self.statements.values()
                if not self.filters.domain or s.domain_id == self.filters.domain]
        return sorted(rows, key=lambda s: order(s.id))

    def archetypes(self) -> tuple[str, ...]:
        return (self.filters.archetype,) if self.filters.archetype else self.roles

    def levels(self) -> tuple[str, ...]:
        return (self.filters.level,) if self.filters.level else LEVELS

    def summary(self, members: list[StatementInfo], archetype: str, level: str,
                unit: tuple[str, str] | None = None) -> dict:
        """Supply and demand of one cell, or of a roll-up of cells (the statements of a
        sub-domain or domain badged for the archetype): ``unit`` is (grouping, id), by
        default the one statement's."""
        grouping, ident = unit or ("statement", members[0].id)
        best: dict[int, float] = {}
        served = 0
        for s in members:
            weights = {sv.resource.id: sv.weight for sv in self.servings(s.id, archetype, level)}
            served += any(w > 0 for w in weights.values())
            for rid, weight in weights.items():
                best[rid] = max(best.get(rid, 0.0), weight)
        calling = any(preferred_level(s.level) == level for s in members)
        learners, severities, gaps = self.demand.get((grouping, ident, archetype, level),
                                                     (0, 0, 0))
        row = {"statements": len(members), "statements_served": served,
               "resources": len(best), "weighted_supply": round(sum(best.values()), 3),
               "called_for": calling}
        if not calling:  # a structural zero: no gap of these statements calls for this level
            row.update(demand_learners=0, mean_severity=None, demand_suppressed=False)
        elif learners < self.min_learners:
            row.update(demand_learners=None, mean_severity=None, demand_suppressed=True)
        else:
            row.update(demand_learners=learners, mean_severity=round(severities / gaps, 2),
                       demand_suppressed=False)
        return row


def load(session: Session, *, allowed: frozenset[str], min_learners: int,
         filters: CoverageFilters | None = None, framework: str = DEFAULT_FRAMEWORK,
         roles: tuple[str, ...] = ARCHETYPES) -> Coverage:
    """Read the catalogue and the counted feedback marks and demand (recommender.learners:
    their cost does not grow with the learners), and compute supply and demand, for one
    framework (its current version, its ``roles``)."""
    version = current_version(session, framework)
    statements = statement_infos(session, version, framework) if version else {}
    resources = {r.id: r for r in session.scalars(
        select(Resource).options(selectinload(Resource.mappings)))}
    coverage = Coverage(version, statements, resources, allowed, min_learners,
                        filters or CoverageFilters(), framework=framework, roles=roles)
    if framework != DEFAULT_FRAMEWORK:
        for mapping in session.scalars(select(ResourceCapability).where(
                ResourceCapability.framework == framework)):
            coverage.other_mappings.setdefault(mapping.resource_id, []).append(mapping)
    coverage.carried = carried_mappings(session, framework)
    _supply(coverage, feedback.marks(session, framework))
    if version:
        _demand(session, coverage)
    return coverage


def _supply(coverage: Coverage, marks: dict[tuple[int, str], tuple[int, int]]) -> None:
    filters = coverage.filters
    for resource in coverage.resources.values():
        counted = passes_policy(resource, coverage.allowed) and (
            not filters.provider or resource.provider.casefold() == filters.provider.casefold()
        ) and (not filters.licence or resource.licence == filters.licence)
        target = coverage.supply if counted else coverage.excluded
        for mapping in coverage.mappings_of(resource):
            if mapping.capability_code not in coverage.statements:
                continue  # a statement the current framework no longer has
            bad, good = marks.get((resource.id, mapping.capability_code), (0, 0))
            # inferred labels count by their confidence, as suggested mappings do
            confidence = mapping_confidence(mapping.source, mapping.confidence) * \
                label_confidence(resource.labels, "level")
            for archetype in resource.archetypes:
                key = (mapping.capability_code, archetype, resource.level)
                target.setdefault(key, []).append(Serving(
                    resource, mapping.source,
                    confidence * label_confidence(resource.labels, "archetypes", archetype),
                    bad, good))
    for cells in (coverage.supply, coverage.excluded):
        for servings in cells.values():
            servings.sort(key=lambda sv: (-sv.weight, sv.resource.slug))


def _demand(session: Session, coverage: Coverage) -> None:
    """The counted demand of the current framework version (recommender.learners.demand)."""
    coverage.demand = demand.cells(session, coverage.version, coverage.framework)
    coverage.learners = coverage.demand.pop(demand.ALL, (0, 0, 0))[0]


def matrix(coverage: Coverage, grouping: str = "statement") -> list[dict]:
    """One row per unit (statement, sub-domain or domain) x archetype x level, for the
    archetypes each unit has statements badged for."""
    units: dict[str, list[StatementInfo]] = {}
    for s in coverage.ordered_statements():
        units.setdefault(unit_id(s, grouping), []).append(s)
    rows = []
    for ident, members in units.items():
        first = members[0]
        for archetype in coverage.archetypes():
            badged = [s for s in members if archetype in s.archetypes]
            if not badged:
                continue
            for level in coverage.levels():
                rows.append({
                    "unit": grouping, "id": ident, "name": unit_name(first, grouping),
                    "domain": first.domain_id,
                    "group": None if grouping == "domain" else first.group_id,
                    "statement_level": first.level if grouping == "statement" else None,
                    "archetype": archetype, "level": level,
                    **coverage.summary(badged, archetype, level, (grouping, ident))})
    return rows


def unit_name(statement: StatementInfo, grouping: str) -> str:
    return {"statement": statement.text, "group": statement.group_name,
            "domain": statement.domain_name}[grouping]


def serving_view(serving: Serving, counted: bool = True) -> dict:
    r = serving.resource
    return {"id": r.slug, "title": r.title, "provider": r.provider, "url": r.url,
            "licence": r.licence, "format": r.format, "level": r.level,
            "archetypes": list(r.archetypes), "source": serving.source,
            "confidence": round(serving.confidence, 4), "not_useful": serving.not_useful,
            "useful": serving.useful, "discount": round(serving.discount, 4),
            "weight": round(serving.weight, 4) if counted else 0.0, "counted": counted}


order = statement_order  # statements in id order
