"""Curator pages, for a signed-in key with catalogue:write (or admin): browse and search the
catalogue, edit a resource's mapping, review suggested mappings and near-duplicates, import
files and watch the index update, see the index's status."""

from recommender.web.curator import (  # noqa: F401  (each module registers its pages on bp)
    catalogue,
    held,
    imports,
    index,
    labels,
    review,
)
from recommender.web.curator.blueprint import bp

__all__ = ["bp"]
