"""Coverage API for commissioners: the supply and demand matrix, one cell's resources, and
the ranked coverage gaps, each as JSON or as CSV for a spreadsheet (docs/coverage.md)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from recommender.contract.openapi.operations import Query, Reply, operation
from recommender.coverage.cells import matrix
from recommender.coverage.gaps import gaps
from recommender.coverage.reads import (
    FILTERS,
    QUERY,
    cell_csv,
    cell_of,
    coverage_args,
    gaps_csv,
    load_coverage,
    matrix_csv,
)
from recommender.indexing.serving import index_holder, served_view

bp = Blueprint("coverage", __name__, url_prefix="/api/v1/coverage")
CHOICE = {"format": Query("format", QUERY["format"], "Instead of the Accept header"),
          "provider": Query("provider", QUERY["provider"]),
          "licence": Query("licence", QUERY["licence"],
                           "An SPDX-style licence id on the allow-list"),
          "framework": Query("framework", QUERY["framework"],
                             "A framework id; DART-Ed's when left out")}
FILTER_QUERY = (Query("domain", QUERY["domain"], "Domain id, 1-6 in DART-Ed"),
                Query("archetype", QUERY["archetype"]), Query("level", QUERY["level"]),
                CHOICE["provider"], CHOICE["licence"], CHOICE["framework"])
MEDIA = ("application/json", "text/csv")


@bp.get("")
@operation("Supply and demand per capability, archetype and level",
           {200: Reply("The matrix's cells, as JSON or CSV", "Coverage", MEDIA)},
           query=(*FILTER_QUERY, Query("group", QUERY["group"],
                                       "statement (default), group or domain"),
                  CHOICE["format"]))
def coverage_matrix():
    """Supply and demand per statement, sub-domain or domain x archetype x level."""
    args = coverage_args(FILTERS + ("group", "format"))
    coverage = load_coverage(args)
    grouping = args.get("group") or "statement"
    if args["format"] == "csv":
        return matrix_csv(coverage, grouping)
    rows = matrix(coverage, grouping)
    enough = coverage.learners >= coverage.min_learners
    return jsonify({"framework": coverage.framework, "framework_version": coverage.version,
                    "group": grouping,
                    "filters": _shown(args), "min_learners": coverage.min_learners,
                    "learners_assessed": coverage.learners if enough else None,
                    "learners_suppressed": not enough, "cells": rows})


@bp.get("/cells/<statement>/<archetype>/<level>")
@operation("One coverage cell and the resources counted in it",
           {200: Reply("The cell, as JSON or CSV", "CoverageCell", MEDIA)},
           query=(CHOICE["provider"], CHOICE["licence"], CHOICE["format"],
                  CHOICE["framework"]),
           path={"statement": "A statement id", "archetype": "An archetype",
                 "level": "baseline or specialist"})
def coverage_cell(statement: str, archetype: str, level: str):
    """One cell: its supply and demand and every resource mapped to it, with its weight."""
    args = coverage_args(("provider", "licence", "format"))
    coverage = load_coverage(args)
    body = cell_of(coverage, statement, archetype, level)
    if args["format"] == "csv":
        return cell_csv(body)
    return jsonify({"framework": coverage.framework, "framework_version": coverage.version,
                    "filters": _shown(args),
                    "min_learners": coverage.min_learners, **body})


@bp.get("/gaps")
@operation("Coverage gaps ranked, with commissioning briefs",
           {200: Reply("The gaps, as JSON or CSV", "CoverageGaps", MEDIA)},
           query=(*FILTER_QUERY, Query("limit", QUERY["limit"]), CHOICE["format"]))
def coverage_gaps():
    """Cells where demand is high and supply thin or absent, ranked, with briefs."""
    args = coverage_args(FILTERS + ("limit", "format"))
    coverage = load_coverage(args)
    index = index_holder().get()
    found = gaps(coverage, served_view(coverage.framework), args["limit"])
    if args["format"] == "csv":
        return gaps_csv(found)
    return jsonify({"framework": coverage.framework, "framework_version": coverage.version,
                    "filters": _shown(args),
                    "min_learners": coverage.min_learners,
                    "index_version": index.name if index is not None else None,
                    "gaps": found})


def _shown(args: dict) -> dict:
    return {name: args[name] for name in FILTERS if args.get(name)}
