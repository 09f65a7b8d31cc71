"""Coverage gaps: framework cells where learners' demand is high and the catalogue's supply is
thin or absent, ranked, each with a commissioning brief. The rule is in docs/coverage.md."""

from __future__ import annotations

from catalogue.licences import is_open
from recommender.coverage.cells import Coverage, order, passes_policy, serving_view
from recommender.learners.rules import StatementInfo, preferred_level

THIN_SUPPLY = 1.0  # below this weighted supply a cell without demand data still counts as a gap
NEAREST = 3  # nearest existing resources named in a brief

# Formats that suit a statement's level, and those each archetype tends to learn from; a brief
# suggests the level's formats the archetype prefers first (values of catalogue FORMATS).
LEVEL_FORMATS = {1: ("e-learning", "video", "guidance"), 2: ("e-learning", "webinar", "guidance"),
                 3: ("course", "webinar", "toolkit"), 4: ("programme", "course", "toolkit")}
ARCHETYPE_FORMATS = {"shaper": ("guidance", "webinar", "article"),
                     "driver": ("guidance", "toolkit", "webinar"),
                     "creator": ("course", "toolkit", "programme"),
                     "embedder": ("toolkit", "course", "guidance"),
                     "user": ("e-learning", "video", "podcast")}
ACCESS_ADVICE = {"baseline": "openly licensed (for example CC BY 4.0 or OGL v3.0), free and "
                             "self-paced",
                 "specialist": "openly licensed where possible; free registration or an "
                               "application route is acceptable for hands-on or cohort formats"}


def priority(learners: int, mean_severity: float, weighted_supply: float) -> float:
    """How urgently a cell with shown demand needs commissioning."""
    return learners * mean_severity / (1.0 + weighted_supply)


def ranked_cells(coverage: Coverage) -> list[dict]:
    """Every gap cell (statement x badged archetype x the level its gaps call for), ranked:
    cells with shown demand first, by priority; then cells whose demand is suppressed and
    whose weighted supply is below THIN_SUPPLY, by how many archetypes the statement is
    badged for, then lower level, then thinner supply."""
    with_demand, without = [], []
    for s in coverage.ordered_statements():
        level = preferred_level(s.level)
        if coverage.filters.level and coverage.filters.level != level:
            continue
        for archetype in coverage.archetypes():
            if archetype not in s.archetypes:
                continue
            cell = {"statement": s.id, "archetype": archetype, "level": level,
                    "statement_level": s.level, "domain": s.domain_id, "group": s.group_id,
                    **coverage.summary([s], archetype, level)}
            supply = sum(sv.weight for sv in coverage.servings(s.id, archetype, level))
            if cell["demand_suppressed"]:
                if supply < THIN_SUPPLY:
                    without.append((cell, s))
                continue
            cell["priority"] = round(priority(cell["demand_learners"], cell["mean_severity"],
                                              supply), 3)
            with_demand.append((cell, s))
    arche = {a: i for i, a in enumerate(coverage.roles)}
    with_demand.sort(key=lambda cs: (-cs[0]["priority"], -cs[0]["demand_learners"],
                                     cs[0]["weighted_supply"], order(cs[1].id),
                                     arche[cs[0]["archetype"]]))
    without.sort(key=lambda cs: (-len(cs[1].archetypes), cs[1].level, cs[0]["weighted_supply"],
                                 order(cs[1].id), arche[cs[0]["archetype"]]))
    for cell, _ in without:
        cell["priority"] = None
    for cell, _ in with_demand:
        cell["tier"] = "demand"
    for cell, _ in without:
        cell["tier"] = "framework"
    return [dict(cell, rank=i + 1) for i, (cell, _) in enumerate(with_demand + without)]


def gaps(coverage: Coverage, index, limit: int) -> list[dict]:
    """The top ``limit`` gap cells, each with its commissioning brief."""
    return [dict(cell, brief=brief(coverage, cell, index))
            for cell in ranked_cells(coverage)[:limit]]


def brief(coverage: Coverage, cell: dict, index) -> dict:
    """What to commission for a cell: the statement, who for, at what level and in what
    formats, and the nearest existing resources with why each falls short."""
    s = coverage.statements[cell["statement"]]
    level = cell["level"]
    # one resource could serve every badged archetype whose cell at this level is also thin
    archetypes = [cell["archetype"]] + [
        a for a in coverage.roles if a != cell["archetype"] and a in s.archetypes
        and coverage.summary([s], a, level)["weighted_supply"] < THIN_SUPPLY]
    formats = suggested_formats(s.level, cell["archetype"])
    who = ", ".join(f"{a}s" for a in archetypes)
    return {"statement": s.id, "text": s.text, "archetypes": archetypes, "level": level,
            "formats": formats, "access": ACCESS_ADVICE[level],
            "summary": f"A {level} {' or '.join(formats[:2])} for {who} (framework level "
                       f"{s.level}, {s.group_name}) that teaches: {s.text}",
            "nearest": nearest(coverage, s, cell["archetype"], level, index)}


