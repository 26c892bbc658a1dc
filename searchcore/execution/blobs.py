"""Sorted byte strings stored as one blob and offsets, looked up without bisecting.

The side term dictionary (:mod:`searchcore.execution.postings`) and the word tables
(:mod:`searchcore.execution.words`) keep sorted UTF-8 strings as one ``uint8`` blob
and ``int64`` offsets, memory-mapped. A Python bisect over them slices the blob about
17 times a lookup (~30 us); the spelling suggestion looks up hundreds of strings per
word, and a fuzzy word's candidates are a whole prefix range of the dictionary. Each
string's first 8 bytes, zero-padded, read as a big-endian integer ("heads"), sort as
the strings do (a string's own prefix pads with zeros, which sort first), so one
``searchsorted`` in C narrows a lookup to the few strings sharing those bytes, and
gives a prefix range of up to 8 bytes outright.
"""

from __future__ import annotations

import numpy as np

#: How many leading bytes a head holds.
HEAD_BYTES = 8


def pack(strings: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """``(blob, offsets)`` of ``strings``: string ``i`` is ``blob[offsets[i]:offsets[i + 1]]``."""
    offsets = np.zeros(len(strings) + 1, dtype=np.int64)
    np.cumsum([len(s) for s in strings], out=offsets[1:])
    return np.frombuffer(b"".join(strings), dtype=np.uint8), offsets


def head(key: bytes) -> np.uint64:
    """``key``'s head: its first 8 bytes, zero-padded, big-endian."""
    return np.uint64(int.from_bytes(key[:HEAD_BYTES].ljust(HEAD_BYTES, b"\0"), "big"))


def heads(blob: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """The heads of the strings ``blob[offsets[i]:offsets[i + 1]]`` (uint64, sorted if
    the strings are), one byte column at a time: O(strings) memory."""
    starts, lengths = offsets[:-1], np.diff(offsets)
    out = np.zeros(len(starts), dtype=np.uint64)
    if not len(blob):
        return out
    last = len(blob) - 1
    for j in range(HEAD_BYTES):
        byte = blob[np.minimum(starts + j, last)].astype(np.uint64)
        out = (out << np.uint64(8)) | np.where(lengths > j, byte, np.uint64(0))
    return out


def find(sorted_heads: np.ndarray, blob: np.ndarray, offsets: np.ndarray,
         key: bytes, want: np.uint64 | None = None) -> int:
    """The index of ``key`` among the sorted strings, or -1. ``want``: ``head(key)``,
    when the caller looks the same key up in several tables (a word's fields and
    segments)."""
    if want is None:
        want = head(key)
    i = int(sorted_heads.searchsorted(want))
    n = len(sorted_heads)
    while i < n and sorted_heads[i] == want:
        start, end = offsets[i:i + 2].tolist()
        found = blob[start:end].tobytes()
        if found == key:
            return i
        if found > key:
            break
        i += 1
    return -1


def prefix_range(sorted_heads: np.ndarray, blob: np.ndarray, offsets: np.ndarray,
                 prefix: bytes) -> tuple[int, int]:
    """Indexes ``[lo, hi)`` of the sorted strings that start with ``prefix``."""
    n = len(sorted_heads)
    if len(prefix) <= HEAD_BYTES:
        low = int(head(prefix))
        lo = int(sorted_heads.searchsorted(np.uint64(low), "left"))
        high = low + (1 << (8 * (HEAD_BYTES - len(prefix))))
        hi = n if high >= 1 << 64 else int(sorted_heads.searchsorted(np.uint64(high), "left"))
        return lo, hi
    want = head(prefix)
    lo = int(sorted_heads.searchsorted(want, "left"))
    end = int(sorted_heads.searchsorted(want, "right"))
    while lo < end and blob[offsets[lo]:offsets[lo + 1]].tobytes() < prefix:
        lo += 1
    hi = lo
    while hi < end and blob[offsets[hi]:offsets[hi + 1]].tobytes().startswith(prefix):
        hi += 1
    return lo, hi
