"""Text analysis: the one analyzer used both to index and to query.

Pipeline, per token, in this order::

    regex tokens (:data:`TOKEN_RE`, character spans)  ->  lower-case (’ -> ')  ->  acronym dots
    ("U.S." -> "us"), digit-group commas ("1,000" -> "1000")  ->  stop word?  ->
    NLTK Snowball stem  ->  accent fold

That is the index's own language. An article in another language (its title and body
arrive as :class:`searchcore.multilingual.LanguageText`) and text with CJK or Thai
runs take :mod:`searchcore.multilingual` instead: the same kernel and the same steps
with that language's stemmer and stop list and a language tag on each term, and
character bigrams for the CJK runs.

Why one class instead of a whoosh ``Tokenizer | Filter | Filter`` chain: each stage
of a chain is a Python generator, and on news text the chain costs about four times
the regex itself. Here every distinct word is analysed once and remembered
(``word -> term or None``), so the steady-state cost per token is one dict lookup —
news vocabulary is Zipfian, so the cache hit rate is above 99% after a few thousand
articles. The result is exactly what the chain would produce.

Decisions a user can see:

* **Numbers and names are one token each**, as people write them (the classes
  Lucene's StandardTokenizer keeps whole): a decimal ``1.5`` (not ``15``), ``3.5%`` and
  ``$1.5`` (the number ``3.5``, ``1.5``: signs are not indexed, so "3.5 pct" matches
  too), grouped thousands ``1,000,000`` (the same term as ``1000000``; other digit
  commas such as ``1,5`` stay as written), years, ordinals (``21st``), ampersand
  names (``AT&T``, ``S&P``, ``AT&T's`` -> ``at&t``: never lost as two stop words),
  names with digits (``3M``, ``A380``), dotted tickers and hosts (``BRK.B``,
  ``www.reuters.com``). A dot becomes a joiner only between word characters, so a
  sentence's final dot is never part of a token; acronym dots are dropped only
  between single *letters* (``U.S.`` -> ``us``). A hyphen splits (``Coca-Cola``,
  ``F-16``): the query parser turns a split word into a phrase of its parts.

* **Stop words** come from the Snowball lists that ship inside whoosh (14
  languages; NLTK's own corpus needs a download). Languages without a list (Arabic,
  Romanian, "porter") index every word.
* **Stop words inside phrases** are dropped at index and query time, and token
  positions count only the words that are kept. So ``"Bank of America"`` matches the
  text "Bank of America" — and also "Bank for America", since "of" and "for" are
  both stop words. Lucene instead leaves a gap that any word fills; whoosh phrases
  cannot express gaps, and this way a phrase never fails because of a stop word.
* **Accents** are folded *after* stemming, because the French and German Snowball
  stemmers expect accented input; ``café`` and ``cafe`` end up as the same term.
* Tokens longer than ``MAX_TOKEN_CHARS`` are dropped (base64 blobs, URLs gone wrong).

One tokenising kernel: :data:`TOKEN_RE` (and its fast forms :func:`split_words`,
:func:`chunk_tokens`, :func:`token_spans`) is what the analyzer, the bulk writer and
the snippets split text with; none of them uses a second tokenizer.

NLTK is imported only when a word must be stemmed that this process has not seen
and no open index knows (an index stores the words it was built from with their
terms, see :func:`add_known_words`): importing it costs ~0.3 s, most of a cold
``searchcore search``.

The analyzer is pickled into every index by whoosh. Keep ``NewsAnalyzer`` here, with
this name and these attribute names; a change to what it produces for the same input
requires bumping ``searchcore.layout.FORMAT_VERSION``.
"""

from __future__ import annotations

import re
import time
import unicodedata
from typing import Callable, Iterator

from whoosh.analysis import Analyzer, Token
from whoosh.lang.stopwords import stoplists

