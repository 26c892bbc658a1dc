"""Per-language analysis: each article's words get its own language's stemmer and stop
words, and scripts written without spaces are cut into character bigrams.

One ``title``/``body`` field holds every language. What differs per article is the
*terms*:

* **The index's own language** (``create_index(language=...)``, English by default),
  and articles without a ``language``, are analysed exactly as before: untagged
  terms (``missil``). An English-only index is byte for byte what it was.
* **Any other language** gets its own Snowball stemmer and stop list and a language
  tag on every term, so stems of different languages never collide: German
  "Ölpreise" is ``de:olpreis``, English "oil" stays ``oil``. Languages NLTK's Snowball
  has no stemmer for (Polish, Chinese, ...) are tagged and not stemmed.
* **Han, Hiragana, Katakana, Hangul and Thai** runs become overlapping character
  bigrams, whatever the article's language (``日本銀行`` -> ``日本 本銀 銀行``; a single
  character stays a unigram), as Lucene's ``CJKBigramFilter`` does: no dictionary to
  ship, and a query's bigrams searched as a phrase find the word wherever it is.
  Bigrams carry no tag (the same characters mean the same in Chinese and Japanese
  text), are not stemmed, and are not accent folded (NFKD would strip Japanese
  dakuten: が -> か). Thai gets bigrams too: its word breaking needs a dictionary
  (ICU), and bigrams are the usual dictionary-free fallback.

The document's language reaches the analyzer with the text itself: ``to_document``
gives whoosh a :class:`LanguageText` (a ``str`` that carries ``language``) for title
and body and the plain text as the stored value, so both whoosh's writer and the
bulk writer see it, and nothing new is pickled into the index (the analyzer is still
``NewsAnalyzer(language, stem, stop)``).

Stop lists: the Snowball lists that ship inside whoosh (``whoosh.lang.stopwords``,
from snowballstem.org: Danish, Dutch, English, Finnish, French, German, Hungarian,
Italian, Norwegian, Portuguese, Russian, Spanish, Swedish, Turkish), the same source
as the English list; nothing is downloaded. Arabic and Romanian have a stemmer but
no list there and keep every word, as an Arabic or Romanian index always did.

Queries: :mod:`searchcore.query.alternatives` analyses a query word once per
language present in the index and scores the alternatives as one term.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

from searchcore.analysis import TOKEN_RE, term_cache

__all__ = ["LanguageText", "Profile", "document_text", "language_code", "profile_for",
           "special", "spans_terms", "terms", "CJK_CHARS"]

#: ISO 639-1 code -> NLTK Snowball language.
SNOWBALL: dict[str, str] = {
    "ar": "arabic", "da": "danish", "nl": "dutch", "en": "english", "fi": "finnish",
    "fr": "french", "de": "german", "hu": "hungarian", "it": "italian", "no": "norwegian",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "es": "spanish", "sv": "swedish",
}
_CODE_OF = {name: code for code, name in SNOWBALL.items()} | {"porter": "en"}

#: Letters of the scripts cut into bigrams: Hangul (Jamo, syllables, compatibility
#: Jamo), CJK radicals, ideographs (unified, extension A, compatibility, the
#: supplementary planes) with the iteration marks 々〆〇, Hiragana, Katakana (not the
#: middle dot ・) and half-width Katakana, Bopomofo, and Thai letters and vowel/tone
#: marks. CJK punctuation (、。「」) and Thai digits are not in it.
CJK_CHARS = ("\u0e01-\u0e3a\u0e40-\u0e4e\u1100-\u11ff\u2e80-\u2fdf\u3005-\u3007"
             "\u3031-\u3035\u3041-\u309f\u30a1-\u30fa\u30fc-\u30ff\u3100-\u318f"
             "\u31a0-\u31bf\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f"
             "\uac00-\ud7ff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f")
_CJK = re.compile(f"[{CJK_CHARS}]")
_CJK_RUN = re.compile(f"[{CJK_CHARS}]+")


class LanguageText(str):
    """A title or body that knows the ISO 639 code of its language.

    Pickles as a plain ``str`` (``__reduce__``), so it can never end up in an index as
    a class the safe unpickler would refuse.
    """

    language: str

    def __new__(cls, text: str, language: str) -> "LanguageText":
        obj = super().__new__(cls, text)
        obj.language = language
        return obj

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (str, (str(self),))


def document_text(text: str, language: str | None) -> str:
    """``text`` carrying ``language`` for the analyzer (plain ``text`` if there is none)."""
    return LanguageText(text, language) if language else text


def language_code(snowball_language: str) -> str:
    """The ISO code of an analyzer language (``"english"`` -> ``"en"``)."""
    return _CODE_OF.get(snowball_language, snowball_language)


@dataclass(frozen=True)
class Profile:
    """How one language's words become terms, relative to an analyzer's own language.

    ``tag`` is ``""`` for the analyzer's own language (and untagged articles), else
    ``"de:"``; ``stemmer`` the Snowball language (``""``: not stemmed, no stop words).
    """

    code: str
    tag: str
    stemmer: str

    def cache(self, stem: bool, stop: bool) -> Any:
        if self.stemmer:
            return term_cache(self.stemmer, stem, stop)
        return term_cache(self.code, False, False)


_PROFILES: dict[tuple[str, str], Profile] = {}


def profile_for(code: str, analyzer_language: str) -> Profile:
    """The profile of articles in ``code`` for an analyzer of ``analyzer_language``."""
    key = (code, analyzer_language)
    profile = _PROFILES.get(key)
    if profile is None:
        own = language_code(analyzer_language)
        if not code or code == own:
            profile = Profile(own, "", analyzer_language)
        else:
            # Tags are made of the code's letters only: ":" never occurs in a token.
            safe = re.sub(r"[^a-z0-9]", "", code.lower())[:8] or "xx"
            profile = Profile(code, safe + ":", SNOWBALL.get(code, ""))
        _PROFILES[key] = profile
    return profile


def special(text: str, analyzer_language: str) -> bool:
    """Does ``text`` need this module (another language, or a script without spaces)?

    Cheap for the common case: a plain ``str`` of ASCII text is two C calls.
    """
    code = getattr(text, "language", None)
    if code and code != language_code(analyzer_language):
        return True
    return not text.isascii() and _CJK.search(text) is not None


class _Tagged(dict):
    """``word -> tag + term`` (None for a stop word) over a profile's term cache."""

    def __init__(self, tag: str, base: Any) -> None:
        super().__init__()
        self.tag = tag
        self.base = base

    def __missing__(self, word: str) -> str | None:
        if len(self) >= 500_000:
            self.clear()
        term = self.base[word]
        value = self[word] = None if term is None else self.tag + term
        return value


