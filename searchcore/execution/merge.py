"""Merging what several parts (shards) found into what one index would have found.

* **Ranked hits**: each part returns its best ``k`` in the final order -- score (or
  date) first, then the article id, never a document number, since parts number
  documents independently -- so the best ``k`` overall are the first ``k`` of a
  merge of the parts' lists (:func:`merge_ranked`).
* **Facets**: each part counts every value of its matches (:func:`count_facets`: a
  part's own top 10 could miss a value that is 11th everywhere and first overall);
  the counts are summed, then ranked and cut to the limit; date facets are computed
  once over the bucket numbers of every part's matches, so empty buckets
  between two parts' ranges are there too (:func:`merge_facets`). The counts are
  plain data, so a part counted on a Dask worker merges the same way.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from searchcore.news.facets import (DATE_FACETS, Facet, FacetBucket, check_facets, units_facet,
                                    value_facet)


def merge_ranked(parts: Sequence[Iterable[tuple[Any, ...]]]) -> Iterator[tuple[Any, ...]]:
    """The items of every part's list (each sorted ascending by its first fields: a
    sort key, then the id) in one sorted stream; each item keeps its fields."""
    if len(parts) == 1:
        return iter(parts[0])
    return heapq.merge(*parts)


@dataclass(frozen=True)
class FacetCounts:
    """One part's facet counts: every value's, and its matches' dates."""

    #: Per value facet: ``value -> count`` (every value, not a top few).
    values: dict[str, dict[str, int]]
    #: Per value facet: matches with no value.
    missing: dict[str, int]
    #: Per date facet: the matches' bucket numbers (``NewsColumns.date_units``, the
    #: same numbering in every part; ``NO_UNIT`` undated).
    units: dict[str, np.ndarray]


def count_facets(columns: Any, docs: np.ndarray, names: Sequence[str]) -> FacetCounts:
    """The counts behind the facets ``names`` over the matches ``docs`` of one part."""
    values: dict[str, dict[str, int]] = {}
    missing: dict[str, int] = {}
    units: dict[str, np.ndarray] = {}
    for name in names:
        if name in DATE_FACETS:
            units[name] = columns.date_units(name)[docs]
            continue
        column = getattr(columns, name)
        facet = value_facet(column, docs, name, len(column.labels) + 1)
        values[name] = {bucket.value: bucket.count for bucket in facet.buckets}
        missing[name] = facet.missing
    return FacetCounts(values, missing, units)


def merge_facets(parts: Sequence[FacetCounts], names: Sequence[str],
                 limit: int) -> dict[str, Facet]:
    """The facets ``names`` over every part's counts."""
    out: dict[str, Facet] = {}
    for name in check_facets(names, limit):
        if name in DATE_FACETS:
            units = [p.units[name] for p in parts if name in p.units]
            out[name] = units_facet(np.concatenate(units) if units
                                    else np.zeros(0, np.int64), name)
            continue
        counts: dict[str, int] = {}
        for part in parts:
            for value, n in part.values[name].items():
                counts[value] = counts.get(value, 0) + n
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        out[name] = Facet(name, tuple(FacetBucket(v, c) for v, c in ranked[:limit]),
                          other=sum(c for _, c in ranked[limit:]),
                          missing=sum(p.missing[name] for p in parts))
    return out
