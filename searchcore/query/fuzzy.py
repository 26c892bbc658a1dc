"""Fuzzy words (``missle~``) whose expansions are weighted as Lucene weights them.

whoosh's ``FuzzyTerm`` ORs every term within the edit distance and scores each as an
ordinary word, so the rarest expansion wins on idf: ``missle~`` put "MISLED" (a
handful of articles) above "missiles", and ``cocao~`` put Coca-Cola above cocoa.
Lucene's fuzzy query instead (``TopTermsBlendedFreqScoringRewrite``) boosts each
expansion by its similarity, ``1 - edits / min(len(word), len(expansion))``, and
blends the document frequencies so that every expansion is scored with the idf of
the commonest one. Here each expansion's boost is

    similarity * idf(commonest) / idf(own)  *  (1 + log(1 + df) / log(1 + df_max)) / 2

that is Lucene's blend, times a frequency factor between 0.5 and 1 that lets the
commonest close form lead (a typo is likelier to be of a common word than of a rare
one). Edits are Damerau-Levenshtein (a transposition is one edit), as whoosh
documents them (its segment readers count two: ``tests/test_suggest.py`` shows that
stock whoosh still does); the expansions come from the side term dictionary
(:mod:`searchcore.execution.fuzzy`), never from whoosh's term walk.
"""

from __future__ import annotations

import math
from typing import Any

from whoosh import matching
from whoosh import query as wq
from whoosh.support.levenshtein import damerau_levenshtein

from searchcore.scoring.stats import fuzzy_key
from searchcore.execution.fuzzy import reader_terms_within


def similarity(word: str, other: str) -> float:
    """Lucene's fuzzy similarity: ``1 - edits / min(len)``."""
    shorter = max(1, min(len(word), len(other)))
    return max(0.0, 1.0 - damerau_levenshtein(word, other) / shorter)


def _idf(doc_count: int, df: int) -> float:
    return math.log(1.0 + (doc_count - df + 0.5) / (df + 0.5))


def expansion_boosts(word: str, expansions: dict[str, int], doc_count: int) -> dict[str, float]:
    """``expansion -> boost`` for ``word``'s expansions with their document frequencies."""
    if not expansions:
        return {}
    top = max(expansions.values())
    blended = _idf(doc_count, top)
    boosts = {}
    for term, df in expansions.items():
        frequency = (1.0 + math.log1p(df) / math.log1p(top)) / 2.0 if top > 0 else 1.0
        boosts[term] = (similarity(word, term) * blended / max(_idf(doc_count, df), 1e-9)
                        * frequency)
    return boosts


class WeightedFuzzyTerm(wq.FuzzyTerm):
    """``FuzzyTerm`` whose expansions are boosted by similarity and frequency (see above)."""

    def _btexts(self, ixreader: Any) -> Any:
        # From the side term dictionary, all candidates at once; transpositions count
        # as one edit (whoosh's segment readers count two).
        return reader_terms_within(ixreader, self.fieldname, self.text, self.maxdist,
                                   prefix=self.prefixlength)

    def rewrite(self, searcher: Any) -> Any:
        """The Term, or the Or of boosted Terms, this word means on ``searcher``'s
        collection (None: no expansion). whoosh's matcher below and the array
        executor (:meth:`searchcore.execution.executor.Executor.fuzzy`) both run it.

        The expansions and their frequencies are the whole collection's (the top
        searcher's, every shard's for a sharded index), not one segment's: a word's
        boosts must not depend on how the articles are split into segments.
        """
        top = searcher.get_parent()
        stats = getattr(top, "collection_stats", None)
        readers = stats.readers if stats is not None and stats.readers else [top.reader()]
        field = self.field()
        known = stats.expansions.get(fuzzy_key(self)) if stats is not None and \
            stats.expansions is not None else None
        words = known if known is not None else \
            (word for reader in readers for word in self._btexts(reader))
        expansions = {}
        for word in words:
            if word and word not in expansions:
                expansions[word] = top.doc_frequency(field, word)
        if not expansions:
            return None
        live = stats.live if stats is not None else top.doc_count()
        boosts = expansion_boosts(self.text, expansions, max(1, live))
        terms = [wq.Term(field, word, boost=boosts[word]) for word in sorted(expansions)]
        if len(terms) == 1:
            terms[0].boost *= self.boost
            return terms[0]
        return wq.Or(terms, boost=self.boost)

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        rewritten = self.rewrite(searcher)
        if rewritten is None:
            return matching.NullMatcher()
        return rewritten.matcher(searcher, context)
