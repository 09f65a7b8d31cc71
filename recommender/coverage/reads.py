"""Coverage as a request asks for it: the filters a query string may give, the coverage they
select, and the CSV tables of the matrix, the ranked gaps and one cell (shared by the
coverage API and the commissioner pages, whose downloads are the API's answers)."""

from __future__ import annotations

from flask import Response, current_app, request

from catalogue.framework import DEFAULT_FRAMEWORK
from catalogue.licences import LicenceError, normalise_licence
from catalogue.resources import LEVELS
from recommender.content.frameworks import cached_roles, framework_of
from recommender.contract.openapi.schemas import FRAMEWORK
from recommender.contract.query import query_args
from recommender.contract.spreadsheet import csv_response
from recommender.coverage.cells import (
    ARCHETYPES,
    GROUPINGS,
    Coverage,
    CoverageFilters,
    load,
    matrix,
)
from recommender.coverage.gaps import cell_detail
from recommender.indexing.serving import statements
from recommender.problems import Problem
from recommender.storage import db

FILTERS = ("domain", "archetype", "level", "provider", "licence")
CHOSEN = ("framework",)  # which framework, beside the filters: every coverage read takes it
MAX_LIMIT = 500
MAX_PROVIDER = 200
# every coverage query parameter, declared for recommender.contract.query (and the OpenAPI
# document); the domain must also be one of the current framework's (see coverage_args)
QUERY = {
    "domain": {"type": "string"},
    "archetype": {"type": "string", "enum": list(ARCHETYPES),
                  "description": "One of the framework's roles (DART-Ed's listed)"},
    "framework": FRAMEWORK,
    "level": {"type": "string", "enum": list(LEVELS)},
    "provider": {"type": "string", "maxLength": MAX_PROVIDER},
    "licence": {"type": "string"},
    "group": {"type": "string", "enum": list(GROUPINGS)},
    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 20},
    "format": {"type": "string", "enum": ["json", "csv"]},
}
MATRIX_COLUMNS = ("unit", "id", "name", "domain", "group", "statement_level", "archetype",
                  "level", "statements", "statements_served", "resources", "weighted_supply",
                  "called_for", "demand_learners", "mean_severity", "demand_suppressed")
GAP_COLUMNS = ("rank", "tier", "statement", "archetype", "level", "statement_level", "domain",
               "group", "demand_learners", "demand_suppressed", "mean_severity", "resources",
               "weighted_supply", "priority", "brief_archetypes", "formats", "text",
               "nearest_1", "nearest_2", "nearest_3")
CELL_COLUMNS = ("statement", "archetype", "level", "resource", "title", "provider", "url",
                "licence", "resource_level", "source", "confidence", "useful", "not_useful",
                "discount", "weight", "counted", "excluded_because")


def coverage_args(allowed: tuple[str, ...]) -> dict:
    """The query parameters named in ``allowed`` (of ``QUERY``), validated; every bad one is
    named in a 422. ``format``, when allowed and not given, follows the Accept header."""
    declared = {name: QUERY[name] for name in (*allowed, *CHOSEN)}
    framework = framework_of(request.args, "?framework")
    if "domain" in declared:
        domains = sorted({s.domain_id for s in statements(framework=framework).values()})
        declared["domain"] = {**declared["domain"], "enum": domains}
    if "archetype" in declared:
        declared["archetype"] = {**declared["archetype"],
                                 "enum": [r.id for r in cached_roles(framework)]}
    args = query_args(declared, parse={"licence": _licence})
    args["framework"] = framework
    if "format" in allowed and not args["format"]:
        wanted = request.accept_mimetypes.best_match(["application/json", "text/csv"])
        args["format"] = "csv" if wanted == "text/csv" else "json"
    return args


def load_coverage(args: dict) -> Coverage:
    """The coverage for validated query arguments."""
    config = current_app.config
    framework = args.get("framework") or DEFAULT_FRAMEWORK
    return load(db.session(), allowed=config["LICENCE_ALLOWLIST"],
                min_learners=config.get("COVERAGE_MIN_LEARNERS", 5),
                filters=CoverageFilters(**{name: args.get(name) for name in FILTERS}),
                framework=framework, roles=tuple(r.id for r in cached_roles(framework)))


def cell_of(coverage: Coverage, statement: str, archetype: str, level: str) -> dict:
    """One cell with its resources (``cell_detail``), or a 404 problem naming what is
    unknown."""
    s = coverage.statements.get(statement)
    missing = [what for what, ok in (("statement", s is not None),
                                     ("archetype", archetype in coverage.roles),
                                     ("level", level in LEVELS)) if not ok]
    if missing:
        raise Problem(404, "Not Found", f"no coverage cell {statement}/{archetype}/{level}: "
                      f"unknown {' and '.join(missing)}", kind="not-found")
    return cell_detail(coverage, s, archetype, level)


def matrix_csv(coverage: Coverage, grouping: str) -> Response:
    """The matrix's rows at this grouping, as a CSV download."""
    return csv_response(MATRIX_COLUMNS, matrix(coverage, grouping), f"coverage-{grouping}.csv")


def gaps_csv(found: list[dict]) -> Response:
    """Ranked gaps with their briefs, as a CSV download."""
    return csv_response(GAP_COLUMNS, [gap_row(g) for g in found], "coverage-gaps.csv")


def cell_csv(cell: dict) -> Response:
    """One cell's resources (``cell_of``), counted and left out, as a CSV download."""
    statement, archetype, level = cell["statement"], cell["archetype"], cell["level"]
    rows = [{**r, "statement": statement, "archetype": archetype, "level": level,
             "resource": r["id"], "resource_level": r["level"]}
            for r in cell["resources_serving"] + cell["resources_excluded"]]
    return csv_response(CELL_COLUMNS, rows, f"coverage-{statement}-{archetype}-{level}.csv")


def gap_row(gap: dict) -> dict:
    """A ranked gap with its brief flattened into one CSV row."""
    brief = gap["brief"]
    row = {**gap, "brief_archetypes": brief["archetypes"], "formats": brief["formats"],
           "text": brief["text"]}
    for i, near in enumerate(brief["nearest"], start=1):
        reasons = ", ".join(f["reason"] for f in near["shortfalls"]) or "none"
        row[f"nearest_{i}"] = f"{near['id']} ({reasons})"
    return row


def _licence(value: str) -> str:
    """A licence filter in its normal form; ValueError when no resource under it can count."""
    try:
        value = normalise_licence(value)
    except LicenceError as exc:
        raise ValueError(str(exc)) from exc
    if value not in current_app.config["LICENCE_ALLOWLIST"]:
        raise ValueError("not admitted by this service's licence policy, so no resource "
                         "under it counts")
    return value
