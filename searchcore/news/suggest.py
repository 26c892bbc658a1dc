"""Did you mean: correct query words that are absent from the index or far rarer than a
close neighbour.

For each plain word of the query (not an operator, not inside a field other than
title/body, not a number): analyse it as the index does; if its term is in at least
``NEVER_CORRECT_SHARE`` of the articles (and at least ``NEVER_CORRECT_MIN`` of them) it
is never corrected. Otherwise the candidates are the index's own terms within the
automatic edit distance (Damerau-Levenshtein: a transposition is one edit; 1 edit up
to 5 letters, 2 beyond, none up to 2; the first letter kept, as most typos spare it),
and the best is the closest, then the commonest (see below). It replaces the word when the word
is absent, or when the candidate is in ``RARER_FACTOR`` times as many articles.

First the words one edit from the query word itself are tried (Norvig's corrector:
every deletion, transposition, substitution and insertion, kept if its term is in the
index), the commonest winning; then index terms within the distance of the word's
stem. Terms are stems (``missil``), not words, so a stem found that way is replaced
by the surface form it has in an article that contains it (``missiles``), found by
analysing that article with character offsets.
"""

from __future__ import annotations

import re
from typing import Any

from searchcore.analysis import term_cache
from searchcore.execution.stats import local_stats
from searchcore.schema import TEXT_FIELDS
from searchcore.execution.fuzzy import terms_within

#: A word in at least this share of the articles is never corrected ...
NEVER_CORRECT_SHARE = 0.001
#: ... nor one in at least this many articles.
NEVER_CORRECT_MIN = 20
#: A present word is corrected only to a candidate this many times more frequent.
RARER_FACTOR = 20
PREFIX = 1
#: A query of more words than this gets no suggestion. Did-you-mean serves what a
#: person types; a generated OR of hundreds of words would cost a correction search
#: per word (seconds at 600 words) for a suggestion nobody reads.
MAX_WORDS = 16

_WORD = re.compile(r"(?<![\w:~^*\\])([^\W\d_][\w'-]*)(?![\w:*~(])", re.UNICODE)
_OPERATORS = frozenset({"AND", "OR", "NOT", "TO"})


def _edits(term: str) -> int:
    return 0 if len(term) <= 2 else 1 if len(term) <= 5 else 2


def _df(searcher: Any, term: str) -> int:
    stats = local_stats(searcher)        # the side postings: no whoosh term-table lookups
    btext = term.encode("utf-8")
    return max(stats.doc_frequency(name, btext) for name in TEXT_FIELDS)


def correction(searcher: Any, word: str) -> str | None:
    """The word to use instead of ``word``, or None to keep it."""
    analyzer = searcher.schema["body"].analyzer
    terms = [t.text for t in analyzer(word)]
    if len(terms) != 1:
        return None                       # a stop word, or several tokens
    term = terms[0]
    if _known_in_another_language(searcher, analyzer, word):
        return None
    df = _df(searcher, term)
    if df >= max(NEVER_CORRECT_MIN, NEVER_CORRECT_SHARE * searcher.doc_count()):
        return None
    if not _edits(term):
        return None
    found = _one_edit_words(searcher, word.lower(), term) or _close_terms(searcher, term)
    if found is None:
        return None
    candidate_df, fixed = found
    if df and candidate_df < RARER_FACTOR * df:
        return None
    return fixed


def _known_in_another_language(searcher: Any, analyzer: Any, word: str) -> bool:
    """Is ``word`` a term of the index in one of its other languages (German "Ölpreis"
    in an English index holding German articles)? Then it is no typo."""
    from searchcore import multilingual
    from searchcore.query.alternatives import index_languages

    langs = index_languages(searcher)
    if langs is None:
        return False
    for profile in langs.profiles(analyzer.language):
        if profile.tag:
            terms = multilingual.terms(analyzer, word, profile)
            if len(terms) == 1 and _df(searcher, terms[0]):
                return True
    return False


