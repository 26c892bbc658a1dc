"""More like this: a query made of a seed article's most distinctive terms.

As Elasticsearch's ``more_like_this`` does: analyse the seed's title and body with
the index's own analyzer, keep terms that occur at least ``MIN_TERM_FREQ`` times in
it (once for a short seed) and in at least ``MIN_DOC_FREQ`` articles of the index
but in no more than ``MAX_DOC_SHARE`` of them, score each by ``tf * idf`` (Lucene's
idf), and OR together the best ``MAX_QUERY_TERMS``, each boosted by its score
relative to the best one (Elasticsearch's ``boost_terms``). Each term is one
BM25F word over title and body, so the query runs on the same fast path as a typed
``a OR b OR c`` query. The seed and every copy of its story are excluded by the
caller (:meth:`searchcore.Index.similar`).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Mapping

from whoosh import query as wq

from searchcore.scoring.bm25f import CombinedTerm
from searchcore.schema import TEXT_FIELDS

MAX_QUERY_TERMS = 25
MIN_TERM_FREQ = 2
MIN_DOC_FREQ = 2
MAX_DOC_SHARE = 0.5
#: Seeds shorter than this many terms keep terms that occur once.
SHORT_SEED = 150


def distinctive_terms(searcher: Any, text: str, *, in_index: bool) -> list[tuple[str, float]]:
    """``(term, score)`` of ``text``'s best terms, best first.

    ``in_index``: the seed is an indexed article, so its own document counts in the
    document frequencies (a term must then be in ``MIN_DOC_FREQ`` articles, itself
    included); for free text one other article is enough.
    """
    analyzer = searcher.schema["body"].analyzer
    counts = Counter(t.text for t in analyzer(text))
    if not counts:
        return []
    min_tf = MIN_TERM_FREQ if sum(counts.values()) >= SHORT_SEED else 1
    min_df = MIN_DOC_FREQ if in_index else 1
    total = max(1, searcher.doc_count())
    scored = []
    for term, tf in counts.items():
        if tf < min_tf:
            continue
        df = max(searcher.doc_frequency(name, term) for name in TEXT_FIELDS)
        if df < min_df or df > MAX_DOC_SHARE * total:
            continue
        idf = math.log(1.0 + (total - df + 0.5) / (df + 0.5))
        scored.append((term, tf * idf))
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
