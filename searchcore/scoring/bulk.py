"""BM25F over whole posting lists at once, with numpy: the fast path for plain word queries.

whoosh scores one document at a time through a tree of Python matchers: a few dozen
microseconds of interpreted calls per matching posting, which is almost all of a
query's time (benchmarks/RESULTS.md). Queries of plain words (the common case: one
word, or words joined by AND or OR, ``match="any"`` or ``"all"``) need none of the
matcher machinery: each word's posting lists are read block by block into arrays and
scored with the same BM25F formula as :mod:`searchcore.scoring.bm25f`, term at a time, then
summed and ranked with numpy.

The results are whoosh's: the same documents, the same total, scores equal to the
last bit or two (whoosh adds a union's scores in a binary tree, we add them in query
order), ties broken by document number as whoosh's collector does. Anything else
(phrases, prefixes, NOT, date sorting, the recency boost, another weighting model)
returns ``None`` and goes through whoosh.

Reads whoosh 2.7.4's W3 posting blocks directly (whoosh is pinned; see
index/fastwriter.py, which writes them); a reader of another codec falls back.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher

from searchcore.scoring.bm25f import CombinedTerm, combined_doc_frequency, saturate
from searchcore.execution.segment_arrays import deleted_docnums, field_lengths, reader_cache


class _Fallback(Exception):
    """This query or index needs whoosh's matchers."""


def top_documents(searcher: Any, q: wq.Query, allowed: set[int] | None,
                  limit: int) -> tuple[list[tuple[int, float]], int] | None:
    """``([(docnum, score)] best first, total)`` for ``q``, or ``None`` if not eligible.

    ``allowed``: the document numbers a filter lets through (None: all). ``limit``:
    how many of the best to return. The total counts every match.
    """
    weighting = searcher.weighting
    # combine_fields (and combined_idf with it) is set by searchcore.scoring.ranking.weighting.
    if not getattr(weighting, "combine_fields", False) or weighting.use_final:
        return None
    clauses, need_all = _clauses(q)
    if clauses is None:
        return None
    try:
        return _score(searcher, weighting, clauses, need_all, allowed, limit)
    except _Fallback:
        return None


def _clauses(q: wq.Query) -> tuple[list[wq.Query] | None, bool]:
    """The words of a flat ``Or``/``And`` of words (or one word), and whether all must match."""
    if _is_word(q):
        return [q], True
    if type(q) in (wq.Or, wq.And) and q.boost == 1.0 and q.subqueries:
        if all(_is_word(sub) for sub in q.subqueries):
            return list(q.subqueries), type(q) is wq.And
    return None, False


def _is_word(q: wq.Query) -> bool:
    if type(q) is CombinedTerm:
        return all(type(t) is wq.Term for t in q.subqueries)
    return type(q) is wq.Term


def _score(searcher: Any, weighting: Any, clauses: list[wq.Query], need_all: bool,
           allowed: set[int] | None, limit: int) -> tuple[list[tuple[int, float]], int]:
    doc_count = searcher.doc_count_all()
    k1 = weighting.K1
    scores = np.zeros(doc_count, dtype=np.float64)
    hits = np.zeros(doc_count, dtype=np.int32)
    leaves = searcher.leaf_searchers()
    for clause in clauses:
        terms = clause.subqueries if type(clause) is CombinedTerm else [clause]
        # For a lone Term the field weight is its boost, applied to the score; inside a
        # CombinedTerm it weighs the frequency (as searchcore.scoring.bm25f does).
        combined = type(clause) is CombinedTerm
        boost = clause.boost if combined else terms[0].boost
        tf = np.zeros(doc_count, dtype=np.float64)
        frequencies: list[tuple[bytes, int]] = []
        for term in terms:
            name = term.fieldname
            if name not in searcher.schema or (combined and term.boost <= 0):
                continue
            field = searcher.schema[name]
            if not field.scorable:
                raise _Fallback
            try:
                text = field.to_bytes(term.text)
            except ValueError:
                continue
            frequencies.append((text, searcher.doc_frequency(name, text)))
            b = weighting._field_B.get(name, weighting.B)
            avg = searcher.avg_field_length(name) or 1.0
            field_weight = float(term.boost) if combined else 1.0
            for leaf, offset in leaves:
                reader = leaf.reader()
                if (name, text) not in reader:
                    continue
                ids, freqs = _postings(reader, name, text)
                lengths = field_lengths(reader, name)[ids]
                tf[ids + offset] += field_weight * freqs / (1.0 - b + b * lengths / avg)
        matched = np.flatnonzero(tf)
        if not len(matched):
            if need_all:
                return [], 0
            continue
        weight = weighting.combined_idf(doc_count, combined_doc_frequency(frequencies)) * boost
        scores[matched] += saturate(weight, tf[matched], k1)
        hits[matched] += 1
    ok = hits == len(clauses) if need_all else hits > 0
    ok &= _live(leaves, doc_count)
    if allowed is not None:
        keep = np.zeros(doc_count, dtype=bool)
        keep[np.fromiter(allowed, dtype=np.int64, count=len(allowed))] = True
        ok &= keep
    candidates = np.flatnonzero(ok)
    total = len(candidates)
    if total > limit:
        # The limit-th best score; everything at or above it, then an exact sort.
        cut = np.partition(scores[candidates], total - limit)[total - limit]
        candidates = candidates[scores[candidates] >= cut]
    order = np.lexsort((candidates, -scores[candidates]))[:limit]
    best = candidates[order]
    return [(int(d), float(s)) for d, s in zip(best, scores[best])], total