_TAGGED: dict[tuple[str, str, bool, bool], _Tagged] = {}


def word_cache(profile: Profile, stem: bool, stop: bool) -> Any:
    """``lower-cased word -> term`` for ``profile`` (tagged unless it is the default)."""
    base = profile.cache(stem, stop)
    if not profile.tag:
        return base
    key = (profile.tag, profile.stemmer, stem, stop)
    cache = _TAGGED.get(key)
    if cache is None:
        cache = _TAGGED[key] = _Tagged(profile.tag, base)
    return cache


def _bigrams(run: str, start: int) -> Iterator[tuple[int, int, str]]:
    if len(run) == 1:
        yield start, start + 1, run
        return
    for i in range(len(run) - 1):
        yield start + i, start + i + 2, run[i:i + 2]


def spans_terms(analyzer: Any, text: str,
                profile: Profile | None = None) -> list[tuple[int, int, str | None]]:
    """``(start, end, term)`` of every token of ``text`` (term None for a stop word).

    ``profile`` defaults to the one of ``text.language`` (see :class:`LanguageText`).
    Offsets index ``text``; CJK runs inside a token become bigrams.
    """
    if profile is None:
        profile = profile_for(getattr(text, "language", "") or "", analyzer.language)
    cache = word_cache(profile, analyzer.stem, analyzer.stop)
    lowered = text.lower()
    same_length = len(lowered) == len(text)
    source = lowered if same_length else text
    if source.isascii() or _CJK.search(source) is None:
        return _words(source, 0, len(source), cache, same_length)
    # Runs of CJK letters become bigrams; the text between them is tokenised as usual.
    out: list[tuple[int, int, str | None]] = []
    done = 0
    for run in _CJK_RUN.finditer(source):
        if run.start() > done:
            out += _words(source, done, run.start(), cache, same_length)
        out.extend(_bigrams(run.group(), run.start()))
        done = run.end()
    if done < len(source):
        out += _words(source, done, len(source), cache, same_length)
    return out


def _words(source: str, start: int, end: int, cache: Any,
           lowered: bool) -> list[tuple[int, int, str | None]]:
    """The kernel's tokens of ``source[start:end]`` and their terms."""
    get = cache.__getitem__
    if lowered:
        return [(m.start(), m.end(), get(m.group()))
                for m in TOKEN_RE.finditer(source, start, end)]
    return [(m.start(), m.end(), get(m.group().lower()))
            for m in TOKEN_RE.finditer(source, start, end)]


def terms(analyzer: Any, text: str, profile: Profile | None = None) -> list[str]:
    """The index terms of ``text`` in order (what ``NewsAnalyzer.terms`` returns)."""
    return [t for _, _, t in spans_terms(analyzer, text, profile) if t is not None]
