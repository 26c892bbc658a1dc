"""MinHash signatures of article bodies and LSH band keys, in numpy.

An article's *content* is the set of its body's word shingles (``SHINGLE`` consecutive
words of the normalised body: lower-cased, accents folded, punctuation dropped).
Two copies of one wire story share most shingles whatever headline, trimmed last
paragraph or site furniture each outlet adds; two articles about the same event,
written separately, share few, because people rarely write the same five words in a
row. The parameters below were chosen on labelled pairs from Reuters-21578 and BBC
News (``benchmarks/stories.py``; the figures are in ``benchmarks/RESULTS.md``).

* **Signature**: ``PERMUTATIONS`` minima of multiply-shift hashes of the shingle
  hashes (``(a * h + b) >> 32`` in uint64 arithmetic, one odd ``a`` per permutation
  from a fixed seed). The share of equal positions in two signatures estimates the
  Jaccard similarity of the shingle sets (standard error about
  ``sqrt(J(1-J)/PERMUTATIONS)``, 0.06 at J=0.5).
* **Similarity used for stories**: the *containment* of the smaller set in the
  larger, ``|A∩B| / min(|A|, |B|)``, derived from the Jaccard estimate and the two
  shingle counts (``J (|A|+|B|) / ((1+J) min)``). A truncated copy has a low Jaccard
  but a containment near 1; a different article that quotes one paragraph has a low
  containment as long as the quoted article is longer than the quote.
  Pairs also need an estimated Jaccard of at least ``JACCARD_FLOOR`` (0.2).
* **Bands**: ``BANDS`` keys of ``ROWS`` signature values each (a 64-bit hash of the
  rows). Two articles are compared only when they share a band key: with 32 bands of
  2 rows, a pair of Jaccard 0.2 is a candidate with probability 0.75, 0.3 with 0.95,
  0.5 with 0.9999.

Word hashes come from BLAKE2b (stable across processes and machines, unlike
``hash()``), cached per word since news vocabulary is Zipfian.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Sequence

import numpy as np

from searchcore.distinct import distinct

#: Words per shingle.
SHINGLE = 4
#: Minimum values per signature (``BANDS * ROWS``).
PERMUTATIONS = 64
BANDS = 32
ROWS = 2
#: Estimated containment at which two articles are copies of one story.
THRESHOLD = 0.6
#: ... and at least this estimated Jaccard similarity: containment alone would let a
#: one-paragraph item chain together every longer article that quotes it.
JACCARD_FLOOR = 0.2
#: An article needs at least this many shingles to join a story: "Qtly div 15 cts vs
#: 15 cts prior, Pay April 30" notices and one-line items are alike by form, not by
#: content (with 8, 72 of 3,000 such Reuters pairs joined; with 20, 2).
MIN_SHINGLES = 20
#: The value of an empty signature position (a body with no words).
EMPTY = np.uint32(0xFFFFFFFF)

_WORD = re.compile(r"\w+", re.UNICODE)
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_rng = np.random.default_rng(20240414)
_MAX_PERMUTATIONS = 256
_A = (_rng.integers(1, 2**63, size=_MAX_PERMUTATIONS, dtype=np.uint64) * np.uint64(2)
      + np.uint64(1))
_B = _rng.integers(0, 2**63, size=_MAX_PERMUTATIONS, dtype=np.uint64)
# Per position of a shingle, an odd multiplier: the shingle hash is sum(m_j * w_j).
_POS = (_rng.integers(1, 2**63, size=16, dtype=np.uint64) * np.uint64(2) + np.uint64(1))
_BAND_MIX = np.uint64(0x9E3779B97F4A7C15)


def normalise(text: str) -> list[str]:
    """The words of ``text``: lower-cased, accents folded, punctuation dropped."""
    text = text.lower()
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return _WORD.findall(text)


# ASCII bytes -> themselves lower-cased where ``\w`` matches them (letters, digits,
# ``_``), else a space: ``bytes.translate`` then ``split()`` gives an ASCII text's
# :func:`normalise` words (as UTF-8) in 14-16 us an article of the 1M set, where the
# regex takes 34 (the word caches are keyed by these bytes).
_ASCII_WORDS = bytes(
    (ord(chr(c).lower()) if _WORD.fullmatch(chr(c)) else 0x20) if c < 128 else 0x20
    for c in range(256))


def words_utf8(text: str) -> list[bytes]:
    """:func:`normalise`'s words of ``text``, UTF-8 encoded (what the word hashes hash)."""
    raw = text.encode("utf-8")
    if raw.isascii():
        return raw.translate(_ASCII_WORDS).split()
    return [word.encode("utf-8") for word in normalise(text)]


class _WordHashes(dict):  # type: ignore[type-arg]
    """``UTF-8 word -> 64-bit hash``, computed once per word (bounded: cleared when full)."""

    def __missing__(self, word: bytes) -> int:
        if len(self) >= _WORD_CACHE:
            self.clear()
        value = self[word] = int.from_bytes(
            hashlib.blake2b(word, digest_size=8).digest(), "little")
        return value


