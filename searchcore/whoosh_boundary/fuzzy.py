"""Workaround: whoosh's segment readers find fuzzy terms without transpositions.

``IndexReader.terms_within`` is documented as Damerau-Levenshtein (a transposition is
one edit), and the generic implementation is; but ``SegmentReader`` (every on-disk
index) answers from a Levenshtein automaton, where a transposition costs two edits:
``terms_within("body", "cocao", 1)`` finds "coca" and not "cocoa". This adds the
terms within ``maxdist - 1`` edits of each adjacent transposition of the word, which
is the Damerau neighbourhood (optimal string alignment) the documentation promises.
``tests/test_suggest.py`` checks that stock whoosh still misses them.
"""

from __future__ import annotations

from typing import Any, Iterator


def transpositions(word: str) -> set[str]:
    """``word`` with one pair of adjacent, different letters swapped."""
    return {word[:i] + word[i + 1] + word[i] + word[i + 2:]
            for i in range(len(word) - 1) if word[i] != word[i + 1]}


def terms_within(reader: Any, fieldname: str, text: str, maxdist: int,
                 prefix: int = 0) -> Iterator[str]:
    """Terms of ``fieldname`` within ``maxdist`` Damerau edits of ``text`` (each once)."""
    seen: set[str] = set()
    for word in reader.terms_within(fieldname, text, maxdist, prefix=prefix):
        if word not in seen:
            seen.add(word)
            yield word
    if maxdist < 1:
        return
    for swapped in transpositions(text):
        if swapped[:prefix] != text[:prefix]:
            continue
        if maxdist == 1:
            found = [swapped] if (fieldname, swapped) in reader else []
        else:
            found = reader.terms_within(fieldname, swapped, maxdist - 1, prefix=prefix)
        for word in found:
            if word not in seen:
                seen.add(word)
                yield word
