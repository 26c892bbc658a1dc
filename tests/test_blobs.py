"""Lookups over sorted strings in one blob (the side term dictionary, the word tables)
answer as a scan of the strings does: exact finds, prefix ranges of every length
(shorter and longer than the 8-byte heads), multi-byte UTF-8, absent keys."""

from __future__ import annotations

import random


from searchcore.execution import blobs


def test_finds_and_prefix_ranges_equal_a_scan() -> None:
    rng = random.Random(7)
    # Few letters and long strings: many strings share their first 8 bytes.
    words = sorted({"".join(rng.choice("abé") for _ in range(rng.randint(1, 14))).encode()
                    for _ in range(4000)})
    keys, offsets = blobs.pack(words)
    heads = blobs.heads(keys, offsets)
    assert (heads[1:] >= heads[:-1]).all()
    for i in rng.sample(range(len(words)), 300):
        assert blobs.find(heads, keys, offsets, words[i]) == i
    for missing in (b"", b"z", b"ab\x00", words[-1] + b"a" if words[-1] + b"a" not in words else b"zz"):
        assert blobs.find(heads, keys, offsets, missing) == -1
    prefixes = [b"", b"a", "é".encode(), "é".encode()[:1], b"abab", b"abababab", b"ababababa",
                b"bbbbbbbbbbbb", b"z"] + [w[:rng.randint(1, len(w))] for w in rng.sample(words, 60)]
    for prefix in prefixes:
        want = [i for i, w in enumerate(words) if w.startswith(prefix)]
        lo, hi = blobs.prefix_range(heads, keys, offsets, prefix)
        assert list(range(lo, hi)) == want, prefix


def test_empty_collection() -> None:
    keys, offsets = blobs.pack([])
    heads = blobs.heads(keys, offsets)
    assert len(heads) == 0
    assert blobs.find(heads, keys, offsets, b"a") == -1
    assert blobs.prefix_range(heads, keys, offsets, b"a") == (0, 0)
