"""One search on the arrays: execute, filter, rank or sort by date, cut the page.

The step between the engine's plan (a parsed query, the filters' allowed documents,
the sort) and its presentation (stored fields, snippets): :func:`execute_search`
returns the ranked document numbers of the first ``k`` hits and the exact total, or
``None`` when the query holds a form the executor leaves to whoosh
(:class:`~searchcore.execution.executor.Unsupported`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Collection

import numpy as np

from searchcore.execution.columns import NO_DATE, epoch_us
from searchcore.execution.executor import Executor, Hits, Unsupported, by_date, recency, top_k


def _hits(searcher: Any, q: Any, allowed: Collection[int] | None,
          scored: bool) -> tuple[Executor, Hits] | None:
    """Every live match of ``q`` within ``allowed`` (recency applied when scored), or
    None when whoosh must answer (a form or a weighting the executor does not run)."""
    weighting = searcher.weighting
    final = getattr(weighting, "use_final", False)
    if final and not hasattr(weighting, "half_life_days"):
        return None                          # a final() we do not know
    try:
        executor = Executor(searcher, weighting)
        hits = executor.run(q, scored=scored)
    except Unsupported:
        return None
    if allowed is not None:
        keep = np.zeros(executor.doc_count, dtype=bool)
        keep[np.fromiter(allowed, dtype=np.int64, count=len(allowed))] = True
        mask = keep[hits.docs]
        hits = Hits(hits.docs[mask], hits.scores[mask])
    if scored and final:
        hits = recency(hits, executor.columns, weighting)
    return executor, hits


def execute_search(searcher: Any, q: Any, allowed: Collection[int] | None, sort: str,
                   k: int) -> tuple[list[tuple[int, float | None]], int] | None:
    """``([(docnum, score or None)] for the first k, total)``, or None to ask whoosh.

    ``sort``: ``relevance`` (score, then document number, as whoosh's collector),
    ``newest`` or ``oldest`` (``published``, undated last; scores are not given).
    """
    found = _hits(searcher, q, allowed, scored=sort == "relevance")
    if found is None:
        return None
    executor, hits = found
    total = len(hits)
    if sort != "relevance":
        docs = by_date(hits, executor.columns, sort == "newest", k)
        return [(int(d), None) for d in docs], total
    docs, scores = top_k(hits, k)
    return [(int(d), float(s)) for d, s in zip(docs, scores)], total


def scored_matches(searcher: Any, q: Any,
                   allowed: Collection[int] | None) -> tuple[np.ndarray, np.ndarray] | None:
    """Every match's document number (sorted) and score as ``Index.search`` ranks it,
    or None to ask whoosh: what an export in relevance order needs."""
    found = _hits(searcher, q, allowed, scored=True)
    return None if found is None else (found[1].docs, found[1].scores)


def matching_docnums(searcher: Any, q: Any) -> np.ndarray | None:
    """Sorted global numbers of every live match of ``q`` (no scores), or None to ask
    whoosh: what facets, timelines and significant terms count."""
    found = _hits(searcher, q, None, scored=False)
    return None if found is None else found[1].docs


def allowed_docnums(searcher: Any, queries: list[Any], since: datetime | None,
                    until: datetime | None) -> np.ndarray | None:
    """Live documents matching every filter query and ``[since, until)`` (naive UTC),
    sorted; None when there is no filter. Undated documents fail any date bound."""
    if not queries and since is None and until is None:
        return None
    try:
        executor = Executor(searcher, searcher.weighting)
    except Unsupported:                       # another weighting: ask whoosh
        return _whoosh_allowed(searcher, queries, since, until)
    docs: np.ndarray | None = None
    for q in queries:
        try:
            found = executor.run(q, scored=False).docs
        except Unsupported:
            found = np.fromiter(sorted(searcher.docs_for_query(q)), dtype=np.int64)
        docs = found if docs is None else np.intersect1d(docs, found, assume_unique=True)
    if since is not None or until is not None:
        us = executor.columns.published_us
        ok = (us != NO_DATE) & executor.columns.live
        if since is not None:
            ok &= us >= epoch_us(since)
        if until is not None:
            ok &= us < epoch_us(until)
        found = np.flatnonzero(ok).astype(np.int64)
        docs = found if docs is None else np.intersect1d(docs, found, assume_unique=True)
    return docs


def _whoosh_allowed(searcher: Any, queries: list[Any], since: datetime | None,
                    until: datetime | None) -> np.ndarray:
    """:func:`allowed_docnums` through whoosh (the columns still give the dates)."""
    from searchcore.execution.columns import columns_for

    cols = columns_for(searcher)
    ok = cols.live.copy()
    for q in queries:
        mask = np.zeros(len(ok), dtype=bool)
        mask[np.fromiter(searcher.docs_for_query(q), dtype=np.int64)] = True
        ok &= mask
    us = cols.published_us
    if since is not None:
        ok &= (us != NO_DATE) & (us >= epoch_us(since))
    if until is not None:
        ok &= (us != NO_DATE) & (us < epoch_us(until))
    return np.flatnonzero(ok).astype(np.int64)
