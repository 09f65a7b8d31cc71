"""The shipped capability framework and its loader."""

from collections import defaultdict

import pytest
import yaml

from catalogue.errors import DataError
from catalogue.framework import ARCHETYPE_BADGES, FRAMEWORK_FILE, load_framework

# The structure HEE's framework pages publish: 6 domains and their sub-domains.
DOMAINS = {"1": "Digital implementation",
           "2": "Digital health for patients and the public",
           "3": "Ethical, legal and regulatory considerations",
           "4": "Human factors",
           "5": "Health data management",
           "6": "Artificial intelligence"}
SUB_DOMAINS = {"2.1": "Providing direct care with digital technologies",
               "2.2": "Remote consultation and monitoring",
               "3.1": "Ethics",
               "3.2": "Legislation and regulation",
               "4.1": "Management, leadership and planning",
               "4.1.1": "Management",
               "4.1.2": "Leadership",
               "5.1": "Data management and processing",
               "5.1.1": "Data collection and context",
               "5.1.2": "Data storage",
               "5.1.3": "Data visualisation and reporting",
               "5.1.4": "Data processing and analytics",
               "5.2": "Data/cyber security",
               "5.2.1": "Data privacy and confidentiality",
               "6.1": "Machine learning and natural language processing",
               "6.2": "Using and implementing AI systems",
               "6.3": "Evaluating AI systems",
               "6.4": "Robotics"}
# Groups of a domain's own statements: domain 1 has no numbered sub-domain, and the pages of
# domains 2 and 6 list statements before their first sub-domain (sections 2.0 and 6.0).
DOMAIN_LEVEL = {"1", "2.0", "6.0"}
# The statements paraphrased from the published pages, in the groups the pages put them.
PARAPHRASED = {"2.0": ["2.0.1", "2.0.2", "2.0.3", "2.0.4", "2.0.5", "2.0.6"],
               "5.1.1": ["5.1.1.1", "5.1.1.4"],
               "6.0": ["6.0.1", "6.0.2", "6.0.3", "6.0.4", "6.0.5", "6.0.6"],
               "6.1": ["6.1.4"]}
# Version 2023.02-ours.3 moved the domain-level statements out of the sub-domains: new id -> old.
MOVED = {"2.0.1": "2.1.1", "2.0.2": "2.1.5", "2.0.3": "2.1.4", "2.0.4": "2.2.1",
         "2.0.5": "2.1.6", "2.0.6": "2.2.2",
         "6.0.1": "6.1.1", "6.0.2": "6.2.1", "6.0.3": "6.1.2", "6.0.4": "6.1.3",
         "6.0.5": "6.2.2", "6.0.6": "6.2.3"}


def raw_statements():
    """(domain, group, statement) as the file has them, with the keys the loader ignores."""
    raw = yaml.safe_load(FRAMEWORK_FILE.read_text())
    return [(domain, group, st) for domain in raw["domains"] for group in domain["groups"]
            for st in group["statements"]]


def test_the_six_published_domains(framework):
    named = {c.domain_id: c.domain_name for c in framework.capabilities}
    assert named == DOMAINS
    assert list(named) == sorted(named)


def test_groups_are_the_published_sub_domains_and_the_domain_level_ones(framework):
    names = {c.group_id: c.group_name for c in framework.capabilities}
    sub_domains = set(names) - DOMAIN_LEVEL
    # a sub-domain that holds sub-domains (4.1, 5.1, 5.2) holds no statement of its own
    parents = {g.rsplit(".", 1)[0] for g in sub_domains if g.count(".") == 2}
    assert sub_domains | parents == set(SUB_DOMAINS)
    assert {g: names[g] for g in sub_domains} == {g: SUB_DOMAINS[g] for g in sub_domains}
    # a domain-level group is named after its domain
    assert set(names) >= DOMAIN_LEVEL
    domain_of = framework.groups()
    assert {g: names[g] for g in DOMAIN_LEVEL} == {g: DOMAINS[domain_of[g]] for g in DOMAIN_LEVEL}
    assert [g for g, d in domain_of.items() if d == "1"] == ["1"]