#: The tokenising kernel, shared by the analyzer, the bulk writer and the snippets:
#: runs of word characters joined by an apostrophe, a dot or an ampersand with a word
#: character on both sides ("don't", "U.S", "3.5", "AT&T", "www.reuters.com"), or by a
#: comma between digits ("1,000"). Every token starts and ends with a word character:
#: :func:`chunk_tokens` relies on that.
TOKEN_PATTERN = r"\w+(?:(?:['’.&]|(?<=\d),(?=\d))\w+)*"
TOKEN_RE = re.compile(TOKEN_PATTERN)
MAX_TOKEN_CHARS = 64

#: The languages NLTK's SnowballStemmer supports (plus "porter", its English variant);
#: written out so that checking a language does not import NLTK (a test compares).
LANGUAGES: tuple[str, ...] = (
    "arabic", "danish", "dutch", "english", "finnish", "french", "german", "hungarian",
    "italian", "norwegian", "porter", "portuguese", "romanian", "russian", "spanish",
    "swedish")
#: How many known-word tables (one per open segment) a term cache consults.
MAX_KNOWN = 16

# whoosh keys its stop lists by ISO 639-1 code.
_STOPLIST_CODES = {
    "danish": "da", "dutch": "nl", "english": "en", "finnish": "fi", "french": "fr",
    "german": "de", "hungarian": "hu", "italian": "it", "norwegian": "no",
    "portuguese": "pt", "russian": "ru", "spanish": "es", "swedish": "sv", "turkish": "tr",
    "porter": "en",
}

