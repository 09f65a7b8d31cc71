"""What a request's words cost, kept for the next request with the same words: each text's
vector, and its nearest resources in the served version's vectors and in the full-text index.

A text's vector is a function of the model and the text alone: each text is encoded on its
own (not padded into a batch with another request's words), so a kept vector is the one the
text would get again. Its nearest resources are a function of the vector and the index
version, which never changes once published (a change makes a new version, deltas included),
so they are kept per version. Its full-text hits are read from the database, which an edit
changes before its delta is published: they are kept per version too, so a request's lexical
leg reads the catalogue as of the version's first request for those words, as its dense leg
reads the version's vectors (a few seconds at most before the next delta's version drops
them). Gaps in words repeat: the same learner's next page or refresh, and the texts a
questionnaire or a client sends (figures: docs/ranking.md, "Latency").
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence

import numpy as np
from sqlalchemy.orm import Session

from indexes.embedding import Encoder
from indexes.store import IndexVersion
from recommender.indexing.snapshot import Snapshot
from recommender.ranking import gap_signals

TEXTS_KEPT = 4096  # per kind: a vector is 1.5 KB, a text's hits about 5 KB
GOAL_DEPTH = 100   # nearest resources searched for each text


class Kept:
    """A bounded map kept in least-recently-used order, safe across a worker's threads."""

    def __init__(self, size: int = TEXTS_KEPT) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> object | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Hashable, value: object) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_vectors = Kept()
_hits = Kept()


def encoded(encoder: Encoder, texts: Sequence[str]) -> dict[str, np.ndarray]:
    """Each text's vector by ``encoder``, each encoded on its own (or kept from before)."""
    out = {}
    for text in texts:
        key = (encoder.name, text)
        vector = _vectors.get(key)
        if vector is None:
            vector = encoder.encode([text])[0]
            vector.setflags(write=False)
            _vectors.put(key, vector)
        out[text] = vector
    return out


def searched(index: IndexVersion, snapshot: Snapshot, session: Session, texts: Sequence[str],
             vectors: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, dict[int, int]]]:
    """Each text's nearest resources in ``index`` (ids, -1 for none) and its full-text hits
    (resource id -> rank), the texts not kept from before searched in one batch."""
    keys = {text: (index.name, snapshot.version, text) for text in texts}
    out = {text: _hits.get(key) for text, key in keys.items()}
    missing = [text for text, found in out.items() if found is None]
    if missing:
        # below FAISS's threshold of 20 queries a batch runs query by query, so a text's hits
        # do not depend on the texts searched with it; at 20 or more, one matrix product, as
        # before, whose rounding may differ in the last bit
        _, found = index.vectors.search(np.stack([vectors[t] for t in missing]), GOAL_DEPTH)
        for text, ids in zip(missing, found, strict=True):
            ids = ids.copy()
            ids.setflags(write=False)
            out[text] = (ids, gap_signals.text_hits(session, text, snapshot))
            _hits.put(keys[text], out[text])
    return out
