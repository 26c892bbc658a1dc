"""Highlighted snippets: the best fragments of a hit's body, matched words marked.

``make_snippets(query, fields, analyzer)`` is called by the engine for every hit. It
returns :class:`~searchcore.results.types.Snippet` objects: plain ``text`` plus ``spans``,
``(start, end)`` offsets into that text of what the query matched. Turning spans into
markers, ANSI colour or ``<mark>`` is ``searchcore.results.render``'s job.

What is marked
--------------
The query tree is walked once (:func:`query_matchers`) and split by field (title,
body; other fields have no snippets):

* ``Term``: every token whose index term equals it ("missiles" for ``missil``).
* ``Phrase`` (and a ``Sequence`` of terms): an exact phrase (slop 1) is **one span**
  from its first to its last word, stop words between included ("Bank of America",
  "ballistic missiles"). A proximity phrase (``"a b"~N``) marks its words, each on
  its own, but only where they occur within the distance the query allows. A word of
  a phrase that appears outside the phrase is *not* marked, unless the query also
  has it as a term of its own.
* ``Prefix``, ``Wildcard``, ``Regex``, ``FuzzyTerm`` (edit distance and shared prefix
  as in the query, Damerau-Levenshtein like whoosh) and ``TermRange``: tokens whose
  term the pattern accepts. ``iter_all_terms`` does not expand these, so each is
  handled explicitly.
* Anything under ``Not`` or on the negative side of ``AndNot``/``SpanNot`` is never
  marked.

Fragments
---------
Candidate fragments are runs of matches that fit in ``fragment_chars``; each scores
``(distinct matched query parts, total matches)`` compared in that order, so a
fragment with two different query words beats one that repeats a single word (whoosh's
``BasicFragmentScorer`` multiplies the two instead). Ties go to the earlier fragment,
so the output is deterministic (whoosh's stock highlighter breaks ties by ``id()``).
Up to ``max_fragments`` non-overlapping fragments are kept, in document order.

A fragment is widened to about ``fragment_chars``: it starts at the start of the
sentence holding its first match when that is close enough, else at a word boundary
a little before it; it ends at the last sentence end that fits, if the fragment is
then at least half of ``fragment_chars`` long, else at the last word boundary.

Decisions a caller can see
--------------------------
* **Ellipses are part of ``text``**: a fragment that starts inside a sentence begins
  with ``"…"`` and one that stops inside a sentence ends with it. Spans count the
  ellipsis (so ``text[s:e]`` is always the matched text). A fragment that starts or
  ends at a sentence boundary carries no ellipsis on that side.
* A match that a fragment's edge would cut (a phrase whose last word falls outside)
  is left unmarked rather than marked in part.
* **Whitespace is collapsed**: runs of spaces and newlines (paragraph breaks) become
  one space, so a fragment is one line. Spans are computed after collapsing.
* **Title**: when the title matched, a ``Snippet("title", <whole title>, spans)``
  comes *after* the body fragments (it does not count against ``max_fragments``).
  Body fragments come first, so ``snippets[0]`` is body text whenever the body is
  not empty.
* **No body match** (the hit matched only in the title, or in a field without
  snippets): one body snippet, the lead of the body up to ``fragment_chars`` (cut at
  a sentence or word boundary), with no spans.
* **Scan limit**: only the first ``SCAN_CHARS`` (100,000) characters of a body are
  searched for matches. A hit whose only body matches lie beyond gets the lead.

Speed
-----
The analyzer is not run with ``Token`` objects. Words are cut with the analyzer's
own tokenising kernel (``searchcore.analysis.split_words``/``chunk_tokens``) and looked up in its shared
``word -> term`` cache (``searchcore.analysis.term_cache``), so terms are exactly
the indexed ones. Without phrases, only the *distinct* white-space separated chunks
of the text are tokenised, and only chunks holding a match are then located (with
``str.find``); phrases need every token's position, so they take a full pass. A word
not in the cache yet is stemmed only if its first letter could start a query term:
Snowball stemmers (all but Arabic) only rewrite word endings, so a term starts with
the (accent folded) first letter of its word. That keeps a cold process (one CLI
search) from stemming every word of ten articles (about 6 µs a word). Measured on
the BBC test articles (about 2,100 characters each), ten hits take 1.5-3 ms
(machine shared and loaded); a 1 MB body (capped at ``SCAN_CHARS``) about 7 ms.
"""