def _one_edit_words(searcher: Any, word: str, term: str) -> tuple[int, str] | None:
    """The commonest word one edit from ``word`` whose term is in the index: ``(df, word)``.

    Edits of the word itself, not of its stem: "minster" is one insertion from
    "minister", but its stem "minster" is three edits from "minist".
    """
    analyzer = searcher.schema["body"].analyzer
    cache = term_cache(analyzer.language, analyzer.stem, analyzer.stop)
    by_term: dict[str, list[str]] = {}
    for variant in sorted(_edits1(word)):
        if variant[:PREFIX] != word[:PREFIX]:
            continue
        # Only words the articles use are suggestions (a one-edit string whose stem
        # happens to be an index term is not a word anyone wrote); asking the index's
        # known words, not the stemmer, also keeps NLTK out of every ordinary search.
        known = cache.known_term(variant)
        if isinstance(known, str) and known != term:
            by_term.setdefault(known, []).append(variant)
    scored = [(_df(searcher, t), t) for t in by_term]
    scored = [(df, t) for df, t in scored if df]
    if not scored:
        return None
    df, best = max(scored)
    variants = by_term[best]
    if len(variants) > 1:             # "mobile", "mobill": the form articles use
        form = surface_form(searcher, best)
        if form in variants:
            return df, form
    return df, variants[0]


def _edits1(word: str) -> set[str]:
    """Every string one Damerau edit from ``word`` (Norvig's spelling corrector)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return ({a + b[1:] for a, b in splits if b}
            | {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
            | {a + c + b[1:] for a, b in splits if b for c in letters}
            | {a + c + b for a, b in splits for c in letters})


def _close_terms(searcher: Any, term: str) -> tuple[int, str] | None:
    """The closest, then commonest index term within the automatic distance of ``term``."""
    from whoosh.support.levenshtein import damerau_levenshtein

    best: tuple[int, int, str] | None = None
    for name in TEXT_FIELDS:
        # From the side term dictionary, all candidates at once (whoosh's automaton
        # walk took ~1 s a word on Reuters).
        for candidate in terms_within(searcher, name, term, _edits(term), prefix=PREFIX):
            if candidate == term:
                continue
            key = (damerau_levenshtein(term, candidate), -_df(searcher, candidate), candidate)
            if best is None or key < best:
                best = key
    if best is None:
        return None
    form = surface_form(searcher, best[2])
    return (-best[1], form) if form else None


def surface_form(searcher: Any, candidate: str) -> str | None:
    """How ``candidate`` (a term) is written in the article with the smallest id that
    has it, lower-cased (by id, not document number: a sharded index numbers its
    documents otherwise, and must pick the same article)."""
    import numpy as np

    from searchcore.execution.order import id_keys

    analyzer = searcher.schema["body"].analyzer
    for name in TEXT_FIELDS:
        found = np.fromiter(searcher.docs_for_query(_term(name, candidate)), dtype=np.int64)
        docs = [int(found[np.argmin(id_keys(searcher)[found])])] if len(found) else []
        for docnum in docs:
            text = searcher.stored_fields(docnum).get(name) or ""
            for token in analyzer(text, chars=True):
                if token.text == candidate:
                    form = text[token.startchar:token.endchar].lower()
                    return re.sub(r"['\u2019]s$", "", form)
    return None


def _term(name: str, text: str) -> Any:
    from whoosh import query as wq

    return wq.Term(name, text)


def suggest(searcher: Any, query: str) -> str | None:
    """``query`` with its rare or unknown words corrected, or None if nothing changes."""
    matches = [m for m in _WORD.finditer(query) if m.group(1) not in _OPERATORS]
    if len(matches) > MAX_WORDS:
        return None
    changed = False
    pieces: list[str] = []
    last = 0
    for match in matches:
        word = match.group(1)
        if _in_other_field(query, match.start()):
            continue
        fixed = correction(searcher, word)
        if fixed and fixed != word.lower():
            pieces.append(query[last:match.start()])
            pieces.append(fixed)
            last = match.end()
            changed = True
    if not changed:
        return None
    pieces.append(query[last:])
    return "".join(pieces)


def _in_other_field(query: str, start: int) -> bool:
    """Whether the word at ``start`` follows ``name:`` for a field other than title/body."""
    before = query[:start]
    field = re.search(r"(\w+):\(?[^\s()]*$", before)
    return bool(field) and field.group(1) not in TEXT_FIELDS
