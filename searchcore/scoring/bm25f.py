"""BM25F proper: one word scored over several fields as if they were one field.

whoosh's BM25F scores a word in each field on its own and adds the scores: each field
saturates separately, so a word in the headline and the body counts about twice,
and a long body cannot make up for the title. BM25F as Robertson and Zaragoza define
it ("The Probabilistic Relevance Framework: BM25 and Beyond", 2009, section 3.7)
first combines the word's weighted, length-normalised frequencies into one
pseudo-field and saturates once::

    tf~   = sum_f  w_f * tf_f / (1 - b_f + b_f * len_f / avglen_f)
    score = boost * idf * tf~ * (k1 + 1) / (tf~ + k1)

Lucene's ``CombinedFieldQuery`` (Elasticsearch's ``combined_fields``) and engines
that index one text (FTS5 over a row, bm25s) also saturate once, but normalise the
summed length with one ``b``. Per-field normalisation measured slightly better on
the development sets (mean nDCG@10 0.5737 against 0.5713 at k1 1.2, b 0.75) and
lets short headlines have their own ``b``.

The document frequency of the pseudo-field is the largest of the fields' (as
Lucene's ``CombinedFieldQuery`` approximates it): the exact count of documents
having the word in any field would need a pass over every posting list first.
A CombinedTerm may also hold *alternatives* of one query word (its analyses in the
index's languages, :mod:`searchcore.query.alternatives`), scored as Lucene's
``SynonymQuery`` does: the frequencies of whichever alternative a document has, and
one document frequency, the sum over the alternatives of each one's largest over
the fields (:func:`combined_doc_frequency`; an article is in one language, so the
alternatives' documents are disjoint and the sum counts each document once).

:class:`CombinedTerm` is the query: one word in several fields, each a whoosh
``Term`` whose boost is the field weight; :class:`CombinedPhrase` is the same for a
quoted phrase. Snippets, ``iter_all_terms`` and Boolean operators see them as those
per-field queries. When the search's weighting model does not ask for combined
fields (``combine_fields``, set by :func:`searchcore.scoring.ranking.weighting`), they score
as whoosh would, an ``Or`` of the per-field queries.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

from whoosh import matching
from whoosh import query as wq
from whoosh.matching import Matcher, MultiMatcher, NullMatcher

from searchcore.execution.segment_arrays import field_lengths
from searchcore.scoring.stats import collection_size
from searchcore.whoosh_boundary.segments import field_b

#: ``(postings matcher, field weight, b, average field length, field length of a docnum)``
_Part = tuple[Matcher, float, float, float, Callable[[int], float]]


class CombinedTerm(wq.compound.CompoundQuery):
    """One word in several fields, scored by BM25F over their combination.

    ``subqueries`` are ``whoosh.query.Term``\\ s, one per field, whose boosts are the
    field weights; ``boost`` scales the whole word (``missiles^2``).
    """

    JOINT = " | "
    intersect_merge = False

    def __init__(self, subqueries: Sequence[wq.Term], boost: float = 1.0) -> None:
        if not all(isinstance(q, wq.Term) for q in subqueries):
            raise TypeError("CombinedTerm takes whoosh Term queries")
        super().__init__(list(subqueries), boost=boost)

    def normalize(self) -> wq.Query:
        """Stays one query: whoosh's normalisation would merge it into an ``Or``."""
        return self

    def simplify(self, ixreader: Any) -> wq.Query:
        return self

    def _union(self) -> wq.Query:
        return wq.Or(list(self.subqueries), boost=self.boost)

    def matcher(self, searcher: Any, context: Any = None) -> Matcher:
        weighting = searcher.weighting if context is None else context.weighting
        if not getattr(weighting, "combine_fields", False):
            return self._union().matcher(searcher, context)
        if not searcher.is_atomic():
            return per_segment_matcher(self, searcher, context)
        return self._combined_matcher(searcher, weighting)

    def _combined_matcher(self, searcher: Any, weighting: Any) -> Matcher:
        parent = searcher.get_parent()
        reader = searcher.reader()
        parts: list[_Part] = []
        frequencies: list[tuple[bytes, int]] = []
        best_tf = 0.0                    # the largest tf~ any document here can have
        for term in self.subqueries:
            name = term.fieldname
            if name not in searcher.schema or term.boost <= 0:
                continue
            try:
                text = searcher.schema[name].to_bytes(term.text)
            except ValueError:
                continue
            frequencies.append((text, parent.doc_frequency(name, text)))
            b = field_b(weighting, name)
            avg = parent.avg_field_length(name) or 1.0
            if (name, text) in reader:
                parts.append((reader.postings(name, text), float(term.boost), b, avg,
                              _length_of(reader, name)))
                info = reader.term_info(name, text)
                best_tf += term.boost * info.max_weight() / (1.0 - b + b * info.min_length() / avg)
        if not parts:
            return NullMatcher()
        idf = weighting.combined_idf(collection_size(parent), combined_doc_frequency(frequencies))
        k1 = weighting.K1
        bound = saturate(idf * self.boost, best_tf, k1)
        return CombinedTermMatcher(parts, idf * self.boost, k1, bound)