from __future__ import annotations

import bisect
import fnmatch
import re
from dataclasses import dataclass, field
from itertools import filterfalse
from typing import Iterable, Mapping, Sequence

from whoosh import query as wq
from whoosh.query import spans as wspans
from whoosh.support.levenshtein import distance as edit_distance

from searchcore.analysis import (TOKEN_RE, NewsAnalyzer, chunk_tokens, fold_accents,
                                 split_words, term_cache)
from searchcore import multilingual
from searchcore.results.types import Snippet
from searchcore.schema import TEXT_FIELDS
from searchcore.whoosh_boundary.terms import wildcard_prefix

#: Only this many leading characters of a field are searched for matches.
SCAN_CHARS = 100_000
#: Marks text cut inside a sentence, at either end of a fragment.
ELLIPSIS = "…"

_WORD = TOKEN_RE
_SPAN = re.Match.span
_SPACES = re.compile(r"\s+")
# A sentence starts after ., ! or ? (plus closing quotes/brackets) and spaces, before
# something that is not a lower-case letter ("U.S. officials" is one sentence), or
# after a line break (paragraphs, headings) unless a lower-case word follows: wire
# copy such as Reuters is hard-wrapped, and "\nprices the state pays" is mid-sentence.
_SENTENCE_START = re.compile(r"(?:[.!?…][\"'”’)\]]*\s+|\n\s*)(?![a-z])(?=\S)")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*(?=\s|$)")
# Stemmers that can change the start of a word (see "Speed" above).
_PREFIX_STEMMERS = frozenset({"arabic"})
# A term that is not a stop word but cannot match: never equal to a real term.
_NO_MATCH = ""
# The last query and its matchers (a strong reference, so ``is`` cannot be fooled
# by a recycled id).
_LAST: tuple[object, dict[str, "FieldMatchers"]] = (None, {})


@dataclass
class FieldMatchers:
    """What the query can match in one field, ready to test index terms against."""

    terms: set[str] = field(default_factory=set)
    prefixes: list[str] = field(default_factory=list)
    fuzzy: list[tuple[str, int, int]] = field(default_factory=list)
    patterns: list[re.Pattern[str]] = field(default_factory=list)
    ranges: list[tuple[str | None, str | None, bool, bool]] = field(default_factory=list)
    phrases: list[tuple[tuple[str, ...], int]] = field(default_factory=list)
    #: First letters a matching term can start with; None when anything can match.
    initials: set[str] | None = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.terms or self.prefixes or self.fuzzy or self.patterns
                    or self.ranges or self.phrases)

    def _initial(self, literal: str) -> None:
        if self.initials is not None:
            if literal:
                self.initials.add(literal[0])
            else:
                self.initials = None

    def add_term(self, text: str) -> None:
        self.terms.add(text)
        self._initial(text)

    def accepts(self, term: str) -> bool:
        """Whether ``term`` is matched by a term-level part (not a phrase) of the query."""
        if term in self.terms:
            return True
        for prefix in self.prefixes:
            if term.startswith(prefix):
                return True
        for text, maxdist, prefixlength in self.fuzzy:
            if (abs(len(term) - len(text)) <= maxdist
                    and term[:prefixlength] == text[:prefixlength]
                    and edit_distance(term, text, limit=maxdist) <= maxdist):
                return True
        for pattern in self.patterns:
            if pattern.match(term):
                return True
        for start, end, startexcl, endexcl in self.ranges:
            if start is not None and (term < start or (startexcl and term == start)):
                continue
            if end is not None and (term > end or (endexcl and term == end)):
                continue
            return True
        return False


