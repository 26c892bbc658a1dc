"""Merging what the shards found into what one index would have found.

* **Ranked hits**: each shard returns its best ``k`` in the final order -- score (or
  date) first, then the article id, never a document number, since shards number
  documents independently -- so the best ``k`` overall are the first ``k`` of a
  merge of the shards' lists (:func:`merge_ranked`).
* **Facets**: value facets are counted per shard over all values, summed, then
  ranked and cut to the limit (a shard's own top 10 could miss a value that is
  11th everywhere and first overall); date facets are computed once over the
  ``published`` values of every shard's matches, so empty buckets between two
  shards' ranges are there too (:func:`merge_facets`).
"""

from __future__ import annotations

import heapq
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from searchcore.news.facets import (DATE_FACETS, Facet, FacetBucket, check_facets, date_facet,
                                    value_facet)


def merge_ranked(parts: Sequence[Iterable[tuple[Any, ...]]]) -> Iterator[tuple[Any, ...]]:
    """The items of every shard's list (each sorted ascending by its first fields: a
    sort key, then the id) in one sorted stream; each item keeps its fields."""
    return heapq.merge(*parts)


def merge_facets(matches: Sequence[tuple[Any, np.ndarray]], names: Sequence[str],
                 limit: int) -> dict[str, Facet]:
    """The facets ``names`` over every shard's matches: ``[(news columns, docnums)]``."""
    out: dict[str, Facet] = {}
    for name in check_facets(names, limit):
        if name in DATE_FACETS:
            published = [columns.published[docs] for columns, docs in matches]
            out[name] = date_facet(np.concatenate(published) if published
                                   else np.zeros(0, "datetime64[us]"), name)
            continue
        counts: dict[str, int] = {}
        missing = 0
        for columns, docs in matches:
            column = getattr(columns, name)
            facet = value_facet(column, docs, name, len(column.labels) + 1)
            missing += facet.missing
            for bucket in facet.buckets:
                counts[bucket.value] = counts.get(bucket.value, 0) + bucket.count
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        out[name] = Facet(name, tuple(FacetBucket(v, c) for v, c in ranked[:limit]),
                          other=sum(c for _, c in ranked[limit:]), missing=missing)
    return out