def suggested_formats(statement_level: int, archetype: str) -> list[str]:
    """Up to three formats: the level's formats the archetype favours first, then the rest of
    the level's, then the archetype's own."""
    by_level, liked = LEVEL_FORMATS[statement_level], ARCHETYPE_FORMATS.get(archetype, ())
    ordered = [f for f in by_level if f in liked] + [f for f in by_level if f not in liked] \
        + [f for f in liked if f not in by_level]
    return ordered[:3]


def nearest(coverage: Coverage, s: StatementInfo, archetype: str, level: str, index
            ) -> list[dict]:
    """The statement's nearest resources in the served index (best first), with why each
    falls short of the cell; empty without an index."""
    row = index.row(s.id) if index is not None else None
    if row is None:
        return []
    found = []
    for rid, score in zip(index.dense.ids[row], index.dense.scores[row], strict=True):
        resource = coverage.resources.get(int(rid)) if rid >= 0 else None
        if resource is None:
            continue  # padding, or deleted since the index was built
        found.append({"id": resource.slug, "title": resource.title,
                      "provider": resource.provider, "level": resource.level,
                      "archetypes": list(resource.archetypes), "licence": resource.licence,
                      "similarity": round(float(score), 4),
                      "shortfalls": shortfalls(coverage, resource, s, archetype, level)})
        if len(found) == NEAREST:
            break
    return found


def shortfalls(coverage: Coverage, resource, s: StatementInfo, archetype: str, level: str
               ) -> list[dict]:
    """Why a resource does not already fill a cell."""
    out = []
    mapping = next((m for m in coverage.mappings_of(resource) if m.capability_code == s.id),
                   None)
    if mapping is None:
        out.append(("not_mapped", f"only loosely related: not mapped to {s.id}"))
    elif mapping.source == "crosswalk":
        out.append(("crosswalk_only", f"counted for {s.id} through a crosswalk link from "
                                      f"{mapping.via} (similarity {mapping.confidence:.2f})"))
    elif mapping.source != "curated":
        out.append(("suggested_only", f"mapped to {s.id} only by suggestion (confidence "
                                      f"{mapping.confidence:.2f})"))
    if resource.level != level:
        out.append(("wrong_level", f"{resource.level}, where this gap calls for {level}"))
    if archetype not in resource.archetypes:
        out.append(("not_for_archetype", f"not written for {archetype}s"))
    if not passes_policy(resource, coverage.allowed):
        out.append(("excluded_by_licence_policy",
                    f"{resource.licence} is not admitted by this service's licence policy"))
    elif not is_open(resource.licence):
        out.append(("not_openly_licensed", f"free to access but not openly licensed "
                                           f"({resource.licence})"))
    served = next((sv for sv in coverage.servings(s.id, archetype, level)
                   if sv.resource.id == resource.id), None)
    if served is not None and served.discount < 1:
        out.append(("marked_not_useful", f"learners marked it not useful for {s.id} "
                                         f"(weight {served.weight:.2f})"))
    return [{"reason": code, "detail": detail} for code, detail in out]


def cell_detail(coverage: Coverage, s: StatementInfo, archetype: str, level: str) -> dict:
    """One cell with the resources that serve it and those left out, with their weights."""
    counted = [serving_view(sv) for sv in coverage.servings(s.id, archetype, level)]
    left_out = []
    for sv in coverage.excluded.get((s.id, archetype, level), []):
        view = serving_view(sv, counted=False)
        view["excluded_because"] = ("licence policy" if not passes_policy(
            sv.resource, coverage.allowed) else "filter")
        left_out.append(view)
    summary = coverage.summary([s], archetype, level)
    if archetype not in s.archetypes:  # no learner of this archetype is expected to hold it
        summary.update(called_for=False, demand_learners=0, mean_severity=None,
                       demand_suppressed=False)
    return {"statement": s.id, "text": s.text, "statement_level": s.level,
            "domain": s.domain_id, "group": s.group_id, "archetype": archetype,
            "level": level, "badged": archetype in s.archetypes, **summary,
            "resources_serving": counted, "resources_excluded": left_out}
