"""The ids a build has written so far, as 128-bit hashes in sorted numpy arrays.

A rebuild must notice an id written again by a later batch (the last record wins;
the earlier copy is deleted). A ``dict`` of id strings costs ~120 bytes an article
for the whole build; this table costs 24 (two uint64 halves of a BLAKE2b-128 digest
and the document number), looked up and merged a batch at a time with numpy. Two
different ids get one digest with probability about ``n**2 / 2**129``: never, in
practice (1e-26 at 1M articles).
"""

from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np


def id_hashes(ids: Sequence[str]) -> np.ndarray:
    """``len(ids) x 2`` uint64: the BLAKE2b-128 digest of each id's UTF-8 bytes."""
    raw = b"".join(hashlib.blake2b(i.encode("utf-8"), digest_size=16).digest() for i in ids)
    return np.frombuffer(raw, dtype="<u8").reshape(len(ids), 2).copy()


class IdTable:
    """``id hash -> document number`` for every id written so far."""

    def __init__(self) -> None:
        self._hi = np.zeros(0, dtype=np.uint64)      # sorted by (hi, lo)
        self._lo = np.zeros(0, dtype=np.uint64)
        self._doc = np.zeros(0, dtype=np.int64)

    def __len__(self) -> int:
        return len(self._hi)

    def add(self, ids: Sequence[str], first_docnum: int) -> list[int]:
        """Record ``ids`` (distinct) as documents ``first_docnum, first_docnum + 1, ...``.

        Returns the earlier document numbers of the ids already present (each now
        maps to its new number).
        """
        if not ids:
            return []
        h = id_hashes(ids)
        docs = np.arange(first_docnum, first_docnum + len(ids), dtype=np.int64)
        found = self._find(h[:, 0], h[:, 1])
        old = found >= 0
        replaced = self._doc[found[old]].tolist()
        self._doc[found[old]] = docs[old]
        new = ~old
        hi = np.concatenate([self._hi, h[new, 0]])
        lo = np.concatenate([self._lo, h[new, 1]])
        doc = np.concatenate([self._doc, docs[new]])
        order = np.lexsort((lo, hi))
        self._hi, self._lo, self._doc = hi[order], lo[order], doc[order]
        return replaced

    def _find(self, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
        """Position in the table of each ``(hi, lo)``, -1 where absent."""
        left = np.searchsorted(self._hi, hi, side="left")
        right = np.searchsorted(self._hi, hi, side="right")
        out = np.full(len(hi), -1, dtype=np.int64)
        one = np.flatnonzero(right - left == 1)
        hit = self._lo[left[one]] == lo[one]
        out[one[hit]] = left[one[hit]]
        for k in np.flatnonzero(right - left > 1):   # equal high halves: nearly never
            for pos in range(int(left[k]), int(right[k])):
                if self._lo[pos] == lo[k]:
                    out[k] = pos
                    break
        return out
