"""The self-assessment's questions: the statements asked of a learner's archetypes, by
domain and sub-domain, by level (shared by the assessment API and the learner pages; the
answers are checked by ``recommender.contract.validation.parse_assessment``)."""

from __future__ import annotations

from catalogue.framework import statement_order
from recommender.learners.rules import expected_rating


def questionnaire_domains(statements: dict, archetypes: list[str],
                          skipped: list[str] | tuple[str, ...] = ()) -> list[dict]:
    """The statements asked of these archetypes, by domain and sub-domain, by level (shared
    by the API and the web pages)."""
    domains: dict[str, dict] = {}
    for s in sorted(statements.values(), key=lambda s: statement_order(s.id)):
        expected = expected_rating(s, archetypes)
        if expected is None or s.domain_id in skipped:
            continue
        domain = domains.setdefault(s.domain_id, {"id": s.domain_id, "name": s.domain_name,
                                                  "groups": {}})
        group = domain["groups"].setdefault(s.group_id, {"id": s.group_id,
                                                         "name": s.group_name,
                                                         "statements": []})
        group["statements"].append({"id": s.id, "level": s.level, "expected": expected,
                                    "text": s.text})
    for domain in domains.values():
        domain["groups"] = list(domain["groups"].values())
        for group in domain["groups"]:
            group["statements"].sort(key=lambda st: (st["level"], statement_order(st["id"])))
    return list(domains.values())