def test_domain_level_groups_come_before_the_sub_domains(framework):
    domain_of = framework.groups()
    for domain in ("2", "6"):
        assert [g for g, d in domain_of.items() if d == domain][0] == f"{domain}.0"


def test_ids_are_unique_and_under_their_group(framework):
    ids = [c.id for c in framework.capabilities]
    assert len(ids) == len(set(ids))
    for cap in framework.capabilities:
        assert cap.id.rpartition(".")[0] == cap.group_id, cap.id
        assert cap.group_id == cap.domain_id or cap.group_id.startswith(cap.domain_id + ".")
        assert cap.id not in framework.groups(), cap.id


def test_statements_are_first_person_with_a_known_provenance(framework):
    for cap in framework.capabilities:
        assert cap.provenance in ("paraphrased", "authored"), cap.id
        assert cap.text.startswith("I "), cap.id


def test_paraphrased_statements_are_those_of_the_published_pages(framework):
    found = defaultdict(list)
    for cap in framework.capabilities:
        if cap.provenance == "paraphrased":
            found[cap.group_id].append(cap.id)
    assert dict(found) == PARAPHRASED


def test_paraphrased_statements_have_inferred_levels(framework):
    # the pages show a statement's archetype badges but not its level
    for cap in framework.capabilities:
        if cap.provenance == "paraphrased":
            assert cap.level_source == "inferred", cap.id


def test_published_badges_are_kept(framework):
    # the badges the published pages show (6.1.4's are shown only in part: S, D, ...)
    badges = {"2.0.1": "SDU", "2.0.2": "DEU", "2.0.3": "U", "2.0.4": "SDCEU", "2.0.5": "CU",
              "2.0.6": "SDU", "5.1.1.1": "SDCEU", "5.1.1.4": "SDCEU", "6.0.1": "SDCEU",
              "6.0.2": "SDCEU", "6.0.3": "SDCEU", "6.0.4": "SDCEU", "6.0.5": "DCEU",
              "6.0.6": "DCEU"}
    shown = {code: "".join(ARCHETYPE_BADGES[a] for a in framework.capability(code).archetypes)
             for code in badges}
    assert shown == badges
    assert framework.capability("6.1.4").archetypes[:2] == ("shaper", "driver")


def test_moved_statements_name_their_former_ids(framework):
    formerly = {str(st["id"]): str(st["formerly"]) for _, _, st in raw_statements()
                if "formerly" in st}
    assert formerly == MOVED
    assert not set(formerly.values()) & framework.ids()
    assert len(set(formerly.values())) == len(formerly)


def test_checksum_changes_with_any_statement(framework, tmp_path):
    raw = yaml.safe_load(FRAMEWORK_FILE.read_text())
    raw["domains"][0]["groups"][0]["statements"][0]["text"] = "I can do something else."
    changed = tmp_path / "framework.yaml"
    changed.write_text(yaml.safe_dump(raw))
    assert load_framework(changed).checksum() != framework.checksum()


@pytest.mark.parametrize("mutate, field, record", [
    (lambda st: st.update(level=5), "level", "1.1"),
    (lambda st: st.update(archetypes=["X"]), "archetypes", "1.1"),
    (lambda st: st.update(id="9.9"), "id", "9.9"),
    (lambda st: st.update(provenance="copied"), "provenance", "1.1"),
])
def test_invalid_statement_is_named(tmp_path, mutate, field, record):
    raw = yaml.safe_load(FRAMEWORK_FILE.read_text())
    mutate(raw["domains"][0]["groups"][0]["statements"][0])
    bad = tmp_path / "framework.yaml"
    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(DataError) as caught:
        load_framework(bad)
    assert caught.value.field == field
    assert caught.value.record == record


def test_duplicate_statement_id_is_refused(tmp_path):
    raw = yaml.safe_load(FRAMEWORK_FILE.read_text())
    statements = raw["domains"][0]["groups"][0]["statements"]
    statements.append(dict(statements[0]))
    bad = tmp_path / "framework.yaml"
    bad.write_text(yaml.safe_dump(raw))
    with pytest.raises(DataError, match="duplicate statement id"):
        load_framework(bad)