# Single letters joined by dots ("u.s", "p.m"): not digits, so "1.5" stays a decimal.
_ACRONYM = re.compile(r"^(?:[^\W\d_]\.)+[^\W\d_]$")
# Digit groups of three after the first ("1,000", "12,500,000.25"): one number.
_GROUPED = re.compile(r"^\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
# Bound on each cache: a pathological corpus (random ids, hashes) must not eat memory.
_CACHE_LIMIT = 500_000


def check_language(language: str) -> str:
    """Return ``language`` lower-cased if NLTK's Snowball stemmer knows it, else raise."""
    lang = language.strip().lower()
    if lang not in LANGUAGES:
        from searchcore.errors import SearchcoreError

        raise SearchcoreError(
            f"unsupported language {language!r}; choose one of: {', '.join(LANGUAGES)}")
    return lang


def stopwords_for(language: str) -> frozenset[str]:
    """The stop list used for ``language`` (empty where whoosh ships none)."""
    code = _STOPLIST_CODES.get(language)
    return frozenset(stoplists[code]) if code else frozenset()


def fold_accents(text: str) -> str:
    """``"Café Zürich"`` -> ``"Cafe Zurich"``: decompose, then drop combining marks."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


class _TermCache(dict):
    """``lower-cased word -> index term`` (``None`` for a stop word), filled on demand.

    A dict subclass with ``__missing__`` keeps the hit path inside C: ``cache[word]``.
    """

    def __init__(self, language: str, stem: bool, stop: bool) -> None:
        super().__init__()
        self.language = language
        self.stopwords = stopwords_for(language) if stop else frozenset()
        self._stem: Callable[[str], str] | None = None if stem else (lambda w: w)
        #: ``(name, lookup)``: ``lookup(word)`` gives a known term, None for a stop
        #: word, or ``UNKNOWN``; filled by :func:`add_known_words`.
        self.known: list[tuple[str, Callable[[str], object]]] = []

    def stem(self, word: str) -> str:
        """Snowball-stem ``word``; NLTK is imported on the first call (~0.3 s)."""
        if self._stem is None:
            started = time.perf_counter()
            from nltk.stem.snowball import SnowballStemmer

            self._stem = SnowballStemmer(self.language).stem
            from searchcore.query import budget     # at call time: no import cycle

            budget.excuse(time.perf_counter() - started)
        return self._stem(word)

    def prepare(self, word: str) -> str | None:
        """``word`` as it is stemmed ("u.s" -> "us", "1,000" -> "1000"), None if dropped.

        Cheap (no stemming): the snippet code asks it about words it does not stem.
        """
        if "." in word and _ACRONYM.match(word):
            word = word.replace(".", "")
        elif "," in word and _GROUPED.match(word):
            word = word.replace(",", "")
        if word in self.stopwords or len(word) > MAX_TOKEN_CHARS:
            return None
        return word

    def known_term(self, word: str) -> object:
        """The term of a lower-cased ``word`` this process or an open index has seen
        (None for a stop word), else :data:`UNKNOWN`; never stems, so never imports NLTK."""
        if word in self:
            return self[word]
        return self._from_known_tables(word)

    def _from_known_tables(self, word: str) -> object:
        for _, lookup in self.known:
            known = lookup(word)
            if known is not UNKNOWN:
                return known
        return UNKNOWN

    def __missing__(self, word: str) -> str | None:
        if len(self) >= _CACHE_LIMIT:
            self.clear()
        known = self._from_known_tables(word)
        if known is not UNKNOWN:
            self[word] = known                # type: ignore[assignment]
            return known                      # type: ignore[return-value]
        key = word
        prepared = self.prepare(word)
        if prepared is None:
            term = None
        else:
            term = fold_accents(self.stem(prepared.replace("’", "'")))
            if term.endswith("'s"):      # possessive, for the unstemmed fields
                term = term[:-2]
            term = term.strip("'") or None
        self[key] = term
        return term


# One cache per (language, stem, stop): shared by every analyzer instance in the
# process, and deliberately *not* an attribute, so it is neither pickled into the
# index nor compared by whoosh's ``Analyzer.__eq__``.
_CACHES: dict[tuple[str, bool, bool], _TermCache] = {}
#: What a known-word lookup returns for a word it does not know.
UNKNOWN = object()


def chunk_tokens(chunk: str) -> list[tuple[int, int, str]]:
    """``(start, end, word)`` of the tokens of one white-space free ``chunk``.

    No token contains white space, so a text's tokens are its chunks' tokens. Most
    chunks are a bare word, or a word and one punctuation mark, and need no regex:
    a token starts and ends with a word character, so a trailing mark never joins.
    """
    if chunk.isalnum():
        return [(0, len(chunk), chunk)]
    if chunk[:-1].isalnum() and chunk[-1] != "_":
        return [(0, len(chunk) - 1, chunk[:-1])]
    return [(m.start(), m.end(), m.group()) for m in TOKEN_RE.finditer(chunk)]


def split_words(text: str) -> list[str]:
    """``TOKEN_RE.findall(text)``, about 40% faster on news text (see :func:`chunk_tokens`)."""
    out: list[str] = []
    append = out.append
    findall = TOKEN_RE.findall
    for chunk in text.split():
        if chunk.isalnum():
            append(chunk)
        elif chunk[:-1].isalnum() and chunk[-1] != "_":
            append(chunk[:-1])
        else:
            out += findall(chunk)
    return out


def token_spans(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of every token of ``text``: :data:`TOKEN_RE`'s matches."""
    for m in TOKEN_RE.finditer(text):
        yield m.span()


def _spans_terms(value: str, cache: _TermCache) -> Iterator[tuple[int, int, str | None]]:
    """``(start, end, term)`` of ``value``'s tokens (term None for a stop word)."""
    # str.lower() can change length for a few characters (e.g. "İ"); offsets must
    # index the original text, so fall back to per-token lower-casing there.
    lowered = value.lower()
    if len(lowered) == len(value):
        for start, end in token_spans(lowered):
            yield start, end, cache[lowered[start:end]]
    else:
        for start, end in token_spans(value):
            yield start, end, cache[value[start:end].lower()]


def clear_term_caches() -> None:
    """Empty every term cache (the known-word tables stay): the end of a build frees
    what its vocabulary filled them with (up to :data:`_CACHE_LIMIT` words each,
    ~150 bytes a word) before the story linking allocates its arrays."""
    for cache in _CACHES.values():
        cache.clear()


def term_cache(language: str, stem: bool = True, stop: bool = True) -> _TermCache:
    """The shared ``word -> term`` table for these settings (used by fast paths too)."""
    key = (language, stem, stop)
    cache = _CACHES.get(key)
    if cache is None:
        cache = _CACHES[key] = _TermCache(language, stem, stop)
    return cache


def add_known_words(language: str, stem: bool, stop: bool, name: str,
                    lookup: Callable[[str], object]) -> None:
    """Let the term cache for these settings answer new words from ``lookup`` before
    stemming them (``name`` identifies the table: added once; the oldest of more
    than ``MAX_KNOWN`` are dropped). Indexes register the words they were built from."""
    cache = term_cache(language, stem, stop)
    if any(n == name for n, _ in cache.known):
        return
    cache.known.append((name, lookup))
    del cache.known[:-MAX_KNOWN]


class NewsAnalyzer(Analyzer):
    """Tokenise, lower-case, drop stop words, Snowball-stem, fold accents.

    >>> [t.text for t in NewsAnalyzer("english")("Iran launched 300 drones and missiles")]
    ['iran', 'launch', '300', 'drone', 'missil']

    ``stem=False, stop=False`` gives the exact-word analyzer used for source and
    author names. Tokens carry positions (for phrases) and character offsets (for
    highlighting) when whoosh asks for them.
    """

    def __init__(self, language: str = "english", stem: bool = True, stop: bool = True) -> None:
        self.language = check_language(language)
        self.stem = stem
        self.stop = stop

    def __repr__(self) -> str:
        return f"NewsAnalyzer({self.language!r}, stem={self.stem}, stop={self.stop})"

    def has_morph(self) -> bool:
        return self.stem

    def terms(self, text: str) -> list[str]:
        """Just the index terms of ``text``, in order (no Token objects)."""
        if self.stem and _multilingual.special(text, self.language):
            return _multilingual.terms(self, text)      # another language, or CJK
        cache = term_cache(self.language, self.stem, self.stop)
        lowered = text.lower()
        if len(lowered) == len(text):
            words = split_words(lowered)
        else:       # as __call__: lower-case each token of the original text
            words = [w.lower() for w in split_words(text)]
        get = cache.__getitem__          # dict lookup; __missing__ analyses new words
        return [t for t in map(get, words) if t is not None]

    def __call__(self, value: str, positions: bool = False, chars: bool = False,
                 keeporiginal: bool = False, removestops: bool = True, start_pos: int = 0,
                 start_char: int = 0, tokenize: bool = True, mode: str = "",
                 **kwargs: object) -> Iterator[Token]:
        cache = term_cache(self.language, self.stem, self.stop)
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            # Whoosh passes a single pre-split word (e.g. a prefix or wildcard term).
            token.original = token.text = value
            term = cache[value.lower()]
            token.stopped = term is None
            if term is not None or not removestops:
                token.text = term if term is not None else value.lower()
                token.boost = 1.0
                if positions:
                    token.pos = start_pos
                if chars:
                    token.startchar, token.endchar = start_char, start_char + len(value)
                yield token
            return
        if self.stem and _multilingual.special(value, self.language):
            found = _multilingual.spans_terms(self, value)   # another language, or CJK
        else:
            found = _spans_terms(value, cache)
        pos = start_pos
        for start, end, term in found:
            if term is None:
                if removestops:
                    continue
                token.stopped = True
                token.text = value[start:end].lower()
            else:
                token.stopped = False
                token.text = term
            if keeporiginal:
                token.original = value[start:end]
            token.boost = 1.0
            if positions:
                token.pos = pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            if not token.stopped:
                pos += 1
            yield token


# Per-language analysis (another language's stemmer and stop words, CJK bigrams) lives
# in its own module; imported last because it builds on this one.
from searchcore import multilingual as _multilingual  # noqa: E402


def make_analyzer(language: str = "english") -> NewsAnalyzer:
    """The analyzer for article text (title and body) in ``language``."""
    return NewsAnalyzer(language)


def make_name_analyzer() -> NewsAnalyzer:
    """Exact words, no stemming or stop words: for sources and author names."""
    return NewsAnalyzer("english", stem=False, stop=False)
