"""Seeded synthetic catalogues of any size, shaped like the shipped one: the one generator
every benchmark uses.

- **Shape**: title and description lengths, topics, formats, levels, licences, access,
  durations, providers' skew, archetype counts and statements per resource are drawn from the
  shipped catalogue's own distributions (``catalogue/data/resources/*.yaml``: titles 2-26
  words, mean 8; descriptions 39-83 words, mean 57; four topics; 1-7 statements, mean 2.9).
  Words are drawn from the shipped descriptions and the framework's statements at their own
  frequencies, so the texts tokenise (BM25) and encode (word pieces) like real ones.
- **Skew**: the statements a resource teaches follow a Zipf law (the k-th most taught statement
  gets a share proportional to 1/k) over a seeded shuffle of the framework, so a few statements
  have thousands of resources and many have a handful.
- **Vectors**: below ``DIRECT_VECTORS_FROM`` resources (100,000) the texts are encoded by the
  real model; from there on (encoding runs at about 80 texts/s on a 2-core machine: 100k would
  take 20 minutes) each vector is generated directly, as the mean of the real embeddings of the
  resource's statements plus Gaussian noise (0.05 a dimension), normalised. Calibrated on the
  shipped catalogue: cosine to the first curated statement 0.61 (real 0.48), to the nearest
  statement 0.63 (real 0.60), mean cosine between resources 0.24 (real 0.28).
- **Determinism**: the same ``n`` and ``seed`` give the same catalogue, texts and vectors.

``populate`` writes a catalogue straight into an app's database (bulk inserts: a million rows
take about a minute) and ``publish`` turns its vectors into an index version with the index
code a real build runs (FAISS index, per-statement dense and BM25 neighbour lists, atomic
publish); only the encoding is skipped.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from common import bench_app  # noqa: F401  (puts the project on sys.path)
from sqlalchemy import insert

from catalogue.framework import load_framework
from catalogue.importers import read_resources, shipped_files
from catalogue.resources import Resource as Record
from catalogue.text import resource_text
from indexes.embedding import DEFAULT_MODEL, Encoder, get_encoder
from indexes.lexical import Bm25, tokens
from indexes.neighbours import NeighbourLists, nearest
from indexes.vectors import VectorIndex
from recommender.indexing.basis import indexed_statements, wanted_manifest
from recommender.indexing.serving import index_store
from recommender.storage import db
from recommender.storage.models import Resource, ResourceCapability

DIRECT_VECTORS_FROM = 100_000
NOISE = 0.05          # per dimension, around the mean of a resource's statement vectors
CURATED_SHARE = 0.2   # resources whose statements are stored as curated mappings
PROVIDERS = 400       # Zipf-skewed, like the shipped catalogue's few large providers
ARCHETYPES = ("shaper", "driver", "creator", "embedder", "user")


@dataclass(frozen=True)
class Shape:
    """Empirical distributions of the shipped catalogue, sampled with replacement."""

    words: list[str]
    word_weights: np.ndarray
    topics: list[str]
    title_words: list[int]
    description_words: list[int]
    statement_counts: list[int]
    archetype_counts: list[int]
    formats: list[str]
    licences: list[str]
    access: list[str]
    levels: list[str]
    durations: list[int | None]


@lru_cache(maxsize=1)
def shape() -> Shape:
    framework = load_framework()
    shipped = read_resources(shipped_files(), {c.id for c in framework.capabilities}).resources
    counts = Counter(w for text in [r.description for r in shipped] +
                     [c.text for c in framework.capabilities] for w in text.split())
    words = sorted(counts)
    weights = np.array([counts[w] for w in words], dtype=np.float64)
    return Shape(
        words=words, word_weights=weights / weights.sum(),
        topics=sorted({t for r in shipped for t in r.topics}),
        title_words=[len(r.title.split()) for r in shipped],
        description_words=[len(r.description.split()) for r in shipped],
        statement_counts=[len(r.capabilities) for r in shipped],
        archetype_counts=[len(r.archetypes) for r in shipped],
        formats=[r.format for r in shipped], licences=[r.licence for r in shipped],
        access=[r.access for r in shipped], levels=[r.level for r in shipped],
        durations=[r.duration_minutes for r in shipped])


def statement_shares(codes: list[str], seed: int) -> np.ndarray:
    """Zipf shares over a seeded shuffle of the statements: share of rank k is 1/k."""
    order = list(range(len(codes)))
    random.Random(seed).shuffle(order)
    shares = np.empty(len(codes))
    shares[order] = 1 / np.arange(1, len(codes) + 1)
    return shares / shares.sum()


@dataclass
class Catalogue:
    """A synthetic catalogue in columns; ``teaches[i]`` holds row numbers into ``codes``."""

    codes: list[str]
    slugs: list[str]
    titles: list[str]
    descriptions: list[str]
    topics: list[tuple[str, ...]]
    teaches: list[tuple[int, ...]]
    fields: list[dict]   # provider, licence, access, format, level, duration, archetypes
    vectors: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.slugs)

    def texts(self) -> list[str]:
        """What the index embeds for each resource (title, description, topics)."""
        return [resource_text(t, d, p) for t, d, p in
                zip(self.titles, self.descriptions, self.topics, strict=True)]

    def records(self) -> list[Record]:
        """Catalogue records, as an import reads them (for the upsert path)."""
        return [Record(id=self.slugs[i], title=self.titles[i],
                       url=f"https://example.org/resource/{self.slugs[i]}",
                       description=self.descriptions[i], topics=self.topics[i],
                       capabilities=tuple(self.codes[j] for j in self.teaches[i]),
                       **self.fields[i]) for i in range(len(self))]


def generate(n: int, codes: list[str] | None = None, seed: int = 1,
             start: int = 0) -> Catalogue:
    """n resources numbered from ``start`` (slugs ``synthetic-<number>``)."""
    codes = codes or [c.id for c in load_framework().capabilities]
    s = shape()
    rng = np.random.default_rng(seed)
    pick = random.Random(seed)
    shares = statement_shares(codes, seed)
    provider_shares = 1 / np.arange(1, PROVIDERS + 1)
    providers = rng.choice(PROVIDERS, size=n, p=provider_shares / provider_shares.sum())
    vocabulary = np.array(s.words, dtype=object)
    most = max(s.statement_counts)
    out = Catalogue(codes, [f"synthetic-{start + i}" for i in range(n)], [], [], [], [], [])
    for begin in range(0, n, 20_000):  # bounded temporaries at a million resources
        size = min(20_000, n - begin)
        title_len = rng.choice(s.title_words, size=size)
        description_len = rng.choice(s.description_words, size=size)
        words = vocabulary[rng.choice(len(vocabulary), p=s.word_weights,
                                      size=int(title_len.sum() + description_len.sum()))]
        # more draws than needed, then distinct statements in draw order
        drawn = rng.choice(len(codes), size=(size, 3 * most), p=shares).tolist()
        at = 0
        for i in range(size):
            title = words[at:at + title_len[i]]
            at += title_len[i]
            body = words[at:at + description_len[i]]
            at += description_len[i]
            out.titles.append(" ".join(title).capitalize())
            out.descriptions.append(" ".join(body).capitalize().rstrip(".,;:") + ".")
            out.topics.append(tuple(pick.sample(s.topics, 4)))
            k = pick.choice(s.statement_counts)
            out.teaches.append(tuple(dict.fromkeys(drawn[i]))[:k])
            out.fields.append({
                "provider": f"Provider {providers[begin + i]}",
                "licence": pick.choice(s.licences), "access": pick.choice(s.access),
                "format": pick.choice(s.formats), "level": pick.choice(s.levels),
                "duration_minutes": pick.choice(s.durations),
                "archetypes": tuple(sorted(pick.sample(ARCHETYPES,
                                                       pick.choice(s.archetype_counts))))})
    return out


def synthetic_resources(n: int, seed: int = 1) -> list[Record]:
    """n catalogue records shaped like the shipped ones (see the module docstring)."""
    return generate(n, seed=seed).records()


def direct_vectors(catalogue: Catalogue, capability_vectors: np.ndarray,
                   seed: int = 1) -> np.ndarray:
    """Vectors generated around the real embeddings of each resource's statements."""
    rng = np.random.default_rng(seed + 7919)
    out = np.empty((len(catalogue), capability_vectors.shape[1]), dtype=np.float32)
    step = 50_000  # bounded temporaries at a million resources
    for start in range(0, len(catalogue), step):
        rows = catalogue.teaches[start:start + step]
        centres = np.stack([capability_vectors[list(r)].mean(axis=0) for r in rows])
        block = centres + NOISE * rng.standard_normal(centres.shape, dtype=np.float32)
        out[start:start + len(rows)] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