def _text(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def query_matchers(query: wq.Query) -> dict[str, FieldMatchers]:
    """Split the positive (not negated) parts of ``query`` by text field."""
    out = {name: FieldMatchers() for name in TEXT_FIELDS}
    _walk(query, out)
    return {name: m for name, m in out.items() if m}


def _walk(q: wq.Query, out: dict[str, FieldMatchers]) -> None:
    if isinstance(q, wq.Not):
        return
    if isinstance(q, (wq.AndNot, wspans.SpanNot)):
        _walk(q.a, out)
        return
    if isinstance(q, wspans.WrappingSpan):     # SpanFirst: whoosh lists no children
        _walk(q.q, out)
        return
    fieldname = getattr(q, "fieldname", None)
    target = out.get(fieldname) if isinstance(fieldname, str) else None
    if isinstance(q, wq.Phrase):
        if target is not None:
            words = tuple(_text(w) for w in q.words if w is not None)
            if len(words) == 1:
                target.add_term(words[0])
            elif words:
                target.phrases.append((words, max(1, int(q.slop))))
                for word in words:
                    target._initial(word)
        return
    if isinstance(q, wq.Sequence) and not isinstance(q, wq.Ordered):
        subs = list(q.subqueries)
        if subs and all(type(s) is wq.Term for s in subs) and len({s.fieldname for s in subs}) == 1:
            seq_target = out.get(subs[0].fieldname)
            if seq_target is not None:
                words = tuple(_text(s.text) for s in subs)
                seq_target.phrases.append((words, max(1, int(q.slop))))
                for word in words:
                    seq_target._initial(word)
            return
    if target is not None and isinstance(q, (wq.Term, wq.Variations)) and not isinstance(
            q, wq.FuzzyTerm):
        target.add_term(_text(q.text))
        return
    if isinstance(q, wq.FuzzyTerm):
        if target is not None:
            text = _text(q.text)
            prefixlength = max(0, int(q.prefixlength))
            target.fuzzy.append((text, int(q.maxdist), prefixlength))
            target._initial(text[:prefixlength])
        return
    if isinstance(q, wq.Prefix):
        if target is not None:
            text = _text(q.text)
            target.prefixes.append(text)
            target._initial(text)
        return
    if isinstance(q, (wq.Wildcard, wq.Regex)):
        if target is not None:
            text = _text(q.text)
            pattern = fnmatch.translate(text) if isinstance(q, wq.Wildcard) else text
            try:
                target.patterns.append(re.compile(pattern))
            except re.error:
                return
            target._initial(wildcard_prefix(q, text))
        return
    if isinstance(q, wq.TermRange):
        if target is not None:
            start = _text(q.start) if q.start is not None else None
            end = _text(q.end) if q.end is not None else None
            target.ranges.append((start, end, bool(q.startexcl), bool(q.endexcl)))
            target.initials = None
        return
    if q.is_leaf():
        for name, text in q.iter_all_terms():
            if name in out:
                out[name].add_term(_text(text))
        return
    for child in q.children():
        _walk(child, out)


# -- finding matches ------------------------------------------------------------------

Match = tuple[int, int, object]     # (startchar, endchar, which query part)


def _scan_end(text: str) -> int:
    """Where scanning stops: ``SCAN_CHARS``, moved back to a space so no word is cut."""
    if len(text) <= SCAN_CHARS:
        return len(text)
    cut = max(text.rfind(" ", 0, SCAN_CHARS), text.rfind("\n", 0, SCAN_CHARS))
    return cut if cut > 0 else SCAN_CHARS


def _tokens(text: str, analyzer: NewsAnalyzer, initials: set[str] | None,
            positions: bool) -> tuple[str | None, list[str], list[str | None]]:
    """``(source, words, terms)`` of ``text``'s tokens, terms as the analyzer makes them.

    ``source`` is the lower-cased text the words were cut from, or None when
    lower-casing changed its length ("İ"); then the words come from ``text`` itself.
    A term is ``None`` for a stop word. Words that cannot match (see "Speed") are not
    stemmed: their term is ``None`` too, or, when ``positions`` are wanted (phrases),
    ``_NO_MATCH`` so that they still take a position.
    """
    lowered = text.lower()
    if len(lowered) == len(text):
        source: str | None = lowered
        words = split_words(lowered)
    else:
        source = None
        words = [w.lower() for w in split_words(text)]
    cache = term_cache(analyzer.language, analyzer.stem, analyzer.stop)
    if initials is None or analyzer.language in _PREFIX_STEMMERS:
        return source, words, list(map(cache.__getitem__, words))
    skipped = False
    for word in filterfalse(cache.__contains__, set(words)):
        first = word[0]
        if first in initials or (first > "\x7f" and fold_accents(first) in initials):
            cache[word]         # stems and remembers it
        else:
            skipped = True
    terms = list(map(cache.get, words))
    if skipped and positions:
        prepare = cache.prepare
        for i, (word, term) in enumerate(zip(words, terms)):
            if term is None and word not in cache and prepare(word) is not None:
                terms[i] = _NO_MATCH
    return source, words, terms


def _term_matches(text: str, matchers: FieldMatchers,
                  analyzer: NewsAnalyzer) -> list[Match] | None:
    """Matches of the term-level parts of ``matchers`` (no phrases), or None.

    The fast path: only *distinct* white-space separated chunks are tokenised (a news
    article repeats most of its chunks), and only the chunks holding a match are
    then found in the text, by ``str.find`` with a white-space boundary check (no
    token contains white space, so a token's offset is its chunk's plus its offset
    in the chunk). None when lower-casing changes the text's length (the caller
    takes the general path).
    """
    lowered = text.lower()
    if len(lowered) != len(text):
        return None
    cache = term_cache(analyzer.language, analyzer.stem, analyzer.stop)
    initials = matchers.initials
    if analyzer.language in _PREFIX_STEMMERS:
        initials = None
    # term -> accepted?, filled as terms are met; plain terms are known up front
    accepted: dict[str | None, bool] = dict.fromkeys(matchers.terms, True)
    accepted[None] = False
    only_terms = not (matchers.prefixes or matchers.fuzzy or matchers.patterns
                      or matchers.ranges)
    get = cache.get
    found: dict[str, list[tuple[int, int, str]]] = {}
    for chunk in set(lowered.split()):
        for start, end, word in chunk_tokens(chunk):
            term = get(word, _NO_MATCH)
            if term == _NO_MATCH:       # not analysed yet
                first = word[0]
                if initials is not None and first not in initials and not (
                        first > "\x7f" and fold_accents(first) in initials):
                    continue            # cannot match: do not stem it (see "Speed")
                term = cache[word]
            ok = accepted.get(term)
            if ok is None:
                ok = accepted[term] = False if only_terms else matchers.accepts(term)  # type: ignore[arg-type]
            if ok:
                found.setdefault(chunk, []).append((start, end, term))  # type: ignore[arg-type]
    matches: list[Match] = []
    size_text = len(lowered)
    find = lowered.find
    for chunk, tokens in found.items():
        size = len(chunk)
        pos = find(chunk)
        while pos >= 0:
            end = pos + size
            if (pos == 0 or lowered[pos - 1].isspace()) and (
                    end == size_text or lowered[end].isspace()):
                matches.extend((pos + s, pos + e, term) for s, e, term in tokens)
                pos = find(chunk, end)
            else:
                pos = find(chunk, pos + 1)
    matches.sort(key=lambda m: m[0])
    return matches


def find_matches(text: str, matchers: FieldMatchers, analyzer: NewsAnalyzer) -> list[Match]:
    """Every match of ``matchers`` in ``text`` (up to ``SCAN_CHARS``), sorted by start."""
    if multilingual.special(text, analyzer.language):
        return _token_matches(text, matchers, analyzer)
    text = text[:_scan_end(text)]
    if not matchers.phrases:
        fast = _term_matches(text, matchers, analyzer)
        if fast is not None:
            return fast
    source, words, terms = _tokens(text, analyzer, matchers.initials, bool(matchers.phrases))
    present = set(terms)
    present.discard(None)
    present.discard(_NO_MATCH)
    accepted = {t for t in present if matchers.accepts(t)}  # type: ignore[arg-type]
    phrases = [(w, slop) for w, slop in matchers.phrases if present.issuperset(w)]
    hits = [i for i, t in enumerate(terms) if t in accepted] if accepted else []
    if not hits and not phrases:
        return []
    spans = list(map(_SPAN, _WORD.finditer(text if source is None else source)))
    matches: list[Match] = [(*spans[i], terms[i]) for i in hits]
    if phrases:
        matches.extend(_phrase_matches(spans, terms, phrases))
        matches.sort(key=lambda m: (m[0], m[1]))
    return matches


def _token_matches(text: str, matchers: FieldMatchers, analyzer: NewsAnalyzer) -> list[Match]:
    """:func:`find_matches` for text in another language or with CJK runs: every token
    analysed as the index analysed it (tagged terms, bigrams; no fast path)."""
    cut = multilingual.document_text(text[:_scan_end(text)], getattr(text, "language", ""))
    tokens = multilingual.spans_terms(analyzer, cut)
    terms = [t for _, _, t in tokens]
    present = set(terms)
    present.discard(None)
    accepted = {t for t in present if matchers.accepts(t)}  # type: ignore[arg-type]
    matches: list[Match] = [(s, e, t) for s, e, t in tokens if t in accepted]  # type: ignore[misc]
    phrases = [(w, slop) for w, slop in matchers.phrases if present.issuperset(w)]
    if phrases:
        matches.extend(_phrase_matches([(s, e) for s, e, _ in tokens], terms, phrases))
        matches.sort(key=lambda m: (m[0], m[1]))
    return matches


def _phrase_matches(spans: list[tuple[int, int]], terms: list[str | None],
                    phrases: list[tuple[tuple[str, ...], int]]) -> Iterable[Match]:
    kept = [i for i, t in enumerate(terms) if t is not None]   # position -> token index
    wanted = {w for words, _ in phrases for w in words}
    positions: dict[str, list[int]] = {w: [] for w in wanted}
    for pos, i in enumerate(kept):
        plist = positions.get(terms[i])  # type: ignore[arg-type]
        if plist is not None:
            plist.append(pos)
    for words, slop in phrases:
        key = ("phrase", words)
        for chain in _chains(words, slop, positions):
            if slop == 1:
                yield (spans[kept[chain[0]]][0], spans[kept[chain[-1]]][1], key)
            else:
                for word, pos in zip(words, chain):
                    yield (*spans[kept[pos]], word)


def _chains(words: Sequence[str], slop: int, positions: dict[str, list[int]]) -> Iterable[list[int]]:
    """Position chains where each word follows the previous one by 1..slop positions.

    Taking the earliest possible next position is enough: it leaves the most room
    for the words after it (whoosh's ``SpanNear2`` with ``ordered=True, mindist=1``).
    """
    last_end = -1
    for first in positions[words[0]]:
        if first <= last_end:
            continue                    # no overlapping occurrences of one phrase
        chain = [first]
        for word in words[1:]:
            plist = positions[word]
            j = bisect.bisect_right(plist, chain[-1])
            if j == len(plist) or plist[j] > chain[-1] + slop:
                break
            chain.append(plist[j])
        else:
            last_end = chain[-1]
            yield chain


# -- choosing and cutting fragments ---------------------------------------------------

def _ranked_runs(matches: list[Match], fragment_chars: int) -> list[tuple[int, int]]:
    """Every (first, last) run of matches that fits in ``fragment_chars``, best first.

    One run per first match, extended as far as it fits; ranked by distinct query
    parts, then number of matches, then position (earlier wins: deterministic).
    """
    scored = []
    j = 0
    n = len(matches)
    for i in range(n):
        start = matches[i][0]
        j = max(j, i)
        while j + 1 < n and matches[j + 1][1] - start <= fragment_chars:
            j += 1
        run = matches[i:j + 1]
        scored.append((-len({m[2] for m in run}), -len(run), start, i, j))
    scored.sort(key=lambda s: s[:3])
    return [(i, j) for *_, i, j in scored]


def _sentence_start(text: str, lo: int, pos: int) -> int | None:
    """The start of the sentence holding ``pos``, if it lies in ``[lo, pos]``."""
    found = None
    for m in _SENTENCE_START.finditer(text, max(0, lo - 4), pos + 1):
        if lo <= m.end() <= pos:
            found = m.end()
    if found is None and lo <= 0:
        return 0
    return found


def _word_start_after(text: str, pos: int) -> int:
    """The first word start at or after ``pos``, not counting the rest of a split word."""
    if pos <= 0:
        return 0
    m = _WORD.search(text, pos)
    if m is None:
        return pos
    prev = text[pos - 1]
    if m.start() == pos and (prev.isalnum() or prev in "_'’"):
        m = _WORD.search(text, m.end())
        if m is None:
            return pos
    return m.start()


def _cut_end(text: str, core_end: int, limit: int, min_end: int) -> tuple[int, bool]:
    """Where a fragment whose matches end at ``core_end`` stops, and if mid-sentence.

    ``limit`` is the furthest allowed end. The last sentence end before it is taken
    if it is at least at ``min_end`` (the fragment keeps half its length); else the
    last word end.
    """
    if limit >= len(text):
        return len(text), False
    best = None
    for m in _SENTENCE_END.finditer(text, core_end, limit + 1):
        if m.end() <= limit:
            best = m.end()
    if best is not None and best >= min_end:
        return best, False
    end = core_end
    split = text[limit].isalnum() or text[limit] in "_'’"     # a word runs past the limit
    for m in _WORD.finditer(text, core_end, limit):
        if m.end() < limit or not split:
            end = m.end()
    closing = _SENTENCE_END.match(text, end)
    if closing:
        return closing.end(), False
    return end, True


def _widen(text: str, core_start: int, core_end: int, fragment_chars: int,
           lo: int, hi: int) -> tuple[int, int, bool, bool]:
    """(start, end, cut_before, cut_after) of a fragment around its matches.

    The fragment stays within ``[lo, hi)`` (the neighbours already chosen).
    """
    slack = max(0, fragment_chars - (core_end - core_start))
    start = _sentence_start(text, max(lo, core_start - slack * 2 // 3), core_start)
    cut_before = False
    if start is None:
        start = _word_start_after(text, max(lo, core_start - min(slack // 3, 60)))
        start = min(start, core_start)
        cut_before = start > 0
    room = max(0, fragment_chars - (core_end - start))
    limit = min(hi, core_end + room)
    if limit >= len(text):
        return start, len(text), cut_before, False
    end, cut_after = _cut_end(text, core_end, limit, start + fragment_chars // 2)
    return start, end, cut_before, cut_after


def fragments(text: str, matches: list[Match], max_fragments: int = 3,
              fragment_chars: int = 200, fieldname: str = "body") -> list[Snippet]:
    """The best ``max_fragments`` non-overlapping fragments of ``text``, in text order."""
    chosen: list[tuple[int, int, bool, bool]] = []
    for i, j in _ranked_runs(matches, fragment_chars):
        if len(chosen) == max_fragments:
            break
        core_start, core_end = matches[i][0], max(m[1] for m in matches[i:j + 1])
        if any(core_start < e and core_end > s for s, e, _, _ in chosen):
            continue
        lo = max((e for s, e, _, _ in chosen if e <= core_start), default=0)
        hi = min((s for s, e, _, _ in chosen if s >= core_end), default=len(text))
        chosen.append(_widen(text, core_start, core_end, fragment_chars, lo, hi))
    chosen.sort()
    merged = _merge(matches)
    return [_compose(fieldname, text, s, e, merged, b, a) for s, e, b, a in chosen]


def lead(text: str, fieldname: str = "body", fragment_chars: int = 200) -> Snippet:
    """The opening of ``text`` up to about ``fragment_chars``, at a sentence or word end."""
    start = len(text) - len(text.lstrip())
    limit = start + fragment_chars
    if limit >= len(text):
        return _compose(fieldname, text, start, len(text), (), False, False)
    end, cut_after = _cut_end(text, start, limit, start + fragment_chars // 2)
    return _compose(fieldname, text, start, end, (), False, cut_after)


def _compose(fieldname: str, text: str, start: int, end: int, spans: Sequence[tuple[int, int]],
             cut_before: bool, cut_after: bool) -> Snippet:
    """The snippet of ``text[start:end]``: whitespace collapsed, ellipses, moved spans."""
    pieces = [ELLIPSIS] if cut_before else []
    pos = len(pieces[0]) if pieces else 0
    out_spans = []
    cursor = start
    for s, e in spans:
        if s < cursor or e > end:
            continue
        gap = _SPACES.sub(" ", text[cursor:s])
        if not pieces or pieces == [ELLIPSIS]:
            gap = gap.lstrip()
        pieces.append(gap)
        pos += len(gap)
        marked = _SPACES.sub(" ", text[s:e])
        pieces.append(marked)
        out_spans.append((pos, pos + len(marked)))
        pos += len(marked)
        cursor = e
    tail = _SPACES.sub(" ", text[cursor:end])
    if not out_spans:
        tail = tail.lstrip()
    pieces.append(tail.rstrip())
    if cut_after:
        pieces.append(ELLIPSIS)
    return Snippet(fieldname, "".join(pieces), tuple(out_spans))


def _merge(matches: Iterable[Match]) -> list[tuple[int, int]]:
    """The union of match spans (a term inside a phrase joins the phrase), in order."""
    merged: list[list[int]] = []
    for s, e, _ in matches:
        if merged and s < merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1][1] = e
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


def make_snippets(query: wq.Query, fields: Mapping[str, str], analyzer: NewsAnalyzer,
                  max_fragments: int = 3, fragment_chars: int = 200) -> list[Snippet]:
    """Up to ``max_fragments`` body fragments, plus the title when it matched.

    ``query`` is the parsed whoosh query, ``fields`` the hit's stored fields and
    ``analyzer`` the body field's analyzer (used for the title too: both fields
    share it). ``max_fragments=0`` means no snippets at all. See the module
    docstring for what is marked and how fragments are cut.
    """
    if max_fragments <= 0:
        return []
    global _LAST
    last = _LAST
    if last[0] is query:            # the engine asks once per hit with the same query
        matchers = last[1]
    else:
        matchers = query_matchers(query)
        _LAST = (query, matchers)
    out: list[Snippet] = []
    language = fields.get("language") or ""          # the article's own analysis
    body = multilingual.document_text(fields.get("body") or "", language)
    if body.strip():
        body_m = matchers.get("body")
        matches = find_matches(body, body_m, analyzer) if body_m else []
        if matches:
            out.extend(fragments(body, matches, max_fragments, fragment_chars))
        else:
            out.append(lead(body, "body", fragment_chars))
    title = multilingual.document_text(fields.get("title") or "", language)
    title_m = matchers.get("title")
    if title.strip() and title_m:
        matches = find_matches(title, title_m, analyzer)
        if matches:
            out.append(_compose("title", title, 0, len(title), _merge(matches), False, False))
    return out
