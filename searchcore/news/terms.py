"""What the coverage talks about: words and two-word phrases over-represented in the matches.

Elasticsearch's ``significant_text`` idea: compare how many matching articles use a
term (the foreground) with how many articles of the whole index do (the background),
and keep the terms whose difference is least likely to be chance.

**Score: Dunning's log-likelihood ratio (G²)** over the 2x2 table "matching or not" x
"has the term or not", keeping only terms more frequent in the matches than outside.
Chosen over ES's default JLH and over chi-square because news vocabulary is mostly
rare words: JLH has no significance model and puts a word seen twice in the matches
and nowhere else above a word seen in half of them; chi-square assumes expected
counts of five or more and overstates rare events (Dunning 1993, "Accurate methods
for the statistics of surprise and coincidence"); G² stays accurate for small counts
and is the standard keyness measure of corpus linguistics (Rayson & Garside 2000).

What is counted:

* **Words** are index terms (stemmed, stop words out) of the article bodies; the
  background count is the body field's exact document frequency. Each is shown in
  its most common surface form in the matches (``missiles``, ``OPEC``), not the stem.
* **Two-word phrases** are two kept words written next to each other (only spaces or
  a hyphen between them, no stop word). Their index-wide counts are estimated from an
  evenly spaced sample of the whole index (as large as the match sample, and never
  below the matches' own count) to rank them; the phrases that make the list are
  then counted exactly with a phrase query each (one per candidate would cost 0.3 s
  each on Reuters, far more on a big index), and the list is re-ranked.
* Left out: stop words, words without a letter (numbers, codes), words shorter
  than two characters, the query's own words (and phrases made only of them), and
  terms in fewer than ``min_count`` matching articles.
* **Sampling**: above ``sample`` matches (1,000 by default), an evenly spaced sample
  of them is read; foreground counts are scaled to all matches for the score, and
  :attr:`SignificantTerms.sampled` says so (the CLI prints it).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from whoosh import query as wq

from searchcore.multilingual import document_text
from searchcore.errors import SearchcoreError
from searchcore.news.matches import match_docnums
from searchcore.whoosh_boundary.stored_fields import stored_fields_getter

DEFAULT_LIMIT = 20
DEFAULT_SAMPLE = 1000
DEFAULT_MIN_COUNT = 3
_GAP = re.compile(r"^[ \t-]*$")
_HAS_LETTER = re.compile(r"[^\W\d_]")


class TermsError(SearchcoreError):
    """A bad argument to significant_terms."""


@dataclass(frozen=True)
class SignificantTerm:
    """One word or phrase: its readable form, counts and score."""

    text: str                    # most common surface form in the matches
    term: str                    # the index term(s), stemmed ("missil", "central bank")
    kind: str                    # "word" or "phrase"
    matches: int                 # matching articles (of those read) that use it
    index: int                   # articles of the whole index that use it
    score: float                 # log-likelihood ratio G²
    index_estimated: bool = False   # phrases: ``index`` scaled up from a sample

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "term": self.term, "kind": self.kind,
                "matches": self.matches, "index": self.index,
                "index_estimated": self.index_estimated, "score": round(self.score, 3)}


@dataclass(frozen=True)
class SignificantTerms:
    """The terms, best first, and what they were computed over."""

    query: str
    terms: tuple[SignificantTerm, ...]
    total: int                   # articles matching the query
    read: int                    # matching articles read (== total unless sampled)
    documents: int               # articles in the index
    measure: str = "log-likelihood (G2)"
    excluded: tuple[str, ...] = field(default=())   # the query's own words

    @property
    def sampled(self) -> bool:
        return self.read < self.total

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "total": self.total, "read": self.read,
                "sampled": self.sampled, "documents": self.documents, "measure": self.measure,
                "terms": [t.to_dict() for t in self.terms]}


def log_likelihood(a: float, b: float, c: float, d: float) -> float:
    """G² of the 2x2 table ``[[a, b], [c, d]]`` (rows: matching / not; columns: has term / not)."""
    n = a + b + c + d
    if n <= 0:
        return 0.0
    rows, cols = (a + b, c + d), (a + c, b + d)
    g = 0.0
    for observed, row, col in ((a, 0, 0), (b, 0, 1), (c, 1, 0), (d, 1, 1)):
        expected = rows[row] * cols[col] / n
        if observed > 0 and expected > 0:
            g += observed * math.log(observed / expected)
    return 2.0 * g


def significant_terms(query: str, searcher: Any, q: wq.Query, allowed: set[int] | None, *,
                      limit: int = DEFAULT_LIMIT, sample: int = DEFAULT_SAMPLE,
                      min_count: int = DEFAULT_MIN_COUNT, phrases: bool = True) -> SignificantTerms:
    """The terms characterising the matches of the parsed query ``q`` (see the module doc)."""
    for name, value in (("limit", limit), ("sample", sample), ("min_count", min_count)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise TermsError(f"{name} must be a whole number of at least 1, not {value!r}")
    docs = match_docnums(searcher, q, allowed)
    total, documents = len(docs), searcher.doc_count()
    if total > sample:
        docs = docs[np.linspace(0, total - 1, sample).round().astype(np.int64)]
    own = {text for fieldname, text in _query_terms(q) if fieldname in ("body", "title", None)}
    words, phrase_counts, forms = _count(searcher, docs)
    if phrases:
        background_pairs, read_background = _background_pairs(searcher, sample, documents)
    scale = total / max(len(docs), 1)
    reader = searcher.reader()
    scored: list[SignificantTerm] = []
    for term, count in words.items():
        if count < min_count or term in own:
            continue
        background = reader.doc_frequency("body", term)
        score = _score(count * scale, total, background, documents)
        if score > 0:
            scored.append(SignificantTerm(_surface(forms[term]), term, "word", count,
                                          background, score))
    if phrases:
        for (first, second), count in phrase_counts.items():
            if count < min_count or first == second or (first in own and second in own):
                continue
            estimate = background_pairs.get((first, second), 0) * documents / max(read_background, 1)
            background = max(round(estimate), round(count * scale))
            score = _score(count * scale, total, background, documents)
            if score > 0:
                scored.append(SignificantTerm(f"{_surface(forms[first])} {_surface(forms[second])}",
                                              f"{first} {second}", "phrase", count, background,
                                              score, index_estimated=True))
    scored.sort(key=lambda t: (-t.score, t.term))
    if phrases:
        scored = _verify_phrases(searcher, scored, limit, scale, total, documents)
    return SignificantTerms(query=query, terms=tuple(scored[:limit]), total=total,
                            read=len(docs), documents=documents, excluded=tuple(sorted(own)))


def _score(fg: float, total: int, background: int, documents: int) -> float:
    """G² when the term is over-represented in the matches, else 0."""
    fg = min(fg, total)
    outside_with = max(background - fg, 0.0)
    outside = max(documents - total, 0)
    if outside == 0 or fg / total <= outside_with / outside:
        return 0.0
    return log_likelihood(fg, total - fg, outside_with, outside - outside_with)


def _count(searcher: Any, docs: np.ndarray) -> tuple[Counter, Counter, dict[str, Counter]]:
    """Per-article counts of words and adjacent word pairs, and every word's surface forms."""
    analyzer = searcher.schema["body"].analyzer
    stored = stored_fields_getter(searcher)
    words: Counter = Counter()
    pairs: Counter = Counter()
    forms: dict[str, Counter] = defaultdict(Counter)
    for docnum in docs.tolist():
        fields = stored(docnum)
        # Analysed in the article's language, as indexed (searchcore.multilingual).
        body = document_text(fields.get("body") or "", fields.get("language"))
        seen: set[str] = set()
        seen_pairs: set[tuple[str, str]] = set()
        previous: tuple[str, int] | None = None
        for token in analyzer(body, chars=True, removestops=False):
            if token.stopped:
                previous = None
                continue
            term, start, end = token.text, token.startchar, token.endchar
            surface = body[start:end]
            bare = term[term.find(":") + 1:]            # without a language tag (de:90)
            if len(bare) < 2 or not _HAS_LETTER.search(bare):
                previous = None
                continue
            seen.add(term)
            forms[term][surface] += 1
            if previous is not None and _GAP.match(body[previous[1]:start]):
                seen_pairs.add((previous[0], term))
            previous = (term, end)
        words.update(seen)
        pairs.update(seen_pairs)
    return words, pairs, forms


