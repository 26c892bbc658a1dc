"""Signing many texts at once (``minhash.signatures``) gives, bit for bit, what the
definition gives one text at a time: real BBC and multilingual bodies, mixed with
the edge cases (empty, shorter than a shingle, punctuation only, repeated shingles),
with groups and blocks small enough that texts share them and span them."""

from __future__ import annotations

import hashlib
import random

import numpy as np
import orjson
import pytest

from searchcore.news import minhash

from conftest import bbc_articles

MULTILINGUAL = __import__("pathlib").Path(__file__).parent / "data" / "multilingual" / "articles.jsonl"

EDGE = ["", "   ", ",,, -- !!", "one", "Two words", "three words here", "A b C d",
        "a b c d a b c d a b c d e", "the the the the the the the",
        "Ünïcödé café naïve résumé STRASSE straße İstanbul ǅemal 東京 株式 市場 上昇",
        "x_y 42 ... 42 x_y 42 x_y 42 x_y"]


def texts() -> list[str]:
    bodies = [a["body"] for a in bbc_articles()[:120]]
    bodies += [orjson.loads(line)["body"] for line in MULTILINGUAL.read_bytes().splitlines()
               if line.strip()]
    bodies += EDGE + [bodies[0], bodies[0][: len(bodies[0]) // 2]]   # a copy, a half copy
    random.Random(17).shuffle(bodies)
    return bodies


def reference(text: str, size: int, permutations: int) -> tuple[np.ndarray, int]:
    """The definition, written out: the regex words, their BLAKE2b hashes, the set of
    ``size``-word shingle hashes (one of all the words if fewer), its minima."""
    words = minhash.normalise(text)
    if not words:
        return np.full(permutations, minhash.EMPTY, dtype=np.uint32), 0
    hashes = [int.from_bytes(hashlib.blake2b(w.encode("utf-8"), digest_size=8).digest(),
                             "little") for w in words]
    size = min(size, len(words))
    pos = [int(p) for p in minhash._POS[:size]]
    shingles = {sum(p * h for p, h in zip(pos, hashes[i:i + size])) % 2**64
                for i in range(len(words) - size + 1)}
    values = np.array(sorted(shingles), dtype=np.uint64)
    a, b = minhash._A[:permutations, None], minhash._B[:permutations, None]
    with np.errstate(over="ignore"):
        mixed = (values[None, :] * a + b) >> np.uint64(32)
    return mixed.min(axis=1).astype(np.uint32), len(values)


@pytest.mark.parametrize("group_words, block", [(minhash.GROUP_WORDS, minhash._BLOCK), (40, 7)])
def test_batch_signatures_equal_the_definition(monkeypatch: pytest.MonkeyPatch,
                                               group_words: int, block: int) -> None:
    monkeypatch.setattr(minhash, "GROUP_WORDS", group_words)
    monkeypatch.setattr(minhash, "_BLOCK", block)
    bodies = texts()
    for size, permutations in ((minhash.SHINGLE, minhash.PERMUTATIONS), (2, 16)):
        sigs, counts = minhash.signatures(bodies, size, permutations)
        assert sigs.shape == (len(bodies), permutations) and sigs.dtype == np.uint32
        assert counts.dtype == np.int32
        for i, body in enumerate(bodies):
            want_sig, want_count = reference(body, size, permutations)
            assert counts[i] == want_count, body[:80]
            assert np.array_equal(sigs[i], want_sig), body[:80]
            one = minhash.shingle_hashes(body, size)        # the one-text functions agree
            assert one.size == want_count
            assert np.array_equal(minhash.signature(one, permutations), want_sig)
    empty_sigs, empty_counts = minhash.signatures([])
    assert empty_sigs.shape == (0, minhash.PERMUTATIONS) and empty_counts.shape == (0,)


def test_repeated_shingles_are_counted_once() -> None:
    _, counts = minhash.signatures(["a b c d a b c d a b c d", "a b c d", "a b c"])
    assert counts.tolist() == [4, 1, 1]      # abcd bcda cdab dabc; abcd; one short shingle


def test_ascii_fast_words_equal_the_regex() -> None:
    for text in [chr(c) * 3 + " x" + chr(c) + "y " for c in range(128)] + texts():
        assert minhash.words_utf8(text) == [w.encode("utf-8") for w in minhash.normalise(text)]