@dataclass
class Statements:
    """The current framework's statements in the order an index stores them, embedded."""

    codes: list[str]
    texts: list[str]
    vectors: np.ndarray
    model: str
    words: list[str]  # what their BM25 lists are scored for (``Capability.lexical_text``)


def embed_statements(app, encoder: Encoder | None = None) -> Statements:
    encoder = encoder or get_encoder(DEFAULT_MODEL)
    with app.app_context():
        session = db.session()
        found = indexed_statements(session, wanted_manifest(session, encoder.name))
    texts = [s.embedding_text() for s in found]
    return Statements([s.id for s in found], texts, encoder.encode(texts), encoder.name,
                      [s.lexical_text() for s in found])


def populate(app, n: int, statements: Statements, *, seed: int = 5,
             encoder: Encoder | None = None, direct: bool | None = None) -> Catalogue:
    """Write n synthetic resources (ids 1..n) into the app's database and give them vectors:
    encoded by ``encoder`` below DIRECT_VECTORS_FROM resources, else (or with ``direct``)
    generated directly. A CURATED_SHARE of resources get their statements as curated
    mappings."""
    catalogue = generate(n, statements.codes, seed)
    pick = random.Random(seed)
    rows, mappings = [], []
    for i in range(n):
        url = f"https://example.org/resource/{catalogue.slugs[i]}"
        rows.append({"id": i + 1, "slug": catalogue.slugs[i], "title": catalogue.titles[i],
                     "url": url, "canonical_url": url,
                     "description": catalogue.descriptions[i],
                     "topics": list(catalogue.topics[i]), "language": "en",
                     "content_hash": str(i), "version": 1,
                     **dict(catalogue.fields[i], archetypes=list(catalogue.fields[i]
                                                                 ["archetypes"]))})
        if pick.random() < CURATED_SHARE:
            mappings.extend({"resource_id": i + 1, "capability_code": statements.codes[j],
                             "source": "curated", "confidence": 1.0}
                            for j in catalogue.teaches[i])
    with app.app_context():
        session = db.session()
        for start in range(0, n, 5000):
            session.execute(insert(Resource), rows[start:start + 5000])
        for start in range(0, len(mappings), 20000):
            session.execute(insert(ResourceCapability), mappings[start:start + 20000])
        session.commit()
    if direct is None:
        direct = n >= DIRECT_VECTORS_FROM or encoder is None
    catalogue.vectors = direct_vectors(catalogue, statements.vectors, seed) if direct else \
        encoder.encode(catalogue.texts())
    return catalogue


