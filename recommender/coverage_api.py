"""Coverage API for commissioners: the supply and demand matrix, one cell's resources, and
the ranked coverage gaps, each as JSON or as CSV for a spreadsheet (docs/coverage.md)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from catalogue.licences import LicenceError, normalise_licence
from catalogue.resources import LEVELS
from recommender import db
from recommender.coverage import ARCHETYPES, GROUPINGS, Coverage, Filters, load, matrix
from recommender.coverage_gaps import cell_detail, gaps
from recommender.openapi.operations import Query, Reply, operation
from recommender.problems import Problem, invalid
from recommender.requests import query_int
from recommender.services import index_holder, statements
from recommender.spreadsheet import csv_response

bp = Blueprint("coverage", __name__, url_prefix="/api/v1/coverage")
FILTERS = ("domain", "archetype", "level", "provider", "licence")
MAX_LIMIT = 500
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
TEXT = {"type": "string"}
CHOICE = {"format": Query("format", {"type": "string", "enum": ["json", "csv"]},
                          "Instead of the Accept header"),
          "provider": Query("provider", {"type": "string", "maxLength": 200}),
          "licence": Query("licence", TEXT, "An SPDX-style licence id on the allow-list")}
FILTER_QUERY = (Query("domain", TEXT, "Domain id, 1-6"),
                Query("archetype", {"type": "string", "enum": list(ARCHETYPES)}),
                Query("level", {"type": "string", "enum": list(LEVELS)}),
                CHOICE["provider"], CHOICE["licence"])
MEDIA = ("application/json", "text/csv")


@bp.get("")
@operation("Supply and demand per capability, archetype and level",
           {200: Reply("The matrix's cells, as JSON or CSV", "Coverage", MEDIA)},
           query=(*FILTER_QUERY, Query("group", {"type": "string", "enum": list(GROUPINGS)},
                                       "statement (default), group or domain"),
                  CHOICE["format"]))
def coverage_matrix():
    """Supply and demand per statement, sub-domain or domain x archetype x level."""
    args = query_args(FILTERS + ("group", "format"))
    coverage = load_coverage(args)
    grouping = args.get("group") or "statement"
    rows = matrix(coverage, grouping)
    if args["format"] == "csv":
        return csv_response(MATRIX_COLUMNS, rows, f"coverage-{grouping}.csv")
    enough = coverage.learners >= coverage.min_learners
    return jsonify({"framework_version": coverage.version, "group": grouping,
                    "filters": _shown(args), "min_learners": coverage.min_learners,
                    "learners_assessed": coverage.learners if enough else None,
                    "learners_suppressed": not enough, "cells": rows})


@bp.get("/cells/<statement>/<archetype>/<level>")
@operation("One coverage cell and the resources counted in it",
           {200: Reply("The cell, as JSON or CSV", "CoverageCell", MEDIA)},
           query=(CHOICE["provider"], CHOICE["licence"], CHOICE["format"]),
           path={"statement": "A statement id", "archetype": "An archetype",
                 "level": "baseline or specialist"})
def coverage_cell(statement: str, archetype: str, level: str):
    """One cell: its supply and demand and every resource mapped to it, with its weight."""
    args = query_args(("provider", "licence", "format"))
    coverage = load_coverage(args)
    s = coverage.statements.get(statement)
    missing = [what for what, ok in (("statement", s is not None),
                                     ("archetype", archetype in ARCHETYPES),
                                     ("level", level in LEVELS)) if not ok]
    if missing:
        raise Problem(404, "Not Found", f"no coverage cell {statement}/{archetype}/{level}: "
                      f"unknown {' and '.join(missing)}", kind="not-found")
    body = cell_detail(coverage, s, archetype, level)
    if args["format"] == "csv":
        rows = [{**r, "statement": statement, "archetype": archetype, "level": level,
                 "resource": r["id"], "resource_level": r["level"]}
                for r in body["resources_serving"] + body["resources_excluded"]]
        return csv_response(CELL_COLUMNS, rows, f"coverage-{statement}-{archetype}-{level}.csv")
    return jsonify({"framework_version": coverage.version, "filters": _shown(args),
                    "min_learners": coverage.min_learners, **body})


@bp.get("/gaps")
@operation("Coverage gaps ranked, with commissioning briefs",
           {200: Reply("The gaps, as JSON or CSV", "CoverageGaps", MEDIA)},
           query=(*FILTER_QUERY, Query("limit", {"type": "integer", "minimum": 1,
                                                 "maximum": MAX_LIMIT, "default": 20}),
                  CHOICE["format"]))
def coverage_gaps():
    """Cells where demand is high and supply thin or absent, ranked, with briefs."""
    args = query_args(FILTERS + ("limit", "format"))
    coverage = load_coverage(args)
    index = index_holder().get()
    found = gaps(coverage, index, args["limit"])
    if args["format"] == "csv":
        return csv_response(GAP_COLUMNS, [gap_row(g) for g in found], "coverage-gaps.csv")
    return jsonify({"framework_version": coverage.version, "filters": _shown(args),
                    "min_learners": coverage.min_learners,
                    "index_version": index.name if index is not None else None,
                    "gaps": found})


def load_coverage(args: dict) -> Coverage:
    """The coverage for validated query arguments (shared by the API and the web pages)."""
    config = current_app.config
    return load(db.session(), allowed=config["LICENCE_ALLOWLIST"],
                min_learners=config.get("COVERAGE_MIN_LEARNERS", 5),
                filters=Filters(**{name: args.get(name) for name in FILTERS}))


def gap_row(gap: dict) -> dict:
    """A ranked gap with its brief flattened into one CSV row."""
    brief = gap["brief"]
    row = {**gap, "brief_archetypes": brief["archetypes"], "formats": brief["formats"],
           "text": brief["text"]}
    for i, near in enumerate(brief["nearest"], start=1):
        reasons = ", ".join(f["reason"] for f in near["shortfalls"]) or "none"
        row[f"nearest_{i}"] = f"{near['id']} ({reasons})"
    return row


def _shown(args: dict) -> dict:
    return {name: args[name] for name in FILTERS if args.get(name)}


def query_args(allowed: tuple[str, ...]) -> dict:
    """The query parameters named in ``allowed``, validated; every bad one is named in a 422
    (shared by the API and the web pages)."""
    errors = [{"pointer": f"?{name}", "detail": "unknown parameter"}
              for name in sorted(set(request.args) - set(allowed))]
    args = {name: request.args.get(name, "").strip() or None for name in allowed}
    choices = {"archetype": ARCHETYPES, "level": LEVELS, "group": GROUPINGS,
               "format": ("json", "csv")}
    if "domain" in allowed:
        choices["domain"] = tuple(sorted({s.domain_id for s in statements().values()}))
    for name, options in choices.items():
        if name in allowed and args[name] and args[name] not in options:
            errors.append({"pointer": f"?{name}",
                           "detail": f"must be one of {', '.join(options)}"})
    if args.get("provider") and len(args["provider"]) > 200:
        errors.append({"pointer": "?provider", "detail": "at most 200 characters"})
    if args.get("licence"):
        try:
            args["licence"] = normalise_licence(args["licence"])
        except LicenceError as exc:
            errors.append({"pointer": "?licence", "detail": str(exc)})
        else:
            if args["licence"] not in current_app.config["LICENCE_ALLOWLIST"]:
                errors.append({"pointer": "?licence", "detail": "not admitted by this "
                               "service's licence policy, so no resource under it counts"})
    if "limit" in allowed:
        args["limit"] = query_int(args["limit"] or "", 20, MAX_LIMIT)
        if args["limit"] is None:
            errors.append({"pointer": "?limit",
                           "detail": f"must be a whole number 1-{MAX_LIMIT}"})
    if errors:
        raise invalid(errors)
    if not args.get("format"):
        wanted = request.accept_mimetypes.best_match(["application/json", "text/csv"])
        args["format"] = "csv" if wanted == "text/csv" else "json"
    return args

