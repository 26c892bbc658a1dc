"""Writing and opening the side index's files: atomic ``.npy`` writes, mmapped reads.

Files are named after their whoosh segment (``MAIN_<segid>.<ext>``), so whoosh's own
file cleaning deletes them when the segment goes. A file is written to a dot-named
temporary (which whoosh's cleaning skips), fsynced and renamed into place, so a
crash leaves either the whole file or none.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np


def write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def npy_bytes(array: np.ndarray) -> bytes:
    """``array`` in ``.npy`` form (no pickles: object arrays are refused)."""
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(array), allow_pickle=False)
    return buf.getvalue()


def load(path: Path) -> np.ndarray:
    """A ``.npy`` file memory-mapped read-only; never unpickles.

    Returned as a plain ndarray view of the map: slicing a ``np.memmap`` costs a
    Python-level ``__getitem__`` each time (term lookups slice a lot).
    """
    return np.load(path, mmap_mode="r", allow_pickle=False).view(np.ndarray)