#: Decoded posting lists kept per segment reader, most recent first (see _postings).
RECENT_POSTINGS = 16


def _postings(reader: Any, fieldname: str, text: bytes) -> tuple[np.ndarray, np.ndarray]:
    """A term's document numbers and frequencies in one segment, block by block.

    The last :data:`RECENT_POSTINGS` lists decoded are kept on the reader: a search
    with facets reads each word's postings twice (scoring, then every match for the
    counts), and decoding whoosh's pickled, zlib'd blocks is most of either pass.
    """
    recent = reader_cache(reader).setdefault("recent_postings", {})
    key = (fieldname, text)
    found = recent.pop(key, None)
    if found is None:
        found = _decode_postings(reader, fieldname, text)
        if len(recent) >= RECENT_POSTINGS:
            del recent[next(iter(recent))]           # the oldest entry
    recent[key] = found
    return found


def _decode_postings(reader: Any, fieldname: str, text: bytes) -> tuple[np.ndarray, np.ndarray]:
    m = reader.postings(fieldname, text)
    if isinstance(m, FilterMatcher):              # deletions: filtered out later
        m = m.child
    if type(m) is not W3LeafMatcher or m._byteids:
        raise _Fallback
    ids: list[np.ndarray] = []
    freqs: list[np.ndarray] = []
    while m.is_active():
        if m._data is None:
            m._read_data()
        deltas, weights = m._data[0], m._data[1]
        block = np.cumsum(np.asarray(deltas, dtype=np.int64))
        ids.append(block)
        if weights is None:
            freqs.append(np.ones(len(block)))
        elif isinstance(weights, float):
            freqs.append(np.full(len(block), weights))
        else:
            freqs.append(np.asarray(weights, dtype=np.float64))
        m._next_block()
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    return np.concatenate(ids), np.concatenate(freqs)


def _live(leaves: Sequence[tuple[Any, int]], doc_count: int) -> np.ndarray:
    """True for every document not deleted."""
    live = np.ones(doc_count, dtype=bool)
    for leaf, offset in leaves:
        live[deleted_docnums(leaf.reader()) + offset] = False
    return live


def matching_docnums(searcher: Any, q: wq.Query) -> np.ndarray | None:
    """Sorted global numbers of every live match of ``q``, or ``None`` if not eligible.

    The same queries and the same matching rule as :func:`top_documents` (a document
    matches a word when one of its fields counts towards the score), without scoring:
    what facets, timelines and exports need for plain word queries, from the posting
    blocks as arrays instead of whoosh's matchers (0.3 s -> a few ms for 15k matches).
    """
    clauses, need_all = _clauses(q)
    if clauses is None:
        return None
    doc_count = searcher.doc_count_all()
    hits = np.zeros(doc_count, dtype=np.int32)
    leaves = searcher.leaf_searchers()
    try:
        for clause in clauses:
            combined = type(clause) is CombinedTerm
            terms = clause.subqueries if combined else [clause]
            seen = np.zeros(doc_count, dtype=bool)
            for term in terms:
                name = term.fieldname
                if name not in searcher.schema or (combined and term.boost <= 0):
                    continue
                try:
                    text = searcher.schema[name].to_bytes(term.text)
                except ValueError:
                    continue
                for leaf, offset in leaves:
                    reader = leaf.reader()
                    if (name, text) in reader:
                        seen[_postings(reader, name, text)[0] + offset] = True
            hits += seen
    except _Fallback:
        return None
    ok = hits == len(clauses) if need_all else hits > 0
    ok &= _live(leaves, doc_count)
    return np.flatnonzero(ok).astype(np.int64)
