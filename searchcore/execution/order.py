"""The order of results, in one place: sort key first, then the article id.

Every ranked list (``Index.search`` pages on the arrays or through whoosh, stories
collapsed, exports, cursors, a sharded index's merge) is ordered by :func:`sort_key`
ascending, ties by :func:`id_keys`:

* ``relevance``: score descending;
* ``newest``: date descending, undated last;
* ``oldest``: date ascending, undated last.

Two hits with the same score (or the same date) are ordered by article id, not by
document number. Document numbers are an accident of how an index was written --
input order, which batch a replaced article landed in, which shard of a sharded
index holds it (each shard numbers from 0) -- and a merge of shards can only agree
with one index on an order that both can compute: the id is the article's own.

``id_keys(searcher)[docnum]`` (each document's article id) is the id's UTF-8 bytes as a numpy ``S`` value (bytes
compare as code points, so shards and the single index agree), read from the side
postings of the ``id`` field (:mod:`searchcore.execution.postings`: each id term's
document numbers) without touching stored fields, and kept per segment reader.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from searchcore.execution.postings import segment_postings
from searchcore.whoosh_boundary.segments import leaf_readers

from searchcore.execution.columns import NO_DATE, columns_for

#: The date key of an undated article: after every date in both date orders.
UNDATED_KEY = np.iinfo(np.int64).max
_READER_ATTR = "_searchcore_id_keys"


def id_keys(searcher: Any) -> np.ndarray:
    """Per global document number of ``searcher``: its article id as bytes (``S``)."""
    holder = searcher.reader()          # kept on the reader, as the columns are
    found = getattr(holder, _READER_ATTR, None)
    if found is not None:
        return found
    parts = [(segment_keys(reader), offset) for reader, offset in leaf_readers(searcher)]
    width = max([p.dtype.itemsize for p, _ in parts] + [1])
    keys = np.zeros(searcher.doc_count_all(), dtype=f"S{width}")
    for part, offset in parts:
        keys[offset:offset + len(part)] = part
    setattr(holder, _READER_ATTR, keys)
    return keys


def segment_keys(reader: Any) -> np.ndarray:
    """One segment's ids by local document number (deleted ones keep theirs).

    Not kept: :func:`id_keys` copies them into its array, which is (8 MB at 1M
    articles; a second copy per segment doubled it).
    """
    doc_count = reader.doc_count_all()
    fp = segment_postings(reader).field("id")
    if fp is None or not len(fp):
        keys = np.zeros(doc_count, dtype="S1")
    else:
        fp = fp.checked_whole()                 # reads every posting list of the field
        blob = np.asarray(fp.terms, dtype=np.uint8)
        termoff = np.asarray(fp.termoff, dtype=np.int64)
        lengths = np.diff(termoff)
        n = len(lengths)
        width = max(int(lengths.max()), 1)
        matrix = np.zeros((n, width), dtype=np.uint8)
        rows = np.repeat(np.arange(n), lengths)
        cols = np.arange(termoff[0], termoff[-1]) - np.repeat(termoff[:-1], lengths)
        matrix[rows, cols] = blob[termoff[0]:termoff[-1]]
        term_keys = matrix.view(f"S{width}").ravel()
        docoff = np.asarray(fp.docoff, dtype=np.int64)
        owners = np.repeat(np.arange(n), np.diff(docoff))
        keys = np.zeros(doc_count, dtype=f"S{width}")
        keys[np.asarray(fp.docs, dtype=np.int64)[docoff[0]:docoff[-1]]] = term_keys[owners]
    return keys


def sort_key(sort: str, scores: np.ndarray | None, published_us: np.ndarray | None) -> np.ndarray:
    """The primary key (ascending) of matches: ``-score``, or a date key per ``sort``."""
    if sort == "relevance":
        assert scores is not None
        return -np.asarray(scores, dtype=np.float64)
    assert published_us is not None
    us = np.asarray(published_us, dtype=np.int64)
    undated = us == NO_DATE
    return np.where(undated, UNDATED_KEY, -us if sort == "newest" else us)


def primary_key(searcher: Any, sort: str, docs: np.ndarray,
                scores: np.ndarray | None) -> np.ndarray:
    """:func:`sort_key` of the matches ``docs`` (their ``scores`` for relevance)."""
    if sort == "relevance":
        return sort_key(sort, scores, None)
    return sort_key(sort, None, columns_for(searcher).published_us[docs])


def result_keys(searcher: Any, sort: str, docs: np.ndarray,
                scores: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """``(primary, ties)`` of the matches ``docs``: what :func:`ordered` orders by."""
    return primary_key(searcher, sort, docs, scores), id_keys(searcher)[docs]


def ordered(primary: np.ndarray, ties: np.ndarray, k: int | None = None,
            at: np.ndarray | None = None) -> np.ndarray:
    """Positions of the first ``k`` (all: None) items by ``(primary, ties)``.

    ``at``: item ``i``'s tie key is ``ties[at[i]]`` (``ties`` the whole
    :func:`id_keys` array, ``at`` the matches' document numbers): only the
    candidates' keys are gathered, not every match's (16 bytes a match: 3 ms for a
    common word at 1M articles, to order ten).
    """
    n = len(primary)
    if k is not None and n > k:
        cut = np.partition(primary, k - 1)[k - 1]       # the k-th smallest key
        candidates = np.flatnonzero(primary <= cut)
    else:
        candidates = np.arange(n)
    keys = ties[candidates] if at is None else ties[at[candidates]]
    order = np.lexsort((keys, primary[candidates]))
    return candidates[order if k is None else order[:k]]
