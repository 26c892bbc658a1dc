"""One search: execute, filter, rank or sort by date, cut the page.

The step between the engine's plan (a parsed query, the filters' allowed documents,
the sort) and its presentation (stored fields, snippets): :func:`rank` returns the
document numbers of the first ``k`` hits in result order and the exact total. The
matches come from the array executor, or from whoosh's matchers for a form the
executor leaves to whoosh (:class:`~searchcore.execution.executor.Unsupported`);
either way they are put in order by :mod:`searchcore.execution.order` (sort key,
then article id), so the order never depends on which path ran, nor on document
numbers (a sharded index ranks each shard with this same function).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Collection

import numpy as np

from whoosh import collectors

from searchcore.execution import topk
from searchcore.execution.columns import NO_DATE, epoch_us
from searchcore.execution.executor import Executor, Hits, Unsupported, recency
from searchcore.execution.order import id_keys, ordered, primary_key
from searchcore.query.budget import with_deadline


def _hits(searcher: Any, q: Any, allowed: Collection[int] | None,
          scored: bool, best_of: int | None = None, executor: Executor | None = None
          ) -> tuple[Executor, Hits, int | None] | None:
    """Every live match of ``q`` within ``allowed`` (recency applied when scored), and
    None; or None when whoosh must answer (a form or a weighting the executor does
    not run). ``best_of=k``: only what can be among the ``k`` best may be returned
    (:mod:`searchcore.execution.topk`), with how many matches were seen (a lower
    bound of the total) in place of the None when some were skipped. ``executor``:
    one that ran on ``searcher`` before (a retry with a larger ``best_of``): the
    postings it read are not read again."""
    weighting = searcher.weighting
    final = getattr(weighting, "use_final", False)
    if final and not hasattr(weighting, "half_life_days"):
        return None                          # a final() we do not know
    try:
        if executor is None or executor.searcher is not searcher \
                or executor.weighting is not weighting:
            executor = Executor(searcher, weighting)
        keep = None
        if allowed is not None:
            keep = np.zeros(executor.doc_count, dtype=bool)
            keep[np.fromiter(allowed, dtype=np.int64, count=len(allowed))] = True
        pruned = None
        if scored and best_of is not None and (not final or 0.0 <= weighting.weight <= 1.0):
            eligible = executor.columns.live if keep is None else keep & executor.columns.live
            rescore = None
            if final:
                def rescore(docs: np.ndarray, scores: np.ndarray) -> np.ndarray:
                    return recency(Hits(docs, scores), executor.columns, weighting).scores
            pruned = topk.best(executor, q, best_of, eligible, rescore)
        if pruned is not None:
            hits, known = pruned
            if not executor.columns.all_live:
                live = executor.columns.live[hits.docs]
                hits = Hits(hits.docs[live], hits.scores[live])
        else:
            hits, known = executor.run(q, scored=scored), None
    except Unsupported:
        return None
    if keep is not None:
        mask = keep[hits.docs]
        hits = Hits(hits.docs[mask], hits.scores[mask])
    if scored and final:
        hits = recency(hits, executor.columns, weighting)
    return executor, hits, known


def rank(searcher: Any, q: Any, allowed: Collection[int] | None, sort: str,
         k: int | None, exact_total: bool = True, arrays: bool = True
         ) -> tuple[list[tuple[int, float | None]], int, bool]:
    """``([(docnum, score or None)] for the first k (None: all), total, exact)`` in
    result order.

    ``sort``: ``relevance`` (score, then article id), ``newest`` or ``oldest``
    (``published``, undated last, then article id; scores are not given).
    ``exact_total=False`` lets the search skip what cannot reach the first ``k``
    (the executor's MaxScore over an OR, :mod:`searchcore.execution.topk`; whoosh's
    block-quality pruning for the forms the executor does not run): faster, and
    ``total`` is then only a lower bound (``exact`` False) when something was
    skipped. ``arrays=False``: whoosh's matchers for every form (the reference the
    equivalence tests compare the executor with).
    """
    docs, scores, total, exact = matches(searcher, q, allowed, sort, k, exact_total, arrays)
    # Only the candidates' id keys are gathered (``at``), not every match's.
    pick = ordered(primary_key(searcher, sort, docs, scores), id_keys(searcher), k, at=docs)
    best = docs[pick].tolist()
    if scores is None:
        return [(d, None) for d in best], total, exact
    return list(zip(best, scores[pick].tolist())), total, exact


def matches(searcher: Any, q: Any, allowed: Collection[int] | None, sort: str,
            k: int | None, exact_total: bool = True, arrays: bool = True
            ) -> tuple[np.ndarray, np.ndarray | None, int, bool]:
    """``(docs, scores or None, total, exact)``: what :func:`rank` orders, unordered.

    Every match (``exact`` True), or with pruning (``exact_total=False``, a ``k``)
    every document that can be among the ``k`` first, each with its exhaustive score
    (``total`` then a lower bound). ``scores`` is None for the date sorts.
    """
    return matches_by(searcher, q, allowed, sort, k, exact_total, arrays)[:4]  # type: ignore[return-value]


def matches_by(searcher: Any, q: Any, allowed: Collection[int] | None, sort: str,
               k: int | None, exact_total: bool = True, arrays: bool = True,
               executor: Executor | None = None
               ) -> tuple[np.ndarray, np.ndarray | None, int, bool, Executor | None]:
    """:func:`matches` and the executor that found them (None: whoosh did), whose
    postings, already read, :func:`scored_among` can score more documents from (and
    a retry with a larger ``k`` can be given back as ``executor``)."""
    if allowed is not None and not allowed:
        return (np.zeros(0, np.int64), (np.zeros(0) if sort == "relevance" else None), 0, True,
                None)
    scored = sort == "relevance"
    prune = scored and not exact_total and k is not None
    found = _hits(searcher, q, allowed, scored=scored, best_of=k if prune else None,
                  executor=executor) if arrays else None
    exact = True
    executor = None
    if found is not None:
        executor = found[0]
        docs, scores = found[1].docs, found[1].scores
        known = found[2]
        total, exact = (len(docs), True) if known is None else (max(len(docs), known), False)
        if known is None:                 # only a complete match set serves the facets
            remember_matches(searcher, q, allowed, docs)
    elif prune:
        assert k is not None
        docs, scores, total = _whoosh_best(searcher, q, allowed, k)
        exact = False
    else:
        docs, scores = whoosh_matches(searcher, q, allowed)
        total = len(docs)
    return docs, (scores if scored else None), total, exact, executor


def scored_among(searcher: Any, q: Any, allowed: Collection[int] | None,
                 docs: np.ndarray, executor: Executor | None = None
                 ) -> tuple[np.ndarray, np.ndarray] | None:
    """The live matches of ``q`` among ``docs`` (sorted global numbers) within
    ``allowed``, each scored as :func:`rank` scores it; None when only a whole
    evaluation can tell (a form :meth:`Executor.within` does not restrict).

    ``executor``: the one that ran ``q`` on ``searcher`` (:func:`matches_by`): the
    postings it read are not read again, and of the others only the blocks that can
    hold ``docs`` are (:meth:`Executor.postings_among`)."""
    weighting = searcher.weighting
    final = getattr(weighting, "use_final", False)
    if final and not hasattr(weighting, "half_life_days"):
        return None
    try:
        if executor is None or executor.searcher is not searcher:
            executor = Executor(searcher, weighting)
        hits = executor.within(q, True, docs)
    except Unsupported:
        return None
    if hits is None:
        return None
    keep = executor.columns.live[hits.docs]
    if allowed is not None:
        keep &= np.fromiter((d in allowed for d in hits.docs.tolist()), bool, len(hits.docs))
    hits = Hits(hits.docs[keep], hits.scores[keep])
    if final:
        hits = recency(hits, executor.columns, weighting)
    return hits.docs, hits.scores


_LAST_MATCHES = "_searchcore_last_matches"


def remember_matches(searcher: Any, q: Any, allowed: Collection[int] | None,
                     docs: np.ndarray) -> None:
    """Keep the match set of the last ranked query on the searcher (one entry), so the
    facets of the same search count it instead of running the query again."""
    setattr(searcher, _LAST_MATCHES, (q, allowed, docs))


def remembered_matches(searcher: Any, q: Any,
                       allowed: Collection[int] | None) -> np.ndarray | None:
    """The sorted matches :func:`rank` found for this very query and filter object
    (compared by identity: the same search), else None."""
    last = getattr(searcher, _LAST_MATCHES, None)
    if last is None or last[0] is not q or last[1] is not allowed:
        return None
    docs: np.ndarray = last[2]
    return docs


def _whoosh_best(searcher: Any, q: Any, allowed: Collection[int] | None,
                 k: int) -> tuple[np.ndarray, np.ndarray, int]:
    """whoosh's pruning top-``k`` (block quality, matcher replacement) and the count of
    what it saw, a lower bound of the total."""
    collector: collectors.Collector = with_deadline(collectors.TopCollector(k))
    if allowed is not None:
        collector = collectors.FilterCollector(collector, allow=allowed)
    searcher.search_with_collector(q, collector)
    results = collector.results()
    items = results.top_n                       # (score, docnum)
    total = max(results.scored_length(), getattr(results.collector, "total", 0))
    return (np.fromiter((d for _, d in items), np.int64, len(items)),
            np.fromiter((s for s, _ in items), np.float64, len(items)), total)


def whoosh_matches(searcher: Any, q: Any,
                    allowed: Collection[int] | None) -> tuple[np.ndarray, np.ndarray]:
    """Every match's document number and score through whoosh's matchers (for the
    forms the executor does not run), under the query budget's deadline."""
    collector: collectors.Collector = with_deadline(collectors.UnlimitedCollector())
    if allowed is not None:
        collector = collectors.FilterCollector(collector, allow=allowed)
    searcher.search_with_collector(q, collector)
    items = collector.results().top_n            # (score, docnum)
    return (np.fromiter((d for _, d in items), np.int64, len(items)),
            np.fromiter((s for s, _ in items), np.float64, len(items)))


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
