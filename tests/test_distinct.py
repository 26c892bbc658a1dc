"""searchcore.distinct returns exactly what np.unique does, on random and edge inputs."""

from __future__ import annotations

import numpy as np

from searchcore.distinct import distinct, distinct_inverse, distinct_pairs, first_occurrences


def test_distinct_equals_np_unique() -> None:
    rng = np.random.default_rng(7)
    for size in (0, 1, 2, 3, 50, 5000):
        for dtype, high in ((np.int64, 40), (np.uint64, 2**63), (np.int32, 10**6)):
            values = rng.integers(0, high, size, dtype=dtype)
            got = distinct(values)
            assert got.dtype == values.dtype
            assert np.array_equal(got, np.unique(values))


def test_distinct_pairs_equal_np_unique_by_rows() -> None:
    rng = np.random.default_rng(11)
    for size in (0, 1, 2, 400, 20000):
        for high in (5, 3000, 2**40):
            a, b = rng.integers(0, high, (2, size))
            pairs = np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1)
            assert np.array_equal(distinct_pairs(pairs), np.unique(pairs.reshape(-1, 2), axis=0))
    # Values that cannot be packed into one int64, and negative ones, still come out right.
    odd = np.array([[2**62, 2**62], [-1, 3], [2**62, 2**62], [-1, 3], [0, 0]], dtype=np.int64)
    assert np.array_equal(distinct_pairs(odd), np.unique(odd, axis=0))


def test_inverse_and_first_occurrences_equal_np_unique() -> None:
    rng = np.random.default_rng(13)
    for shape in ((0,), (1,), (7,), (3000,), (500, 2)):
        for high in (4, 10**6):
            values = rng.integers(0, high, shape, dtype=np.int64)
            unique, inverse = distinct_inverse(values)
            want_unique, want_inverse = np.unique(values, return_inverse=True)
            assert np.array_equal(unique, want_unique)
            assert np.array_equal(inverse.ravel(), want_inverse.ravel())
            assert inverse.shape == values.shape
            assert np.array_equal(unique[inverse], values)
            if values.ndim == 1:
                assert np.array_equal(first_occurrences(values),
                                      np.unique(values, return_index=True)[1])