def publish(app, catalogue: Catalogue, statements: Statements, kind: str = "flat") -> str:
    """Publish an index version of the populated catalogue's vectors (ids 1..n), with the same
    neighbour lists and BM25 statistics a real build computes; return the version name."""
    ids = np.arange(1, len(catalogue) + 1, dtype=np.int64)
    index = VectorIndex.build(ids, catalogue.vectors, kind=kind)
    bm25 = Bm25([tokens(t) for t in statements.words])
    words = [tokens(t) for t in catalogue.texts()]
    counts = [bm25.observe(w) for w in words]
    lexical = bm25.score(counts, np.array([len(w) for w in words], dtype=np.float32))
    similarity = catalogue.vectors @ statements.vectors.T
    with app.app_context():
        session = db.session()
        return index_store().publish(
            index, statements.codes, statements.vectors,
            wanted_manifest(session, statements.model, kind),
            dense=NeighbourLists.from_scores(ids, similarity),
            lexical=NeighbourLists.from_scores(ids, lexical, floor=0.0),
            lexical_stats=bm25.to_json(), nearest=nearest(ids, similarity))


def zipf_exponent(counts: list[int]) -> float:
    """Slope of log(count) against log(rank), for checking the skew (about 1)."""
    ordered = sorted((c for c in counts if c > 0), reverse=True)
    xs = [math.log(r) for r in range(1, len(ordered) + 1)]
    ys = [math.log(c) for c in ordered]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return -sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / \
        sum((x - mx) ** 2 for x in xs)
