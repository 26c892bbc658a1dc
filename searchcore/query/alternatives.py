"""A query word in every language of the index, scored as one term.

An index holds each article's terms in its own language (see
:mod:`searchcore.multilingual`): English ``olpreis``, German ``de:olpreis``. A query
does not know which language its user meant, so each word is analysed once per
language present in the index (:class:`QueryLanguages`, from the ``language``
field's values; ``language=`` narrows it) and the different results become
*alternatives* of one word:

* **One word, scored as one term.** The alternatives are one
  :class:`~searchcore.scoring.bm25f.CombinedTerm` over every (field, alternative) pair,
  as Lucene's ``SynonymQuery`` blends synonyms: the document frequency is that of
  documents holding any alternative (the alternatives are disjoint: an article is
  in one language) and a document's frequency is its alternative's, normalised by
  its field lengths and saturated once. So ``Ölpreis`` has one idf over the whole
  index whichever language finds it, and a German article and an English one that
  use the word as often, in texts as long, score the same.
* **Phrases** (and words the analyzer splits) become one phrase per distinct
  analysis. Those of as many words are one
  :class:`~searchcore.scoring.bm25f.CombinedPhrase`, each word position with one
  document frequency over the languages (``"Brent crude"`` is ``brent crude`` or
  ``de:brent de:crude``); others are ORed: ``"die Ölpreise"`` is the English phrase
  ``die olpreis`` or the German term ``de:olpreis`` (German drops its stop word).
* **Stop words are per language.** A word that is a stop word in some languages but
  not others (German "die", English "the") keeps its alternatives in the others; in
  an AND, the clause is *neutral* for the languages that drop it
  (:func:`with_neutral`): their articles pass it with score 0, as if the word had
  not been typed, exactly what a one-language index of theirs would do. A word
  that is a stop word everywhere is dropped, as before.

An index with one language gets exactly the queries it always had.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from array import array

from whoosh import query as wq
from whoosh.matching import ListMatcher, NullMatcher

from searchcore.multilingual import Profile, profile_for
from searchcore.scoring.bm25f import CombinedPhrase, CombinedTerm

__all__ = ["LanguageDocs", "QueryLanguages", "combine", "index_languages", "with_neutral"]

#: The attribute a query carries when some languages analysed its text to nothing.
NEUTRAL = "_searchcore_neutral"


@dataclass(frozen=True)
class QueryLanguages:
    """The languages a query is analysed in.

    ``codes``: the ISO codes to analyse for (``""`` stands for articles without a
    language); ``present``: every code in the index (what "the other languages'
    articles" means for :class:`LanguageDocs`).
    """

    codes: tuple[str, ...]
    present: tuple[str, ...]

    def profiles(self, analyzer_language: str) -> list[Profile]:
        """The distinct profiles to analyse a word with, the index's own first."""
        out: list[Profile] = []
        for code in self.codes:
            profile = profile_for(code, analyzer_language)
            if profile not in out:
                out.append(profile)
        out.sort(key=lambda p: p.tag != "")
        return out

    def docs(self, profiles: Iterable[Profile], analyzer_language: str) -> wq.Query:
        """The articles analysed with one of ``profiles``, as a zero-score query."""
        wanted = {p.tag for p in profiles}
        others = [c for c in self.present if profile_for(c, analyzer_language).tag]
        if "" in wanted:
            # Articles without a language have no term: "all but the others".
            excluded = [c for c in others if profile_for(c, analyzer_language).tag not in wanted]
            if not excluded:
                return LanguageDocs(wq.Every())
            return LanguageDocs(wq.Not(_codes(excluded)))
        return LanguageDocs(_codes([c for c in others
                                    if profile_for(c, analyzer_language).tag in wanted]))


def _codes(codes: Sequence[str]) -> wq.Query:
    terms = [wq.Term("language", c) for c in codes]
    if not terms:
        return wq.NullQuery
    return terms[0] if len(terms) == 1 else wq.Or(terms)


class LanguageDocs(wq.ConstantScoreQuery):
    """Every article of some languages, with score 0: a clause's neutral side.

    ``child`` selects them by the ``language`` field. whoosh's own ConstantScoreQuery
    hands back the child's scored matcher whenever the search wants positions, and
    scores an ``all_weights`` of 0 as 1; this one always scores 0.
    """

    def __init__(self, child: wq.Query, score: float = 0.0) -> None:
        super().__init__(child, score)

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        m = self.child.matcher(searcher, searcher.boolean_context())
        if not m.is_active():
            return NullMatcher()
        return _ZeroMatcher(array("I", m.all_ids()))


class _ZeroMatcher(ListMatcher):
    def weight(self) -> float:
        return 0.0

    def score(self) -> float:
        return 0.0


def index_languages(searcher: Any, narrow: Sequence[str] | None = None) -> QueryLanguages | None:
    """The languages present in ``searcher``'s index (None if it has only one).

    ``narrow`` (the search's ``language=`` codes, normalised) restricts the analysis to
    those languages. Cached on the searcher: the ``language`` lexicon of each open
    generation is read once.
    """
    present = getattr(searcher, "_searchcore_languages", None)
    if present is None:
        try:
            present = tuple(sorted(b.decode("utf-8") for b in searcher.lexicon("language")))
        except Exception:  # noqa: BLE001 - an index without a language field
            present = ()
        try:
            searcher._searchcore_languages = present
        except AttributeError:
            pass
    if narrow:
        return QueryLanguages(tuple(narrow), present)
    if not present:
        return None
    return QueryLanguages(("",) + present, present)


def _single_terms(q: wq.Query) -> list[wq.Term] | None:
    """The Terms of a one-word query (a Term, or a CombinedTerm of Terms), else None."""
    if type(q) is wq.Term:
        return [q] if q.boost > 0 else None
    if type(q) is CombinedTerm and q.boost == 1.0:
        return list(q.subqueries)
    return None


def _phrases(q: wq.Query) -> list[wq.Phrase] | None:
    """The per-field Phrases of a phrase query (a Phrase, or a CombinedPhrase), else None."""
    if type(q) is wq.Phrase:
        return [q] if q.boost > 0 else None
    if type(q) is CombinedPhrase and q.boost == 1.0:
        return list(q.subqueries)
    return None


def _merge_phrases(others: list[wq.Query]) -> list[wq.Query]:
    """Phrase alternatives of as many words (and one slop) as one CombinedPhrase, so
    each word position has one document frequency over the languages."""
    found = [(q, _phrases(q)) for q in others]
    phrases = [p for _, ps in found if ps is not None for p in ps]
    if len({id(q) for q, ps in found if ps is not None}) < 2:
        return others
    if len({(len(p.words), p.slop) for p in phrases}) != 1:
        return others
    unique: list[wq.Phrase] = []
    for p in phrases:
        if p not in unique:
            unique.append(p)
    return [CombinedPhrase(unique)] + [q for q, ps in found if ps is None]


def combine(analyses: Sequence[tuple[Profile, wq.Query | None]], langs: QueryLanguages,
            analyzer_language: str) -> wq.Query | None:
    """One query of the per-language queries of a text (see the module docstring).

    ``analyses`` pairs each profile with the query its analysis gives (None: only
    stop words). Single words merge into one :class:`CombinedTerm`; anything else is
    ORed; the profiles that gave nothing are recorded for :func:`with_neutral`.
    """
    words: list[wq.Term] = []
    seen: set[tuple[str, str]] = set()
    others: list[wq.Query] = []
    empty: list[Profile] = []
    content: list[Profile] = []
    for profile, q in analyses:
        if q is None:
            empty.append(profile)
            continue
        content.append(profile)
        terms = _single_terms(q)
        if terms is None:
            if q not in others:
                others.append(q)
            continue
        for term in terms:
            key = (term.fieldname, term.text)
            if key not in seen:
                seen.add(key)
                words.append(term)
    parts: list[wq.Query] = []
    if words:
        parts.append(words[0] if len(words) == 1 else CombinedTerm(words))
    parts += _merge_phrases(others)
    if not parts:
        return None
    out = parts[0] if len(parts) == 1 else wq.Or(parts)
    if empty:
        setattr(out, NEUTRAL, (frozenset(empty), frozenset(content), langs, analyzer_language))
    return out


def with_neutral(qs: list[wq.Query]) -> list[wq.Query]:
    """The clauses of an AND, each neutral for the languages that dropped its words.

    A clause neutral for language L matches L's articles with score 0, but only if
    another clause has something for L: a query whose every word is a stop word in
    L finds nothing in L, as in a one-language index.
    """
    marks = [getattr(q, NEUTRAL, None) for q in qs]
    if not any(marks):
        return qs
    out = []
    for i, (q, mark) in enumerate(zip(qs, marks)):
        if mark is None:
            out.append(q)
            continue
        empty, _, langs, analyzer_language = mark
        kept = {p for p in empty
                if any(m is None or p in m[1] for j, m in enumerate(marks) if j != i)}
        if not kept:
            out.append(q)
            continue
        out.append(wq.Or([q, langs.docs(kept, analyzer_language)]))
    return out
