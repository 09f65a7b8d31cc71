"""Commissioner pages: the coverage heatmap (capability x archetype, baseline and
specialist), the ranked coverage gaps with their briefs, one cell's resources, and CSV
downloads, each in one framework (a chooser when several are loaded; ``?framework=`` kept in
every link) with that framework's roles as its data gives them. Each calls the coverage
functions the API uses; the CSV downloads are the API's own answers
(recommender.coverage.reads)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from catalogue.framework import DEFAULT_FRAMEWORK
from catalogue.resources import LEVELS
from recommender.coverage import reads
from recommender.coverage.cells import GROUPINGS, matrix
from recommender.coverage.gaps import cell_detail, gaps
from recommender.coverage.reads import FILTERS, coverage_args, load_coverage
from recommender.indexing.serving import served_view, statements
from recommender.problems import Problem
from recommender.web import frameworks
from recommender.web.forms import FormErrors
from recommender.web.pages import error_pages

bp = Blueprint("commissioner", __name__, url_prefix="/commissioning")
error_pages(bp)
FIELDS = {f"?{name}": name for name in FILTERS + ("group", "limit", "framework")}
GAPS_SHOWN = 20
DEFAULT_ROWS = "group"  # sub-domains: a screenful; statements by filter or drill-down
# the heatmap's colours by weighted supply (each cell shows its numbers too)
HEAT = (("none", "none: no resource counts"), ("thin", "thin: less than 1"),
        ("some", "some: 1 to less than 3"), ("good", "good: 3 or more"))


@bp.get("")
def heatmap():
    """Supply and demand per unit x archetype x level, coloured by supply."""
    errors, args = _args(FILTERS + ("group",))
    framework = _framework(args)
    form = _form(FILTERS + ("group",), framework)
    form["group"] = form["group"] or DEFAULT_ROWS  # the CSV link asks for the same rows
    grid = None
    if not errors:
        coverage = load_coverage(args)
        grid = _grid(matrix(coverage, args["group"] or DEFAULT_ROWS), coverage)
        grid["learners"] = coverage.learners
        grid["min_learners"] = coverage.min_learners
    return render_template("commissioner/heatmap.html", errors=errors, grid=grid,
                           form=form, heat=HEAT, groupings=GROUPINGS,
                           **_choice(framework)), errors.status


@bp.get("/gaps")
def ranked_gaps():
    """The cells most in need of commissioning, each with a brief."""
    errors, args = _args(FILTERS)
    framework = _framework(args)
    found = None
    if not errors:
        coverage = load_coverage(args)
        found = gaps(coverage, served_view(framework), GAPS_SHOWN)
    return render_template("commissioner/gaps.html", errors=errors, gaps=found,
                           form=_form(FILTERS, framework),
                           known=statements(framework=framework), **_choice(framework)), \
        errors.status


@bp.get("/cells/<statement>/<archetype>/<level>")
def cell(statement: str, archetype: str, level: str):
    """One cell: its supply and demand and every resource mapped to it."""
    coverage = load_coverage(coverage_args(("provider", "licence")))
    s = coverage.statements.get(statement)
    if s is None or archetype not in coverage.roles or level not in LEVELS:
        abort(404, f"There is no coverage cell {statement} / {archetype} / {level}.")
    return render_template("commissioner/cell.html", cell=cell_detail(coverage, s, archetype,
                                                                      level),
                           min_learners=coverage.min_learners,
                           **_choice(coverage.framework))


@bp.get("/coverage.csv")
def coverage_csv():
    """The heatmap's rows as CSV (the API's answer)."""
    args = coverage_args(FILTERS + ("group", "format"))
    return reads.matrix_csv(load_coverage(args), args["group"] or "statement")


@bp.get("/gaps.csv")
def gaps_csv():
    """The ranked gaps with their briefs as CSV (the API's answer)."""
    args = coverage_args(FILTERS + ("limit", "format"))
    return reads.gaps_csv(gaps(load_coverage(args), served_view(args["framework"]),
                               args["limit"]))


def heat(weighted_supply: float) -> str:
    """The colour class of a cell with this weighted supply."""
    if weighted_supply <= 0:
        return "none"
    return "thin" if weighted_supply < 1 else "some" if weighted_supply < 3 else "good"


def _args(allowed: tuple[str, ...]) -> tuple[FormErrors, dict]:
    errors = FormErrors()
    try:
        return errors, coverage_args(allowed)
    except Problem as problem:
        errors.from_problem(problem, FIELDS)
        return errors, {}


def _framework(args: dict) -> str:
    """The framework the page shows: the one asked for, or (its name refused) the default."""
    return args.get("framework") or frameworks.known(request.args.get("framework")) \
        or DEFAULT_FRAMEWORK


def _form(names: tuple[str, ...], framework: str) -> dict:
    """The filters as given, to fill the form and the CSV link (and the framework, when
    the links keep it)."""
    return {**{name: request.args.get(name, "") for name in names},
            **frameworks.kept(framework)}


def _choice(framework: str) -> dict:
    """What every commissioner page shows of its framework: which it is, the choice of
    frameworks, its domains and roles, and the query its links keep."""
    return {"framework": framework, "several": frameworks.several(),
            "choices": frameworks.choices() if frameworks.several() else [],
            "kept": frameworks.kept(framework), "domains": _domains(framework),
            "levels": LEVELS, "archetype_ids": tuple(frameworks.roles(framework))}


def _domains(framework: str) -> list[tuple[str, str]]:
    return sorted({(s.domain_id, s.domain_name)
                   for s in statements(framework=framework).values()},
                  key=lambda d: int(d[0]) if d[0].isdigit() else 0)


def _grid(rows: list[dict], coverage) -> dict:
    """Rows of the heatmap: one per unit, a cell per archetype x level column."""
    columns = [(a, level) for a in coverage.archetypes() for level in coverage.levels()]
    units: dict[str, dict] = {}
    for row in rows:
        unit = units.setdefault(row["id"], {"id": row["id"], "name": row["name"],
                                            "domain": row["domain"], "cells": {}})
        unit["cells"][(row["archetype"], row["level"])] = {**row,
                                                           "heat": heat(row["weighted_supply"])}
    return {"columns": columns, "archetypes": coverage.archetypes(),
            "levels": coverage.levels(), "units": list(units.values()),
            "grouping": rows[0]["unit"] if rows else None}


@bp.get("/cells/<statement>/<archetype>/<level>.csv")
def cell_csv(statement: str, archetype: str, level: str):
    """One cell's resources as CSV (the API's answer)."""
    args = coverage_args(("provider", "licence", "format"))
    return reads.cell_csv(reads.cell_of(load_coverage(args), statement, archetype, level))