class CombinedPhrase(CombinedTerm):
    """One phrase in several fields, scored by BM25F over their combination.

    ``subqueries`` are ``whoosh.query.Phrase``\\ s of the same words and slop, one per
    field, whose boosts are the field weights. A field's frequency is the number of
    times the phrase occurs in it, and the idf is the sum of the words' idfs, as
    Lucene scores a phrase. whoosh's own phrase score adds its words' scores, which
    would weigh a phrase very differently from the same words unquoted.

    The phrases may also be *alternatives* of one quoted phrase in several languages
    (``de:brent de:crude`` beside ``brent crude``): as many words and the same slop;
    the document frequency of each word position is then
    :func:`combined_doc_frequency` over the alternatives' words at that position.
    """

    def __init__(self, subqueries: Sequence[wq.Phrase], boost: float = 1.0) -> None:
        if not subqueries or not all(isinstance(q, wq.Phrase) for q in subqueries):
            raise TypeError("CombinedPhrase takes whoosh Phrase queries")
        first = subqueries[0]
        if any(len(q.words) != len(first.words) or q.slop != first.slop for q in subqueries):
            raise ValueError("CombinedPhrase needs as many words and the same slop in every phrase")
        wq.compound.CompoundQuery.__init__(self, list(subqueries), boost=boost)

    def _combined_matcher(self, searcher: Any, weighting: Any) -> Matcher:
        parent = searcher.get_parent()
        reader = searcher.reader()
        parts: list[_Part] = []
        frequencies: list[list[tuple[bytes, int]]] = [[] for _ in self.subqueries[0].words]
        for phrase in self.subqueries:
            name = phrase.fieldname
            if name not in searcher.schema or phrase.boost <= 0:
                continue
            field = searcher.schema[name]
            try:
                texts = [field.to_bytes(word) for word in phrase.words]
            except ValueError:
                continue
            for i, text in enumerate(texts):
                frequencies[i].append((text, parent.doc_frequency(name, text)))
            m = wq.Phrase(name, phrase.words, slop=phrase.slop).matcher(searcher)
            if m.is_active():
                b = field_b(weighting, name)
                avg = parent.avg_field_length(name) or 1.0
                parts.append((m, float(phrase.boost), b, avg, _length_of(reader, name)))
        if not parts:
            return NullMatcher()
        count = collection_size(parent)
        idf = sum(weighting.combined_idf(count, combined_doc_frequency(position))
                  for position in frequencies)
        k1 = weighting.K1
        # No cheap bound on a phrase's frequency: the saturation limit.
        return CombinedPhraseMatcher(parts, idf * self.boost, k1, idf * self.boost * (k1 + 1))


def combined_doc_frequency(frequencies: Iterable[tuple[Any, int]]) -> int:
    """The document frequency of a :class:`CombinedTerm` from ``(word, df in one field)``
    pairs: per word the largest over its fields, summed over the words (see above)."""
    best: dict[Any, int] = {}
    for word, df in frequencies:
        if df > best.get(word, -1):
            best[word] = df
    return sum(best.values())


def per_segment_matcher(query: wq.Query, searcher: Any, context: Any = None) -> Matcher:
    """A top-level searcher over several segments: ``query``'s matcher per segment,
    for queries whose matcher works on one segment's reader."""
    matchers, offsets = [], []
    for subsearcher, offset in searcher.subsearchers:
        m = query.matcher(subsearcher, context)
        if m.is_active():
            matchers.append(m)
            offsets.append(offset)
    return MultiMatcher(matchers, offsets) if matchers else NullMatcher()


