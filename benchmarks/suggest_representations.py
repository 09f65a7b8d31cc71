"""Representation variants for capability suggestions, on the split and cross-fitting of
benchmarks/suggest_capabilities.py: each variant's settings are chosen on the 5-fold
cross-fitting of the train 70%, and only the train-best setting is then scored once on the
held-out 30%.

    .venv/bin/python benchmarks/suggest_representations.py [--quick] [--only TEXT]
                                                          [--cache /tmp/enc.npz]

Variants change what is embedded, not how it is scored (the suggester's prototype and priors
stay): the resource side (title, description, sentences, their max or mean of the top two),
the statement side (with or without its domain and group, paraphrase templates, the titles of
its examples) and centring (the catalogue's mean vector subtracted before the cosine).
Encoded texts are cached in memory (and in ``--cache``, a .npz) so a variant costs seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import re
from pathlib import Path

import numpy as np
from common import curated_split

from catalogue.text import resource_text
from indexes.embedding import DEFAULT_MODEL, get_encoder
from recommender.indexing import suggestions as settings
from recommender.indexing.suggestions import Candidate, Examples, Suggester

K, FOLDS = 3, 5
PROTOTYPES = (1.0, 2.0, 3.0)


class Cache:
    """Encoded texts, by digest."""

    def __init__(self, path: Path | None):
        self.path, self.encoder, self.seen = path, None, {}
        if path and path.exists():
            with np.load(path) as stored:
                self.seen = {k: stored[k] for k in stored.files}

    def __call__(self, texts: list[str]) -> np.ndarray:
        keys = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
        new = sorted({k: t for k, t in zip(keys, texts, strict=True)
                      if k not in self.seen}.items())
        if new:
            self.encoder = self.encoder or get_encoder(DEFAULT_MODEL)
            for (k, _), v in zip(new, self.encoder.encode([t for _, t in new]), strict=True):
                self.seen[k] = v
        return np.array([self.seen[k] for k in keys], dtype=np.float32)

    def save(self) -> None:
        if self.path:
            np.savez(self.path, **self.seen)


def unit(m: np.ndarray) -> np.ndarray:
    return (m / np.linalg.norm(m, axis=-1, keepdims=True)).astype(np.float32)


def sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if len(s.split()) >= 3]


_OPENING = re.compile(r"^I (can|understand|am aware of|am able to|know|recognise|respect)\s+")


def templates(text: str) -> list[str]:
    """Paraphrases of an 'I can ...' statement as what a resource teaches."""
    m = _OPENING.match(text)
    rest = text[m.end():] if m else text
    verb = m.group(1) if m else "can"
    verb = {"am aware of": "be aware of"}.get(verb, verb)
    what = rest if verb in ("can", "am able to") else f"{verb} {rest}"
    return [f"Learning to {what}", f"A course that teaches how to {what}",
            f"Training for staff who need to {what}"]


class Variant:
    """What one variant embeds: per resource, one or more query vectors (aggregated), the
    vector its curated mappings teach the prototype; per statement, a vector."""

    def __init__(self, name, queries, teach, statements, aggregate="one", mix=(1.0,),
                 scales=(1.0,)):
        self.name, self.queries, self.teach, self.statements = name, queries, teach, statements
        self.aggregate, self.mix, self.scales = aggregate, mix, scales


def cosines(variant, rows, prototypes, mix):
    """(rows x statements) the aggregated cosine of each resource's queries."""
    out = []
    for i in rows:
        q = variant.queries[i]  # (parts x d); part 0 is the whole text for mixes
        c = q @ prototypes.T
        if variant.aggregate == "one":
            out.append(c[0])
        elif variant.aggregate == "max":
            out.append(c.max(axis=0))
        elif variant.aggregate == "top2":
            out.append(np.sort(c, axis=0)[-min(2, len(c)):].mean(axis=0))
        elif variant.aggregate == "mix":  # whole text and the other parts' max
            rest = c[1:].max(axis=0) if len(c) > 1 else c[0]
            out.append((1 - mix) * c[0] + mix * rest)
        elif variant.aggregate == "mixmean":  # whole text and the other parts' mean
            out.append((1 - mix) * c[0] + mix * c[1:].mean(axis=0))
    return np.array(out)


