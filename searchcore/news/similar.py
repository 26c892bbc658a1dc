"""More like this: a query made of a seed article's most distinctive terms.

As Elasticsearch's ``more_like_this`` does: analyse the seed's title and body with
the index's own analyzer, keep terms that occur at least ``MIN_TERM_FREQ`` times in
it (once for a short seed) and in at least ``MIN_DOC_FREQ`` articles of the index
but in no more than ``MAX_DOC_SHARE`` of them, score each by ``tf * idf`` (Lucene's
idf), and OR together the best ``MAX_QUERY_TERMS``, each boosted by its score
relative to the best one (Elasticsearch's ``boost_terms``). Each term is one
BM25F word over title and body, so the query runs on the same fast path as a typed
``a OR b OR c`` query: pruned (MaxScore, :mod:`searchcore.execution.topk`), since
only the first page is wanted, so the total is a lower bound. Document frequencies
come from the side term dictionary (:func:`~searchcore.execution.stats.local_stats`),
not whoosh's per-segment term tables (a seed asks for a hundred words or more).
The seed and every copy of its story are left out by document number
(:func:`rank_similar`): no stored field is read to tell them apart.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Collection, Mapping

import numpy as np
from whoosh import query as wq

from searchcore.execution.search import matching_docnums, rank
from searchcore.execution.stats import local_stats
from searchcore.scoring.bm25f import CombinedTerm
from searchcore.schema import TEXT_FIELDS

#: Chosen on the BBC sample with made copies (share of the 5 most similar articles in
#: the seed's category, 100 seeds) and for cost at 1M (CPU p50): 25 terms, a word in
#: up to half the articles, df >= 2: 0.808, 83 ms; 25 / 0.2 / 5: 0.812, 54 ms;
#: 12 / 0.2 / 5: 0.792, 21 ms. The cost is the words' posting lists, the common
#: words' longest: fewer and rarer words. MIN_DOC_FREQ is Elasticsearch's default.
MAX_QUERY_TERMS = 12
MIN_TERM_FREQ = 2
MIN_DOC_FREQ = 5
MAX_DOC_SHARE = 0.2
#: When no word is within those bounds (a small index: in 9 articles a fifth is one
#: article, and no word is in five), the bounds of a seed and one other article and
#: half the articles: a weaker query rather than none.
LENIENT_MIN_DOC_FREQ = 2
LENIENT_MAX_DOC_SHARE = 0.5
#: Seeds shorter than this many terms keep terms that occur once.
SHORT_SEED = 150


def distinctive_terms(searcher: Any, text: str, *, in_index: bool) -> list[tuple[str, float]]:
    """``(term, score)`` of ``text``'s best terms, best first.

    ``in_index``: the seed is an indexed article, so its own document counts in the
    document frequencies (a term must then be in ``MIN_DOC_FREQ`` articles, itself
    included); for free text one other article is enough. When no term is within the
    bounds, the lenient ones (``LENIENT_*``) choose.
    """
    analyzer = searcher.schema["body"].analyzer
    counts = Counter(t.text for t in analyzer(text))
    if not counts:
        return []
    min_tf = MIN_TERM_FREQ if sum(counts.values()) >= SHORT_SEED else 1
    total = max(1, searcher.doc_count())
    stats = getattr(searcher, "collection_stats", None) or local_stats(searcher)
    counted = [(term, tf, max(stats.doc_frequency(name, term) for name in TEXT_FIELDS))
               for term, tf in counts.items() if tf >= min_tf]
    for min_df, share in ((MIN_DOC_FREQ, MAX_DOC_SHARE),
                          (LENIENT_MIN_DOC_FREQ, LENIENT_MAX_DOC_SHARE)):
        min_df = min_df if in_index else 1
        scored = [(term, tf * math.log(1.0 + (total - df + 0.5) / (df + 0.5)))
                  for term, tf, df in counted if min_df <= df <= share * total]
        if scored:
            break
    scored.sort(key=lambda ts: (-ts[1], ts[0]))
    return scored[:MAX_QUERY_TERMS]


def like_query(terms: list[tuple[str, float]], field_weights: Mapping[str, float]) -> wq.Query:
    """The OR of ``terms``, each a BM25F word over the text fields boosted by its score."""
    if not terms:
        return wq.NullQuery
    best = terms[0][1]
    words = [CombinedTerm([wq.Term(name, term, boost=field_weights.get(name, 1.0))
                           for name in TEXT_FIELDS], boost=score / best)
             for term, score in terms]
    return wq.Or(words)


def rank_similar(searcher: Any, q: wq.Query, allowed: Collection[int] | None,
                 excluded: Collection[str], offset: int,
                 limit: int) -> tuple[list[tuple[int, float | None]], int, bool]:
    """``([(docnum, score)] of the page, total, exact)`` of ``q`` without the articles
    ``excluded`` (ids: the seed's story), pruned to the page (``exact`` False when
    something was skipped; ``total`` then a lower bound)."""
    drop = _docnums(searcher, excluded)
    ranked, total, exact = rank(searcher, q, allowed, "relevance", offset + limit + len(drop),
                                exact_total=False)
    left_out = set(drop.tolist())
    kept = [(d, s) for d, s in ranked if d not in left_out]
    # Every left-out article that matches is among the ranked (an exact total) unless
    # some were not reached; then the total is the lower bound of them all matching.
    if len(ranked) - len(kept) < len(drop):
        total, exact = total - len(drop), False
    else:
        total -= len(drop)
    page = kept[offset:offset + limit]
    return page, max(total, offset + len(page)), exact


def _docnums(searcher: Any, ids: Collection[str]) -> np.ndarray:
    """Sorted live document numbers of the articles ``ids``."""
    if not ids:
        return np.zeros(0, dtype=np.int64)
    found = matching_docnums(searcher, wq.Or([wq.Term("id", i) for i in sorted(ids)]))
    if found is None:
        found = np.fromiter(sorted(searcher.docs_for_query(
            wq.Or([wq.Term("id", i) for i in sorted(ids)]))), dtype=np.int64)
    return found
