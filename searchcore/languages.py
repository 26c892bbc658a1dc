"""Language tags: normalising declared ones and detecting missing ones.

An article's ``language`` is stored as an ISO 639-1 code (``en``, ``de``, ``ja``) so
that ``language:de`` and ``--language de`` find every German article whichever way
it was tagged: ``de-DE`` from an HTML ``lang`` attribute, ``German`` from a CSV, or
nothing at all, in which case :func:`detect_language` decides.

Detection uses py3langid (the langid.py model, 97 languages, shipped inside the
package: nothing is downloaded). It looks at the first :data:`DETECT_CHARS`
characters only: accuracy on news text is flat beyond a few hundred characters and
the cost grows with the length (about 0.2 ms for 300 characters, 0.5 ms for 1,000).
Text too short to judge (:data:`MIN_DETECT_CHARS`) gets no language rather than a
guess.
"""

from __future__ import annotations

import re

__all__ = ["DETECT_CHARS", "MIN_DETECT_CHARS", "detect_language", "normalize_language"]

#: How much of a text detection reads.
DETECT_CHARS = 600
#: Below this many letters a text gets no detected language.
MIN_DETECT_CHARS = 20

# English names (and Snowball's) of the common languages, for tags written out.
_NAMES = {
    "arabic": "ar", "catalan": "ca", "chinese": "zh", "czech": "cs", "danish": "da",
    "dutch": "nl", "english": "en", "finnish": "fi", "french": "fr", "german": "de",
    "greek": "el", "hebrew": "he", "hindi": "hi", "hungarian": "hu",
    "indonesian": "id", "italian": "it", "japanese": "ja", "korean": "ko",
    "norwegian": "no", "polish": "pl", "portuguese": "pt", "romanian": "ro",
    "russian": "ru", "spanish": "es", "swedish": "sv", "thai": "th", "turkish": "tr",
    "ukrainian": "uk", "vietnamese": "vi",
}
# Old or alternative codes for the same language.
_CODES = {"iw": "he", "in": "id", "ji": "yi", "nb": "no", "nn": "no", "jw": "jv"}
_TAG = re.compile(r"^([a-z]{2,3})(?:[-_][a-z0-9]{1,8})*$")


def normalize_language(tag: str | None) -> str:
    """``tag`` as a lower-case ISO 639 code (``"de-DE"`` -> ``"de"``); ``""`` if none.

    Names of common languages (``"German"``) become their code; any other value is
    kept lower-cased, so nothing a source says is lost.

    >>> normalize_language("en-US"), normalize_language("German"), normalize_language("")
    ('en', 'de', '')
    """
    if not tag:
        return ""
    text = tag.strip().lower()
    if text in _NAMES:
        return _NAMES[text]
    match = _TAG.match(text)
    if match:
        code = match.group(1)
        return _CODES.get(code, code)
    return text


def detect_language(text: str) -> str:
    """The ISO 639-1 code of the language ``text`` is written in, or ``""``.

    >>> detect_language("Die Ölpreise sind am Montag deutlich gestiegen, sagte der Minister.")
    'de'
    """
    sample = text[:DETECT_CHARS]
    if sum(ch.isalpha() for ch in sample) < MIN_DETECT_CHARS:
        # CJK text packs a word into one or two characters: count those double.
        if sum(2 if "\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" else 0
               for ch in sample) < MIN_DETECT_CHARS:
            return ""
    # Imported on first use: loading the model takes about 0.3 s, which a search
    # (or a JSONL build, which never detects) should not pay.
    import py3langid
    code, _ = py3langid.classify(sample)
    return _CODES.get(code, code)