def evaluate(variant, statements, resources, inside, outside, candidates, prototype, mix,
             scale=1.0):
    """(precision@3, hit@3) of ``inside`` suggested with ``outside``'s labelled examples."""
    settings.PROTOTYPE = prototype
    s_vectors = variant.statements(outside) if callable(variant.statements) \
        else variant.statements
    suggester = Suggester(statements, s_vectors,
                          Examples(variant.teach[outside],
                                   [resources[i].capabilities for i in outside]))
    ranked = scale * cosines(variant, inside, suggester.prototypes, mix) + \
        suggester.priors([candidates[i] for i in inside])
    top = np.argsort(-ranked, axis=1)[:, :K]
    correct = np.array([[statements[j].id in resources[i].capabilities for j in row]
                        for i, row in zip(inside, top, strict=True)], dtype=float)
    return correct.mean(), (correct.sum(axis=1) > 0).mean()


def cross_fitted(variant, statements, resources, train, candidates, prototype, mix, scale):
    folds = np.arange(len(train)) % FOLDS
    p = h = 0.0
    for f in range(FOLDS):
        inside, outside = train[folds == f], train[folds != f]
        fp, fh = evaluate(variant, statements, resources, inside, outside, candidates,
                          prototype, mix, scale)
        p, h = p + fp * len(inside), h + fh * len(inside)
    return p / len(train), h / len(train)


