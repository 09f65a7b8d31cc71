"""Looking up resource ids in a sorted id array (index versions, snapshots, candidate pools)."""

from __future__ import annotations

import numpy as np


def locate(sorted_ids: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position, found): where each wanted id sits in ``sorted_ids``; a position is only
    meaningful where ``found`` is true."""
    wanted = np.asarray(wanted, dtype=np.int64)
    if not len(sorted_ids):
        return np.zeros(len(wanted), dtype=np.int64), np.zeros(len(wanted), dtype=bool)
    where = np.minimum(np.searchsorted(sorted_ids, wanted), len(sorted_ids) - 1)
    return where, sorted_ids[where] == wanted