#: Words whose hashes are kept (~120 bytes each). 2^20 of them were ~120 MB of a
#: 1M-article build's memory for a cache whose misses cost a microsecond each;
#: news vocabulary is Zipfian, so a quarter of that keeps nearly every hit.
_WORD_CACHE = 1 << 18
_word_hash = _WordHashes()


def forget_words() -> None:
    """Empty the word-hash cache (the end of a build: its memory, before the linking)."""
    _word_hash.clear()


def shingle_hashes(text: str, size: int = SHINGLE) -> np.ndarray:
    """The distinct 64-bit hashes of ``text``'s ``size``-word shingles.

    A body shorter than ``size`` words is one shingle of all its words. This is the
    definition, one text at a time; :func:`signatures` computes the same for many.
    """
    words = words_utf8(text)
    if not words:
        return np.zeros(0, dtype=np.uint64)
    return distinct(_combine(np.array([_word_hash[w] for w in words], dtype=np.uint64), size))


def _combine(hashes: np.ndarray, size: int) -> np.ndarray:
    """Per start position of a ``size``-word window of word ``hashes`` (the whole
    array, if shorter), the shingle hash ``sum(_POS[j] * hashes[i + j])``."""
    size = min(size, len(hashes))
    count = len(hashes) - size + 1
    with np.errstate(over="ignore"):
        combined = hashes[:count] * _POS[0]
        for j in range(1, size):
            combined = combined + hashes[j:j + count] * _POS[j]
    return combined


def signature(shingles: np.ndarray, permutations: int = PERMUTATIONS) -> np.ndarray:
    """The MinHash signature (``permutations`` uint32) of a set of shingle hashes."""
    if shingles.size == 0:
        return np.full(permutations, EMPTY, dtype=np.uint32)
    a, b = _A[:permutations, None], _B[:permutations, None]
    with np.errstate(over="ignore"):
        mixed = (shingles[None, :] * a + b) >> np.uint64(32)
    return mixed.min(axis=1).astype(np.uint32)


#: Words of the texts :func:`signatures` signs together (a group ends with the text
#: that reaches it), and shingles whose permutations are computed at once
#: (``PERMUTATIONS`` x this x 8 bytes: 8 MB, in cache, where one text at a time
#: costs 1-3 us per numpy call, ~20 calls a text).
GROUP_WORDS = 1 << 14
_BLOCK = 1 << 14


def signatures(texts: Sequence[str], size: int = SHINGLE,
               permutations: int = PERMUTATIONS) -> tuple[np.ndarray, np.ndarray]:
    """Signatures (n x ``permutations`` uint32) and shingle counts (n, int32) of
    ``texts``: per text, :func:`signature` of :func:`shingle_hashes` and its size
    (bit for bit), computed for groups of texts at once."""
    sigs = np.empty((len(texts), permutations), dtype=np.uint32)
    counts = np.empty(len(texts), dtype=np.int32)
    words: list[bytes] = []
    lengths: list[int] = []
    first = 0
    for i, text in enumerate(texts):
        found = words_utf8(text)
        words += found
        lengths.append(len(found))
        if len(words) >= GROUP_WORDS or i == len(texts) - 1:
            hashes = np.fromiter(map(_word_hash.__getitem__, words), dtype=np.uint64,
                                 count=len(words))
            _sign_group(hashes, np.array(lengths, dtype=np.int64), size,
                        sigs[first:i + 1], counts[first:i + 1])
            words, lengths, first = [], [], i + 1
    return sigs, counts


def _sign_group(hashes: np.ndarray, lengths: np.ndarray, size: int,
                sigs: np.ndarray, counts: np.ndarray) -> None:
    """Fill ``sigs`` and ``counts`` for texts whose word hashes are ``hashes``
    (concatenated; ``lengths`` words each).

    The shingles are combined over the concatenation and those crossing a text's end
    dropped; a text shorter than ``size`` words (one shingle of all its words) is
    signed on its own. Signatures are minima over all of a text's shingles, repeats
    included (the minimum of a set is that of any list of its members), and
    ``min(x) >> 32 == min(x >> 32)``, so the shift is done once per minimum.
    """
    sigs[:] = EMPTY
    counts[:] = 0
    ends = np.cumsum(lengths)
    starts = ends - lengths
    for t in np.flatnonzero((lengths > 0) & (lengths < size)):
        shingles = distinct(_combine(hashes[starts[t]:ends[t]], size))
        sigs[t], counts[t] = signature(shingles, sigs.shape[1]), shingles.size
    full = np.flatnonzero(lengths >= size)
    if not full.size:
        return
    # Shingles of the texts in ``full``, in order; text k's are vals[lo[k]:hi[k]].
    per = lengths[full] - (size - 1)
    hi = np.cumsum(per)
    lo = hi - per
    combined = _combine(hashes, size)
    keep = np.ones(len(combined), dtype=bool)
    for j in range(1, size):          # the windows that start j words before a text's end
        cut = ends - j
        keep[cut[(cut >= 0) & (cut < len(keep))]] = False
    vals = combined[keep]
    counts[full] = _distinct_counts(vals, lo, hi)
    sigs[full] = _minima(vals, lo, hi, sigs.shape[1])


