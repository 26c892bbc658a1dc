"""The best ``k`` matches of an OR without scoring every match: MaxScore.

An OR of words scores each document by the sum of its words' scores, and each word's
score has a ceiling: BM25F saturates, ``w * tf~ * (k1 + 1) / (tf~ + k1) < w * (k1 + 1)``
(``w`` the word's idf times its boost), whatever the document. MaxScore (Turtle and
Flood, 1995) uses the ceilings: the words are taken highest ceiling first, each
scored over its whole posting list, and after each one the ``k``-th best score so far
(a lower bound of the final ``k``-th best, the threshold) is compared with the sum of
the ceilings of the words not yet taken. Once the threshold is above that sum, a
document none of the words taken contains cannot reach the first ``k``: the remaining
words (the common ones, with low idf and the longest lists) are scored only on the
documents already found (the candidates), and candidates whose score so far plus
the remaining ceilings is below the threshold are dropped first. The cost follows the
rare words' lists and ``k``, not the longest list.

Scores are the exhaustive path's, bit for bit: every word is scored per document as
its whole list would score it, and the per-word scores are added in the query's
order (:func:`searchcore.execution.executor._sum_union`). What is lost is the count:
``total`` is then the number of candidates, a lower bound (``exact`` False). When no
word can be skipped the result is the exhaustive one, with its exact total.

Only relevance order without facets or export asks for this
(``Index.search(..., exact_total=False)``, the CLI without ``--exact-total``; story
collapse too, :mod:`searchcore.news.collapse`): the others need every match. Not yet: per-block ceilings (block-max WAND), which would
also prune one word's own list; the side postings have no block bounds yet.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
from whoosh import query as wq

from searchcore.execution.executor import Executor, Hits, _sum_union
from searchcore.scoring.bm25f import CombinedTerm

#: Ceilings and thresholds are compared with this relative margin, so that rounding
#: in a sum never prunes a document that ties the k-th.
_MARGIN = 1e-9


def _clauses(q: Any) -> list[Any] | None:
    """The clauses of an OR MaxScore can run, or None."""
    if type(q).__name__ != "Or" or not isinstance(q, wq.Or):
        return None
    if getattr(q, "scale", None) or getattr(q, "minmatch", 0) or q.boost < 0:
        return None
    subs = list(q.subqueries)
    return subs if len(subs) >= 2 else None


def _bound(executor: Executor, clause: Any) -> float | None:
    # Exact types: a CombinedPhrase is a CombinedTerm subclass, with no word ceiling.
    if type(clause) is CombinedTerm:
        return executor.combined_bound(clause)
    if type(clause) is wq.Term:
        return executor.term_bound(clause)
    return None                          # no ceiling known: scored over all its matches


def _within(executor: Executor, clause: Any, docs: np.ndarray) -> Hits:
    """``clause``'s scores on ``docs`` only (each as the whole list gives it)."""
    if type(clause) is CombinedTerm:
        return executor.combined_term(clause, True, within=docs)
    return executor.term(clause, True, within=docs)


def best(executor: Executor, q: Any, k: int, eligible: np.ndarray,
         final: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
         ) -> tuple[Hits, int | None] | None:
    """``(hits, known)``: every document that can be among the ``k`` best of ``q`` with
    its exhaustive score (deleted and ineligible ones included, as
    :meth:`Executor.eval` returns them); ``known`` None when they are all the
    matches, else how many eligible matches were seen (a lower bound of the total).

    ``eligible``: a bool per document, True for those that may be returned (live and
    within the filters): only they set the threshold. ``final(docs, scores)``: the
    final scores (the recency factor, at most 1: it never raises a score), or None.
    None when ``q`` is not an OR this runs.
    """
    clauses = _clauses(q)
    if clauses is None or k < 1:
        return None
    bounds = [_bound(executor, c) for c in clauses]
    if all(b is None for b in bounds):
        return None
    inf = float("inf")
    order = sorted(range(len(clauses)), key=lambda i: -(inf if bounds[i] is None else bounds[i]))
    rest = [0.0] * len(order)                  # ceilings of the clauses after position j
    for j in range(len(order) - 2, -1, -1):
        b = bounds[order[j + 1]]
        rest[j] = rest[j + 1] + (inf if b is None else b)
    boost = float(q.boost)
    scored: dict[int, Hits] = {}
    docs = np.zeros(0, dtype=np.int64)
    partial = np.zeros(0)
    stop = len(order)
    threshold = -inf
    for j, i in enumerate(order):
        hits = scored[i] = executor.eval(clauses[i], True)
        docs, partial = _sum_union([(docs, partial), (hits.docs, hits.scores)], executor.doc_count) \
            if len(docs) else (hits.docs, hits.scores)
        if j == len(order) - 1 or rest[j] == inf:
            continue
        threshold = _kth(docs, partial, eligible, k, final, boost)
        if threshold > rest[j] * boost * (1 + _MARGIN):
            stop = j + 1
            break
    if stop == len(order):
        exhaustive = [(scored[i].docs, scored[i].scores) for i in range(len(clauses))]
        all_docs, scores = _sum_union(exhaustive, executor.doc_count)
        return Hits(all_docs, scores * boost if boost != 1.0 else scores), None
    # Candidates: what the clauses taken found, less what cannot reach the threshold.
    ceiling = (partial + rest[stop - 1]) * boost * (1 + _MARGIN)
    seen = eligible[docs]
    candidates = docs[seen & (ceiling >= threshold)]
    parts = []
    for i, clause in enumerate(clauses):
        if i in scored:
            h = scored[i]
            at = np.searchsorted(candidates, h.docs)
            at[at == len(candidates)] = 0
            mask = candidates[at] == h.docs if len(candidates) else np.zeros(len(h.docs), bool)
            parts.append((h.docs[mask], h.scores[mask]))
        else:
            h = _within(executor, clause, candidates)
            parts.append((h.docs, h.scores))
    found, scores = _sum_union([p for p in parts if len(p[0])] or [parts[0]], executor.doc_count)
    return Hits(found, scores * boost if boost != 1.0 else scores), int(seen.sum())


def _kth(docs: np.ndarray, partial: np.ndarray, eligible: np.ndarray, k: int,
         final: Callable[[np.ndarray, np.ndarray], np.ndarray] | None, boost: float) -> float:
    """The ``k``-th best score so far among eligible documents (-inf if fewer): every
    one of them scores at least this much in the end."""
    ok = eligible[docs]
    if int(ok.sum()) < k:
        return -float("inf")
    values = partial[ok] * boost
    if final is not None:
        values = final(docs[ok], values)
    return float(np.partition(values, len(values) - k)[len(values) - k]) * (1 - _MARGIN)