def variants(cache, statements, resources, train, quick, only=""):
    """Every variant, built from cached encodings."""
    whole = cache([r.embedding_text() for r in resources])
    title = cache([r.title for r in resources])
    stated = cache([s.embedding_text() for s in statements])
    one = lambda m: [v[None] for v in m]  # noqa: E731
    out = [
        Variant("baseline (whole text; domain. group. statement)", one(whole), whole, stated),
        Variant("R title only", one(title), whole, stated),
        Variant("R title only, taught by titles", one(title), title, stated),
    ]
    if quick:
        return out
    description = cache([resource_text("", r.description, r.topics).lstrip(". ")
                         for r in resources])
    first = cache([f"{r.title}. {(sentences(r.description) or [r.description])[0]}"
                   for r in resources])
    parts = [sentences(r.embedding_text()) for r in resources]
    flat = cache([s for p in parts for s in p])
    ends = np.cumsum([0] + [len(p) for p in parts])
    chunks = [flat[a:b] for a, b in zip(ends[:-1], ends[1:], strict=True)]
    bare = cache([s.text for s in statements])
    paraphrased = unit(np.stack([cache([t[k] for t in map(templates, (s.text for s in statements))])
                                 for k in range(3)]).mean(axis=0) + stated)
    stack = lambda *m: [np.stack(v) for v in zip(*m, strict=True)]  # noqa: E731
    mean = whole.mean(axis=0)
    centred = unit(whole - mean)
    # all-but-the-top (Mu and Viswanath, 2018): the mean and the catalogue's top principal
    # directions taken off
    top = np.linalg.svd(whole - mean, full_matrices=False)[2]

    def abtt(m, d):
        m = m - mean
        return unit(m - (m @ top[:d].T) @ top[:d])

    def with_titles(outside):
        named = {}
        for i in outside:
            for code in resources[i].capabilities:
                named.setdefault(code, []).append(resources[i].title)
        return cache([s.embedding_text() + (" Examples: " + "; ".join(sorted(named[s.id]))
                                            if s.id in named else "") for s in statements])

    mixes, scales = (0.25, 0.5, 0.75), (0.35, 0.5, 0.75, 1.0)
    grouped = cache([f"{s.group_name}. {s.text}" for s in statements])
    sentence_mix = [np.vstack([w[None], c]) for w, c in zip(whole, chunks, strict=True)]
    out += [
        Variant("R description only", one(description), whole, stated),
        Variant("R title + first sentence", one(first), whole, stated),
        Variant("R whole + title (mix)", stack(whole, title), whole, stated, "mix", mixes),
        Variant("R whole + title-first-sentence (mix)", stack(whole, first), whole, stated,
                "mix", mixes),
        Variant("R title + description, mean of both", stack(whole, title, description), whole,
                stated, "mixmean", (1.0,)),
        Variant("R sentences, max", chunks, whole, stated, "max"),
        Variant("R sentences, mean of top 2", chunks, whole, stated, "top2"),
        Variant("R whole + sentences' max (mix)", sentence_mix, whole, stated, "mix", mixes),
        Variant("S statement text alone", one(whole), whole, bare),
        Variant("S templates averaged with the statement", one(whole), whole, paraphrased),
        Variant("S statement + its examples' titles", one(whole), whole, with_titles),
        Variant("S group. statement (no domain)", one(whole), whole, grouped),
        Variant("C centred (catalogue mean off both sides)", one(centred), centred,
                unit(stated - mean), scales=scales),
        Variant("C centred, each side its own mean", one(centred), centred,
                unit(stated - stated.mean(axis=0)), scales=scales),
        Variant("C centred, train mean only", one(unit(whole - whole[train].mean(axis=0))),
                unit(whole - whole[train].mean(axis=0)),
                unit(stated - whole[train].mean(axis=0)), scales=scales),
        Variant("C centred + templates", one(centred), centred, unit(paraphrased - mean),
                scales=scales),
        *[Variant(f"C all-but-the-top, {d} component(s) off", one(abtt(whole, d)),
                  abtt(whole, d), abtt(stated, d), scales=scales) for d in (1, 2, 3, 5)],
        Variant("D description + statement alone", one(description), whole, bare),
        Variant("D description + examples' titles", one(description), whole, with_titles),
        Variant("D whole/sentences mix + templates", sentence_mix, whole, paraphrased, "mix",
                mixes),
        Variant("D whole/sentences mix + examples' titles", sentence_mix, whole, with_titles,
                "mix", mixes),
        Variant("D whole/sentences mix + statement alone", sentence_mix, whole, bare, "mix",
                mixes),
        Variant("D centred whole/sentences mix", [unit(q - mean) for q in sentence_mix],
                centred, unit(stated - mean), "mix", mixes, scales),
    ]
    return [v for v in out if only in v.name]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="the first three variants only")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--only", default="", help="variants whose name has this text")
    parser.add_argument("--cache", type=Path, default=None, help="a .npz of encoded texts")
    args = parser.parse_args()
    framework, resources, cut = curated_split(args.seed)
    test, train = np.arange(cut), np.arange(cut, len(resources))
    statements = list(framework.capabilities)
    candidates = [Candidate(r.embedding_text(), r.level, r.archetypes) for r in resources]
    cache = Cache(args.cache)
    found = variants(cache, statements, resources, train, args.quick, args.only)
    cache.save()
    print("# variant | train-best setting | train p@3, hit@3 | held-out p@3, hit@3")
    results = []
    for v in found:
        grid = {(p, m, c): cross_fitted(v, statements, resources, train, candidates, p, m, c)
                for p in PROTOTYPES for m in v.mix for c in v.scales}
        best = max(grid, key=lambda key: grid[key])
        held = evaluate(v, statements, resources, test, train, candidates, *best)
        setting = f"prototype {best[0]}" + (f", mix {best[1]}" if len(v.mix) > 1 else "") + \
            (f", cosine x{best[2]}" if len(v.scales) > 1 else "")
        print(f"# {v.name} | {setting} | {grid[best][0]:.3f}, {grid[best][1]:.3f} | "
              f"{held[0]:.3f}, {held[1]:.3f}", flush=True)
        slug = re.sub(r"[^a-z0-9]+", "_", v.name.lower()).strip("_")
        print(f"{slug}_train_p3: {grid[best][0]:.3f}")
        print(f"{slug}_heldout_p3: {held[0]:.3f}")
        print(f"{slug}_heldout_hit3: {held[1]:.3f}")
        results.append((grid[best][0], held[0]))
    # the headline: held-out precision@3 of the variant chosen on train, over the first
    # variant's (the current suggester, when it is run)
    if results:
        chosen = max(results)
        print(f"ratio: {chosen[1] / results[0][1]:.3f}")


if __name__ == "__main__":
    main()
