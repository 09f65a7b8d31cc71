"""Capability suggestions' priors, computed for a whole batch as matrix products, equal the
plain per-resource definition (recommender/indexing/suggestions.py's docstring) on the shipped
catalogue and framework."""

import math
import re
from collections import Counter

import numpy as np

from catalogue.text import resource_text
from recommender.indexing.suggestions import ARCHETYPE, LEVEL, LEXICAL, Candidate, Suggester

WORD = re.compile(r"[a-z]{3,}")


def plain_priors(statements, resource: Candidate) -> np.ndarray:
    docs = [Counter(WORD.findall(s.embedding_text().lower())) for s in statements]
    df = Counter(w for doc in docs for w in doc)
    idf = {w: math.log(len(statements) / df[w]) for w in df}
    words = set(WORD.findall(resource.text.lower()))
    lexical = np.array([sum(idf[w] for w in words & doc.keys()) for doc in docs])
    if lexical.max() > 0:
        lexical = lexical / lexical.max()
    level = np.array([(s.level <= 2) == (resource.level == "baseline") for s in statements])
    share = np.array([len(set(s.archetypes) & set(resource.archetypes)) / len(s.archetypes)
                      for s in statements])
    return LEXICAL * lexical + LEVEL * level + ARCHETYPE * share


def test_batch_priors_equal_the_per_resource_definition(framework, shipped_resources):
    statements = list(framework.capabilities)
    vectors = np.random.default_rng(0).normal(size=(len(statements), 8)).astype(np.float32)
    suggester = Suggester(statements, vectors)
    candidates = [Candidate(resource_text(r.title, r.description, r.topics), r.level,
                            r.archetypes) for r in shipped_resources]
    candidates.append(Candidate("zzz qqq", "specialist", []))  # no shared word, no archetype
    batch = suggester.priors(candidates)
    assert batch.shape == (len(candidates), len(statements))
    for i, candidate in enumerate(candidates):
        np.testing.assert_allclose(batch[i], plain_priors(statements, candidate), atol=1e-12)
    assert batch.std() > 0.01 and np.all(batch[-1] <= LEVEL)
