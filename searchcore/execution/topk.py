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

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from whoosh import query as wq

from searchcore.execution.blocks import ceilings
from searchcore.execution.executor import Executor, Hits, _sum_union
from searchcore.scoring.bm25f import CombinedTerm, saturate
from searchcore.whoosh_boundary.segments import field_b

#: Ceilings and thresholds are compared with this relative margin, so that rounding
#: in a sum never prunes a document that ties the k-th.
_MARGIN = 1e-9
#: An OR (or one word) whose lists hold at most this many postings in all is scored
#: whole (None from :func:`best`; the exact total comes free): below it MaxScore's
#: bookkeeping (a threshold per clause taken, the candidates, the common words read
#: again among them) costs more than the postings it skips. Reuters' 3-word ORs
#: (at most ~5,000 postings): p50 0.59 ms scored whole, 0.93 ms pruned. The tests
#: set it to 0 so that MaxScore runs on their small indexes.
WHOLE_BELOW = 20_000
#: One word is read block by block only while the blocks that can still hold one of
#: the ``k`` best are at most this share of its blocks (:func:`best_word`).
BLOCKS_WORTH = 1 / 8


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
    if type(q) is CombinedTerm and k >= 1:
        return best_word(executor, q, k, eligible, final)
    clauses = _clauses(q)
    if clauses is None or k < 1 or _small(executor, clauses):
        return None
    bounds = [_bound(executor, c) for c in clauses]
    if all(b is None for b in bounds):
        return None
    # Every word's lists announced at once: on a cold cache they are read together
    # (those pruning then reads only in part are a few hundred kilobytes at most).
    executor.will_read([(name, btext) for c in clauses if type(c) is CombinedTerm
                        for name, btext, _ in executor._combined_parts(c)[0]])
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


def _small(executor: Executor, clauses: list[Any]) -> bool:
    """Do the clauses' lists hold at most :data:`WHOLE_BELOW` postings in all (each
    clause's cost known: words, ORs of words, date ranges)?"""
    if WHOLE_BELOW <= 0:
        return False
    total = 0.0
    for clause in clauses:
        cost = executor._cost(clause)
        total += cost
        if cost < 0 or total > WHOLE_BELOW:
            return False
    return True


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


# -- one word: block-max ----------------------------------------------------------------

@dataclass
class _Exact:
    """A field's postings read whole (global docs, their tf~ share, their block)."""

    docs: list[np.ndarray]
    values: list[np.ndarray]
    blocks: list[np.ndarray]


@dataclass
class _Blocked:
    """One segment's long list of a word, read a block at a time."""

    field: int
    name: str
    boost: float
    fp: Any
    term: int
    offset: int
    df: int
    first: int                  # global number of its first block
    size: int                   # postings a block


