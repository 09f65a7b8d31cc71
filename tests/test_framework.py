"""The shipped capability framework and its loader."""

from collections import defaultdict

import pytest
import yaml

from catalogue.errors import DataError
from catalogue.framework import ARCHETYPE_BADGES, FRAMEWORK_FILE, load_framework

LEAF_GROUPS = {"1", "2.1", "2.2", "3.1", "3.2", "4.1.1", "4.1.2", "5.1.1", "5.1.2", "5.1.3",
               "5.1.4", "5.2.1", "6.1", "6.2", "6.3", "6.4"}


def test_framework_covers_every_sub_domain_at_every_level(framework):
    assert len(framework.capabilities) >= 150
    levels = defaultdict(set)
    for cap in framework.capabilities:
        levels[cap.group_id].add(cap.level)
        assert cap.id.startswith(cap.group_id + ".")
        assert cap.provenance in ("paraphrased", "authored")
        assert cap.text.startswith("I ")
    assert set(levels) == LEAF_GROUPS
    assert all(found == {1, 2, 3, 4} for found in levels.values())


def test_every_archetype_is_badged_in_every_domain(framework):
    seen = defaultdict(set)
    for cap in framework.capabilities:
        seen[cap.domain_id].update(cap.archetypes)
    assert {d: sorted(a) for d, a in seen.items()} == {
        d: sorted(ARCHETYPE_BADGES) for d in "123456"}


def test_published_statements_are_marked_paraphrased(framework):
    paraphrased = [c for c in framework.capabilities if c.provenance == "paraphrased"]
    assert paraphrased, "the examples in DOMAIN.md should be carried as paraphrased statements"
    assert framework.capability("6.1.1").archetypes == tuple(ARCHETYPE_BADGES)


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