def _verify_phrases(searcher: Any, scored: list[SignificantTerm], limit: int, scale: float,
                    total: int, documents: int) -> list[SignificantTerm]:
    """Exact index counts (a phrase query each) for the phrases in the top ``limit``, re-ranked.

    A phrase the background sample missed looks exclusive to the matches; its exact
    count settles it. Those that fall out of the top make room for the next ones,
    which are verified in the next round (at most three rounds).
    """
    for _ in range(3):
        pending = [i for i, t in enumerate(scored[:limit]) if t.index_estimated]
        if not pending:
            break
        for i in pending:
            t = scored[i]
            first, second = t.term.split(" ")
            exact = sum(1 for _ in searcher.docs_for_query(wq.Phrase("body", [first, second])))
            exact = max(exact, t.matches)
            scored[i] = SignificantTerm(t.text, t.term, t.kind, t.matches, exact,
                                        _score(t.matches * scale, total, exact, documents))
        scored = [t for t in scored if t.score > 0]
        scored.sort(key=lambda t: (-t.score, t.term))
    return scored


def _background_pairs(searcher: Any, sample: int, documents: int) -> tuple[Counter, int]:
    """Adjacent pairs counted over an evenly spaced sample of the whole index (cached)."""
    reader = searcher.reader()
    cache = getattr(reader, "_searchcore_background_pairs", None)
    if cache is not None and cache[0] == sample:
        return cache[1], cache[2]
    every = match_docnums(searcher, wq.Every(), None)
    if len(every) > sample:
        every = every[np.linspace(0, len(every) - 1, sample).round().astype(np.int64)]
    _, pairs, _ = _count(searcher, every)
    reader._searchcore_background_pairs = (sample, pairs, len(every))
    return pairs, len(every)


def _surface(forms: Counter) -> str:
    """The most common written form; on a tie the lower-case one, then the shortest."""
    return min(forms.items(), key=lambda kv: (-kv[1], kv[0] != kv[0].lower(), len(kv[0]),
                                              kv[0]))[0]


def _query_terms(q: wq.Query) -> list[tuple[str | None, str]]:
    """The (field, text) of every word the query names, positive or negated."""
    out: list[tuple[str | None, str]] = []
    try:
        for fieldname, text in q.iter_all_terms():
            out.append((fieldname, text.decode("utf-8") if isinstance(text, bytes) else text))
    except (AttributeError, TypeError):      # a query kind without terms
        pass
    return out