def _distinct_counts(vals: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Per text k, the number of distinct values in ``vals[lo[k]:hi[k]]``: one stable
    sort of all of them, so a run of equal values lists its texts in order and a
    repeat within a text is next to its first occurrence (a per-text sort is a numpy
    call per text; ``np.unique`` is slow, :mod:`searchcore.distinct`)."""
    per = hi - lo
    order = np.argsort(vals, kind="stable")
    ordered = vals[order]
    text = np.repeat(np.arange(len(per)), per)[order]
    repeat = (ordered[1:] == ordered[:-1]) & (text[1:] == text[:-1])
    return per - np.bincount(text[1:][repeat], minlength=len(per))


def _minima(vals: np.ndarray, lo: np.ndarray, hi: np.ndarray,
            permutations: int) -> np.ndarray:
    """Per text k, the signature of ``vals[lo[k]:hi[k]]`` (each non-empty), computed
    ``_BLOCK`` values at a time (a text longer than that spans blocks)."""
    a, b = _A[:permutations, None], _B[:permutations, None]
    low = np.full((permutations, len(lo)), np.iinfo(np.uint64).max, dtype=np.uint64)
    buf = np.empty((permutations, min(_BLOCK, len(vals))), dtype=np.uint64)
    for s in range(0, len(vals), _BLOCK):
        e = min(s + _BLOCK, len(vals))
        k0 = int(np.searchsorted(hi, s, side="right"))    # first text ending after s
        k1 = int(np.searchsorted(lo, e, side="left"))     # texts starting before e
        seg = np.maximum(lo[k0:k1], s) - s
        out = buf[:, :e - s]
        with np.errstate(over="ignore"):
            np.multiply(vals[None, s:e], a, out=out)
            np.add(out, b, out=out)
        part = np.minimum.reduceat(out, seg, axis=1)
        np.minimum(low[:, k0:k1], part, out=low[:, k0:k1])
    return (low >> np.uint64(32)).astype(np.uint32).T


def band_keys(sigs: np.ndarray) -> np.ndarray:
    """``BANDS`` 64-bit keys per signature (n x ``BANDS`` uint64); band j mixed with j."""
    rows = sigs.reshape(len(sigs), BANDS, ROWS).astype(np.uint64)
    with np.errstate(over="ignore"):
        key = np.zeros((len(sigs), BANDS), dtype=np.uint64)
        for r in range(ROWS):
            key = (key ^ rows[:, :, r]) * _BAND_MIX
        key ^= np.arange(BANDS, dtype=np.uint64) * _POS[1]
    return key


def band_key(sigs: np.ndarray, band: int) -> np.ndarray:
    """Column ``band`` of :func:`band_keys` (n uint64), computed alone."""
    cols = np.asarray(sigs[:, band * ROWS:(band + 1) * ROWS]).astype(np.uint64)
    with np.errstate(over="ignore"):
        key = np.zeros(len(cols), dtype=np.uint64)
        for r in range(ROWS):
            key = (key ^ cols[:, r]) * _BAND_MIX
        key ^= np.uint64(band) * _POS[1]
    return key


def digest(keys: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """A 64-bit key of a whole signature and its shingle count, from its band ``keys``:
    equal for identical signatures (which always link, whatever their buckets' sizes)."""
    with np.errstate(over="ignore"):
        out = counts.astype(np.uint64) * _BAND_MIX
        for band in range(keys.shape[1]):
            out = (out ^ keys[:, band]) * _BAND_MIX
    return out


def jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> np.ndarray | float:
    """Estimated Jaccard similarity: the share of equal signature positions."""
    return np.mean(sig_a == sig_b, axis=-1)


def containment(jac: np.ndarray | float, count_a: np.ndarray | int,
                count_b: np.ndarray | int) -> np.ndarray | float:
    """Estimated ``|A∩B| / min(|A|, |B|)`` from a Jaccard estimate and the set sizes."""
    small = np.maximum(np.minimum(count_a, count_b), 1)
    return np.minimum(1.0, jac * (np.asarray(count_a) + count_b) / ((1.0 + jac) * small))


def same_story(sig_a: np.ndarray, count_a: int | np.ndarray, sig_b: np.ndarray,
               count_b: int | np.ndarray, threshold: float = THRESHOLD) -> np.ndarray | bool:
    """Whether two articles (or rows of arrays) are copies of one story."""
    jac = jaccard(sig_a, sig_b)
    ok = (containment(jac, count_a, count_b) >= threshold) & (jac >= JACCARD_FLOOR)
    return ok & (np.minimum(count_a, count_b) >= MIN_SHINGLES)
