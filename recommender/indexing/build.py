"""Build and update index versions from the database.

Called by the Celery tasks in ``workers.tasks``; kept here so that the tasks stay thin wrappers
and the builds can be tested and benchmarked without a queue. Every write to the index store
happens under its build lock, so two builds never interleave.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import String, case, cast, delete, func, select
from sqlalchemy.orm import Session

from catalogue.text import resource_text
from indexes.embedding import Encoder
from indexes.lexical import Bm25
from indexes.lexical import tokens as lexical_tokens
from indexes.neighbours import NeighbourLists, nearest
from indexes.store import IndexStore, IndexVersion
from indexes.vectors import VectorIndex
from recommender.content.curation import curated_mappings, rejected_suggestions
from recommender.content.store import replace_suggestions
from recommender.indexing import neighbourhood
from recommender.indexing.basis import (
    BASIS,
    default_statements,
    indexed_statements,
    is_up_to_date,
    review_keys,
    wanted_manifest,
)
from recommender.indexing.changes import delta_of
from recommender.indexing.duplicates import flag_near_duplicates
from recommender.indexing.inferred import infer_labels, lazy_inferrer, store_labels
from recommender.indexing.labels import LabelInferrer
from recommender.indexing.suggestions import Candidate, Examples, Suggesters
from recommender.storage.models import IndexOutbox, Resource, ResourceCapability

log = logging.getLogger(__name__)
# resources read and encoded at a time. sentence-transformers sorts each call's texts by length
# and pads every batch of 64 to its longest, so small calls of mixed lengths pad more than one
# call of the whole catalogue: over 100k synthetic texts read in id order, calls of 256 meant
# 21% more attention work than one sorted call (what the 100k build lost to the bare encode),
# calls of 1,024 5.8%. A full build also reads shortest text first, so each call's texts are
# alike in length: 2.2%. Memory stays small.
BATCH_SIZE = 1024
_TEXT_LENGTH = (func.length(Resource.title) + func.length(Resource.description)
                + func.length(cast(Resource.topics, String)))
Progress = Callable[[int, int], None]


@dataclass
class BuildOutcome:
    status: str  # "built", "updated", "compacted" or "unchanged"
    version: str
    count: int
    changed: int = 0
    encoded_at: float | None = None  # perf_counter when an update's encoding ended
    overlay: int = 0  # resources the deltas over the full version change (0: none)
    deltas: int = 0   # deltas over the full version


def build_index(session: Session, store: IndexStore, encoder: Encoder, *, force: bool = False,
                progress: Progress | None = None, lock_timeout: float = 3600,
                index_type: str = "flat") -> BuildOutcome:
    """Embed the whole catalogue and the current framework and publish a new version.

    Skips the build when the current version already holds this catalogue, framework and model.
    Resources are streamed from the database in batches, so memory stays bounded.
    """
    with store.lock(lock_timeout):
        wanted = wanted_manifest(session, encoder.name, index_type)
        current = store.manifest()
        if not force and is_up_to_date(store, wanted) and \
                current.get("dimension") == encoder.dimension:
            return BuildOutcome("unchanged", current["version"], current["count"])
        outbox_high = session.scalar(select(func.max(IndexOutbox.id))) or 0
        total = session.scalar(select(func.count()).select_from(Resource)) or 0
        statements = indexed_statements(session, wanted)
        capability_ids = [s.id for s in statements]
        capability_vectors = _reuse_statement_vectors(store, wanted, capability_ids)
        if capability_vectors is None:
            capability_vectors = encoder.encode([s.embedding_text() for s in statements])
        # curated resources come first, so that they are the suggester's labelled examples
        # by the time the others are suggested for
        curated = curated_mappings(session)
        suggester = Suggesters(statements, capability_vectors,
                               rejected=rejected_suggestions(session),
                               review=review_keys(session, wanted))
        inferrer = lazy_inferrer(encoder, *default_statements(statements, capability_vectors))
        bm25 = Bm25([lexical_tokens(s.lexical_text()) for s in statements])
        vectors = VectorIndex(encoder.dimension, kind=index_type)
        done = 0
        rows = session.execute(_RESOURCE_FIELDS.order_by(_CURATED_FIRST, _TEXT_LENGTH,
                                                         Resource.id)
                               .execution_options(yield_per=BATCH_SIZE))
        suggestions: dict[int, list[tuple[str, float]]] = {}
        reviewed: dict[int, list[tuple[str, float]]] = {}
        all_ids, counts, lengths, labels = [], [], [], []
        for batch in rows.partitions(BATCH_SIZE):
            batch_out = _encode(batch, encoder, suggester, inferrer, curated)
            vectors.add(batch_out.ids, batch_out.vectors)
            suggestions.update(batch_out.suggestions)
            reviewed.update(batch_out.reviewed)
            labels += batch_out.labels
            for text in batch_out.texts:
                words = lexical_tokens(text)
                counts.append(bm25.observe(words))
                lengths.append(len(words))
            all_ids.extend(batch_out.ids.tolist())
            done += len(batch)
            if progress:
                progress(done, total)
        ids, matrix = vectors.matrix()
        lexical_scores = bm25.score(counts, np.array(lengths, dtype=np.float32))
        similarity = matrix @ capability_vectors.T
        closest = nearest(ids, similarity)
        dense = NeighbourLists.from_scores(ids, similarity)
        lexical = NeighbourLists.from_scores(np.array(all_ids, dtype=np.int64),
                                             lexical_scores, floor=0.0)
        outside = neighbourhood.kept(vectors, ids, matrix, closest, dense, lexical)
        del matrix, similarity
        store_labels(session, labels)
        flagged = list(suggestions)  # near-duplicates are looked for among all of them
        neighbourhood.unsuggested(suggestions, *outside, curated)
        replace_suggestions(session, suggestions, suggester.frameworks, reviewed)
        flag_near_duplicates(session, vectors, flagged)
        session.commit()  # before publishing: a web process reads them with the new version
        name = store.publish(
            vectors, capability_ids, capability_vectors, wanted, dense=dense, lexical=lexical,
            lexical_stats=bm25.to_json(), nearest=closest, outside=outside)
        session.execute(delete(IndexOutbox).where(IndexOutbox.id <= outbox_high))
        session.commit()
    log.info("built index %s: %d resources, %d statements", name, vectors.count,
             len(statements))
    return BuildOutcome("built", name, vectors.count, changed=vectors.count)


def apply_changes(session: Session, store: IndexStore, encoder: Encoder, *,
                  lock_timeout: float = 60, index_type: str = "flat") -> BuildOutcome:
    """Publish a version with the outbox's pending changes applied, re-encoding only the
    changed resources. Falls back to a full build when there is no usable current version
    (none yet, or another model or framework)."""
    with store.lock(lock_timeout):
        # the catalogue's checksum is taken before the changes are read, so it never names a
        # change this update does not apply (at worst one it applies: then a later build
        # finds the index out of date and rebuilds); at 100k resources it takes 0.3 s, which
        # is not spent again after encoding
        wanted = wanted_manifest(session, encoder.name, index_type)
        pending = session.execute(select(IndexOutbox.id, IndexOutbox.resource_id)
                                  .order_by(IndexOutbox.id)).all()
        current = store.manifest()
        usable = current and all(current.get(k) == wanted.get(k) for k in BASIS) and \
            current.get("dimension") == encoder.dimension
        if not pending and usable:
            return BuildOutcome("unchanged", current["version"], current["count"])
    if not usable:
        return build_index(session, store, encoder, force=True, index_type=index_type)
    with store.lock(lock_timeout):
        loaded: IndexVersion = store.load()
        touched = sorted({rid for _, rid in pending})
        rows = session.execute(_RESOURCE_FIELDS.where(Resource.id.in_(touched))).all()
        statements = indexed_statements(session, wanted)
        if [s.id for s in statements] != loaded.capability_ids:
            raise RuntimeError("index statements differ from the database's; rebuild")
        curated = curated_mappings(session)
        taught = np.array(sorted(set(curated) - set(touched)), dtype=np.int64)
        known, found = loaded.vectors_of(taught)
        suggester = Suggesters(statements, loaded.capability_vectors,
                               Examples(known[found], [curated[int(r)] for r in taught[found]]),
                               rejected_suggestions(session), review_keys(session, wanted))
        inferrer = lazy_inferrer(encoder,
                                 *default_statements(statements, loaded.capability_vectors))
        changed = _encode(rows, encoder, suggester, inferrer, curated)
        encoded_at = time.perf_counter()
        delta = delta_of(loaded, changed.ids, changed.texts, changed.vectors,
                         np.array(touched, dtype=np.int64), statements)
        updated = loaded.with_delta(delta)
        store_labels(session, changed.labels)
        # the changed resources' neighbourhoods in the updated catalogue, as ranking reads them
        neighbourhood.unsuggested_changed(changed.suggestions, updated, changed.ids,
                                          changed.vectors, curated)
        replace_suggestions(session, changed.suggestions, suggester.frameworks,
                            changed.reviewed)
        flag_near_duplicates(session, updated.vectors, changed.ids.tolist())
        # committed before the delta is published: a web process that takes the delta reads
        # the changed rows again (their inferred labels, flags) and must find them written
        session.commit()
        name = store.publish_delta(loaded, delta,
                                   {"catalogue_checksum": wanted["catalogue_checksum"]})
        session.execute(delete(IndexOutbox).where(IndexOutbox.id <= pending[-1].id))
        session.commit()
        served = store.load()
    log.info("updated index %s: %d changed resources", name, len(touched))
    return BuildOutcome("updated", name, served.vectors.count, changed=len(touched),
                        encoded_at=encoded_at, overlay=served.overlay.size,
                        deltas=len(served.chain))


def pending_changes(session: Session) -> int:
    """Catalogue changes committed but not yet applied to the index (the outbox)."""
    return session.scalar(select(func.count()).select_from(IndexOutbox)) or 0


def repair_drift(session: Session, store: IndexStore, encoder: Encoder,
                 index_type: str = "flat") -> dict:
    """Compare the ids in the database with those in the served index; queue whatever differs
    (outside changes already waiting in the outbox) and apply it."""
    if store.current_name() is None:
        return {"missing": 0, "extra": 0,
                **vars(build_index(session, store, encoder, index_type=index_type))}
    indexed = set(store.load().vectors.ids().tolist())
    stored = set(session.scalars(select(Resource.id)))
    pending = set(session.scalars(select(IndexOutbox.resource_id)))
    missing = stored - indexed - pending
    extra = indexed - stored - pending
    session.add_all([IndexOutbox(resource_id=rid, action="upsert") for rid in missing] +
                    [IndexOutbox(resource_id=rid, action="delete") for rid in extra])
    session.commit()
    if missing or extra:
        log.warning("index drift repaired: %d missing, %d extra", len(missing), len(extra))
        outcome = apply_changes(session, store, encoder, index_type=index_type)
        return {"missing": len(missing), "extra": len(extra), **vars(outcome)}
    return {"missing": 0, "extra": 0}


def _reuse_statement_vectors(store: IndexStore, wanted: dict, ids: list[str]
                             ) -> np.ndarray | None:
    """Statements are embedded once per framework version and model: a rebuild takes their
    vectors from the current version when both are unchanged."""
    current = store.manifest()
    if not current or any(current.get(k) != wanted.get(k) for k in BASIS):
        return None
    try:
        loaded = store.load()
    except (OSError, RuntimeError, ValueError):
        return None
    return loaded.capability_vectors if loaded.capability_ids == ids else None


_CURATED = select(ResourceCapability.resource_id).where(ResourceCapability.source == "curated")
_CURATED_FIRST = case((Resource.id.in_(_CURATED), 0), else_=1)
_RESOURCE_FIELDS = select(Resource.id, Resource.title, Resource.description, Resource.topics,
                          Resource.level, Resource.archetypes, Resource.labels)


@dataclass
class Encoded:
    ids: np.ndarray
    texts: list[str]
    vectors: np.ndarray
    suggestions: dict[int, list[tuple[str, float]]]
    labels: list[dict]  # inferred archetypes and levels to store: {id, archetypes, level, labels}
    reviewed: dict[int, list[tuple[str, float]]]  # among statements a new version changed


def _encode(rows, encoder: Encoder, suggester: Suggesters,
            inferrer: Callable[[], LabelInferrer], curated: dict[int, tuple[str, ...]]
            ) -> Encoded:
    """Vectors for a batch of resource rows, the archetypes and level of those whose source
    did not state them, and suggested statements for each; the curated ones among them
    become the suggester's labelled examples first."""
    ids = np.array([r.id for r in rows], dtype=np.int64)
    texts = [resource_text(r.title, r.description, r.topics) for r in rows]
    encoded = encoder.encode(texts)
    examples = [i for i, rid in enumerate(ids.tolist()) if rid in curated]
    if examples:
        suggester.learn(Examples(encoded[examples], [curated[int(ids[i])] for i in examples]))
    labels = infer_labels(rows, encoded, texts, inferrer)
    inferred = {update["id"]: update for update in labels}
    candidates = [Candidate(t, *((inferred[r.id]["level"], inferred[r.id]["archetypes"])
                                 if r.id in inferred else (r.level, r.archetypes)))
                  for t, r in zip(texts, rows, strict=True)]
    suggested = suggester.suggest(encoded, candidates, ids.tolist())
    reviewed = suggester.reviewed(encoded, candidates, ids.tolist())
    return Encoded(ids, texts, encoded, dict(zip(ids.tolist(), suggested, strict=True)), labels,
                   dict(zip(ids.tolist(), reviewed, strict=True)))