def saturate(weight: Any, tf: Any, k1: float) -> Any:
    """BM25's saturation of a combined frequency ``tf~`` (a float, or a numpy array for
    the array executor, :mod:`searchcore.execution.executor`), scaled by ``weight`` = boost * idf."""
    return weight * tf * (k1 + 1.0) / (tf + k1)


def _length_of(reader: Any, fieldname: str) -> Callable[[int], float]:
    """A docnum -> field length function for one segment, from the decoded lengths."""
    return field_lengths(reader, fieldname).item


class CombinedTermMatcher(Matcher):
    """The union of one word's posting lists in several fields, scored by BM25F.

    Its quality bound (for whoosh's top-N pruning, ``exact_total=False``) is one
    number for the whole list: the score of the largest frequency at the shortest
    length in each field. Per-block bounds would need the fields' blocks aligned.
    """

    def __init__(self, parts: list[_Part], weight: float, k1: float, bound: float) -> None:
        self._parts = parts
        self._weight = weight            # boost * idf
        self._k1 = k1
        self._bound = bound
        self._matchers = [m for m, *_ in parts]
        self._id: int | None = None
        self._find()

    def _find(self) -> None:
        best = None
        for m in self._matchers:
            if m.is_active():
                docnum = m.id()
                if best is None or docnum < best:
                    best = docnum
        self._id = best

    def is_active(self) -> bool:
        return self._id is not None

    def id(self) -> int:
        if self._id is None:
            raise matching.ReadTooFar
        return self._id

    def reset(self) -> None:
        for m in self._matchers:
            m.reset()
        self._find()

    def copy(self) -> "CombinedTermMatcher":
        return CombinedTermMatcher([(m.copy(), *rest) for m, *rest in self._parts],
                                   self._weight, self._k1, self._bound)

    def supports_block_quality(self) -> bool:
        return True

    def max_quality(self) -> float:
        return self._bound

    def block_quality(self) -> float:
        return self._bound

    def skip_to_quality(self, minquality: float) -> int:
        """Nothing in this list can score above ``minquality``: skip all of it."""
        if self._id is None:
            raise matching.ReadTooFar
        if self._bound > minquality:
            return 0
        self._id = None
        return 1

    def children(self) -> list[Matcher]:
        return list(self._matchers)

    def depth(self) -> int:
        return 1 + max(m.depth() for m in self._matchers)

    def replace(self, minquality: float = 0) -> Matcher:
        return self if self.is_active() else NullMatcher()

    def supports(self, astype: str) -> bool:
        return all(m.supports(astype) for m in self._matchers)

    def next(self) -> None:
        current = self.id()
        for m in self._matchers:
            if m.is_active() and m.id() == current:
                m.next()
        self._find()

    def skip_to(self, target: int) -> None:
        if self._id is None:
            raise matching.ReadTooFar
        if target <= self._id:
            return
        for m in self._matchers:
            if m.is_active() and m.id() < target:
                m.skip_to(target)
        self._find()

    def all_ids(self):  # type: ignore[no-untyped-def]
        while self.is_active():
            yield self.id()
            self.next()

    def value(self) -> Any:
        return next(m.value() for m in self._matchers if m.is_active() and m.id() == self._id)

    def spans(self) -> list[Any]:
        current = self.id()
        return sorted(span for m in self._matchers if m.is_active() and m.id() == current
                      for span in m.spans())

    def weight(self) -> float:
        """The combined, length-normalised frequency ``tf~``."""
        current = self.id()
        tf = 0.0
        for m, field_weight, b, avg, length in self._parts:
            if m.is_active() and m.id() == current:
                tf += field_weight * m.weight() / (1.0 - b + b * length(current) / avg)
        return tf

    def score(self) -> float:
        return saturate(self._weight, self.weight(), self._k1)


class CombinedPhraseMatcher(CombinedTermMatcher):
    """:class:`CombinedTermMatcher` whose frequencies are phrase occurrences (spans)."""

    def copy(self) -> "CombinedPhraseMatcher":
        return CombinedPhraseMatcher([(m.copy(), *rest) for m, *rest in self._parts],
                                     self._weight, self._k1, self._bound)

    def weight(self) -> float:
        current = self.id()
        tf = 0.0
        for m, field_weight, b, avg, length in self._parts:
            if m.is_active() and m.id() == current:
                tf += field_weight * len(m.spans()) / (1.0 - b + b * length(current) / avg)
        return tf