def best_word(executor: Executor, q: CombinedTerm, k: int, eligible: np.ndarray,
              final: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None
              ) -> tuple[Hits, int | None] | None:
    """:func:`best` for one word (a CombinedTerm): block-max over the per-block bounds
    of :mod:`searchcore.execution.blocks`, or None (no list of it has blocks: every
    list is short, or the index has none) to score it whole.

    In each segment the word's longest list with blocks is read a block at a time;
    its other fields' lists (titles: short) are read whole. A block's bound is BM25F's
    saturation of its ceiling (``boost * max tf / (1 - b + b * min length / avg)``)
    plus, per other field, the largest share of that field's documents within the
    block's document range. Blocks are taken highest bound first (2, 4, 8, ... at a
    time, adjacent ones read together), each scored with every field's share of its
    range's documents; once the k-th best eligible score beats the next bound, no
    document left can be among the ``k``. Every score is the one the whole lists give
    (the same per-field values, added by :func:`_sum_union` in the query's field
    order, saturated alike), so the results equal the exhaustive path's.
    """
    fields, weight = executor._combined_parts(q)
    if not fields or not weight > 0:
        return None
    if _small(executor, [q]):
        # Few postings: scored whole, as a small OR is. Block by block a common word
        # of a small index costs far more than its list (Reuters' "said", 15,000
        # postings, nearly every block visited: 6.1 ms against 0.39 whole).
        return None
    k1 = executor.k1
    # Per segment (by its first document number): the word's lists, longest first.
    lists: dict[int, list[tuple[int, str, float, Any, int, int]]] = {}
    for f, (name, btext, boost) in enumerate(fields):
        for fp, i, offset, _ in executor.located(name, btext):
            lists.setdefault(offset, []).append((f, name, boost, fp, i, fp.df(i)))
    blocked: list[_Blocked] = []
    rows_of: list[np.ndarray] = []
    total_blocks = 0
    chosen: dict[int, int] = {}                     # segment -> its blocked list's field
    for offset, found in sorted(lists.items()):
        sb = executor.blocks_at[offset]
        for f, name, boost, fp, i, df in sorted(found, key=lambda e: -e[5]):
            if df < sb.min_df:                 # this list and the shorter ones: no blocks
                break
            fb = sb.field(name, len(fp))
            rows = fb.of_term(i, df) if fb is not None else None
            if rows is not None:
                blocked.append(_Blocked(f, name, boost, fp, i, offset, df, total_blocks,
                                        fb.block))
                rows_of.append(rows)
                chosen[offset] = len(blocked) - 1
                total_blocks += len(rows)
                break
    if not blocked:
        return None                     # short lists only: score them whole
    exact = [_Exact([], [], []) for _ in fields]
    extra_of = [np.zeros(len(rows)) for rows in rows_of]
    for offset, found in sorted(lists.items()):
        b = blocked[chosen[offset]] if offset in chosen else None
        last = rows_of[chosen[offset]][:, 2] if b is not None else None
        for f, name, boost, fp, i, df in found:
            if b is not None and f == b.field:
                continue
            d, tf = fp.postings(i)
            docs = d.astype(np.int64) + offset
            values = boost * executor._norm_tf(name, docs, tf.astype(np.float64))
            if last is None:
                at = np.full(len(docs), -1, dtype=np.int64)
            else:
                local = np.searchsorted(last, d, "left")
                inside = local < len(last)
                np.maximum.at(extra_of[chosen[offset]], local[inside], values[inside])
                at = np.where(inside, local + b.first, -1)
            exact[f].docs.append(docs)
            exact[f].values.append(values)
            exact[f].blocks.append(at)
    # Each block's bound; size is the same for every segment written alike.
    bounds = np.empty(total_blocks)
    for b, rows, extra in zip(blocked, rows_of, extra_of):
        name = fields[b.field][0]
        avg = executor.stats.avg_field_length(name) or 1.0
        ceiling = b.boost * ceilings(rows, field_b(executor.weighting, name), avg)
        bounds[b.first:b.first + len(rows)] = saturate(weight, ceiling + extra, k1)
    owner = np.repeat(np.arange(len(blocked)), [len(r) for r in rows_of])
    merged = [(np.concatenate(e.docs), np.concatenate(e.values),
               np.concatenate(e.blocks)) if e.docs else None for e in exact]
    order = np.argsort(-bounds, kind="stable")
    found_docs: list[np.ndarray] = []
    found_scores: list[np.ndarray] = []
    taken = np.zeros(total_blocks + 1, dtype=bool)       # the last: "no block"
    taken[-1] = True
    position, step, threshold = 0, 2, -float("inf")
    while True:
        chunk = order[position:position + step]
        position += len(chunk)
        step *= 2
        now = np.zeros(total_blocks + 1, dtype=bool)
        now[chunk] = True
        if taken[-1]:
            now[-1] = True
            taken[-1] = False
        try:
            docs, scores = _score_blocks(executor, fields, weight, merged, blocked, owner,
                                         np.sort(chunk), now)
        except _BlocksUnfit:
            return None
        if len(docs):
            found_docs.append(docs)
            found_scores.append(scores)
        if position >= total_blocks:
            break
        all_docs = np.concatenate(found_docs) if found_docs else np.zeros(0, np.int64)
        all_scores = np.concatenate(found_scores) if found_scores else np.zeros(0)
        threshold = _kth(all_docs, all_scores, eligible, k, final, 1.0)
        if threshold > bounds[order[position]] * (1 + _MARGIN):
            break
        # The blocks that can still hold one of the k (the threshold only rises): when
        # they are a large share, pruning cannot pay (a block read on its own costs
        # several times its postings scored in the whole list), so the word is scored
        # whole. 100k articles, four segments: "said" (55k postings, 59% of its
        # blocks needed) 14.8 ms block by block, 3.5 ms whole.
        if np.count_nonzero(bounds * (1 + _MARGIN) >= threshold) > total_blocks * BLOCKS_WORTH:
            return None
    docs = np.concatenate(found_docs) if found_docs else np.zeros(0, np.int64)
    scores = np.concatenate(found_scores) if found_scores else np.zeros(0)
    sort = np.argsort(docs, kind="stable")
    docs, scores = docs[sort], scores[sort]
    if position >= total_blocks:
        return Hits(docs, scores), None
    return Hits(docs, scores), int(eligible[docs].sum())


def _score_blocks(executor: Executor, fields: list[tuple[str, bytes, float]], weight: float,
                  merged: list[tuple[np.ndarray, np.ndarray, np.ndarray] | None],
                  blocked: list[_Blocked], owner: np.ndarray, chunk: np.ndarray,
                  now: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact scores of every document in the ranges of the blocks ``chunk`` (sorted
    global block numbers; ``now`` flags them, its last entry "no block")."""
    pieces: list[list[tuple[np.ndarray, np.ndarray]]] = [[] for _ in fields]
    for f, part in enumerate(merged):
        if part is not None:
            docs, values, at = part
            keep = now[at]
            if keep.any():
                pieces[f].append((docs[keep], values[keep]))
    # Adjacent blocks of one list are read in one run.
    j = 0
    while j < len(chunk):
        b = blocked[owner[chunk[j]]]
        first = int(chunk[j]) - b.first
        end = first + 1
        while j + 1 < len(chunk) and owner[chunk[j + 1]] == owner[chunk[j]] \
                and int(chunk[j + 1]) - b.first == end:
            end += 1
            j += 1
        j += 1
        run = b.fp.postings_run(b.term, first * b.size, min(end * b.size, b.df))
        if run is None:
            raise _BlocksUnfit
        d, tf = run
        docs = d.astype(np.int64) + b.offset
        pieces[b.field].append(
            (docs, b.boost * executor._norm_tf(b.name, docs, tf.astype(np.float64))))
    parts = []
    for found in pieces:
        if not found:
            continue
        docs = np.concatenate([d for d, _ in found]) if len(found) > 1 else found[0][0]
        values = np.concatenate([v for _, v in found]) if len(found) > 1 else found[0][1]
        if len(found) > 1:
            order = np.argsort(docs, kind="stable")
            docs, values = docs[order], values[order]
        if len(docs):
            parts.append((docs, values))
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    docs, tf = _sum_union(parts, executor.doc_count)
    return docs, saturate(weight, tf, executor.k1)


class _BlocksUnfit(Exception):
    """A block's postings did not fit its list: the word is scored whole instead."""
