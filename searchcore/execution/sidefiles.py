"""Writing and opening the side index's files: atomic ``.npy`` writes, mmapped reads.

Files are named after their whoosh segment (``MAIN_<segid>.<ext>``), so whoosh's own
file cleaning deletes them when the segment goes. A file is written to a dot-named
temporary (which whoosh's cleaning skips), fsynced and renamed into place, so a
crash leaves either the whole file or none.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, Iterator

import numpy as np


@contextmanager
def _atomic(path: Path) -> Iterator[BinaryIO]:
    """A file that appears at ``path`` whole (written, fsynced, renamed) or not at all."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _temp_owner(name: str) -> int | None:
    """The process id in a temporary's name (``.<file>.<pid>.tmp``), or None."""
    if not (name.startswith(".") and name.endswith(".tmp")):
        return None
    pid = name[:-4].rpartition(".")[2]
    return int(pid) if pid.isdigit() else None


def remove_stale_temporaries(folder: Path) -> int:
    """Remove the temporaries (:func:`_atomic`, :class:`NpyAppender`) that a process
    killed while writing left in ``folder``: those whose process is gone. Returns how
    many. Call under the index's write lock (no other writer can be mid-write): a
    writer killed while writing a 1M index's run leaves hundreds of megabytes of them,
    which nothing else would remove from a live generation."""
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        pid = _temp_owner(entry.name)
        if pid is None or pid == os.getpid() or _alive(pid):
            continue
        try:
            os.unlink(entry.path)
            removed += 1
        except OSError:
            pass
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True           # someone else's process (or not ours to ask): leave it
    return True


def write_atomic(path: Path, data: bytes) -> None:
    with _atomic(path) as fh:
        fh.write(data)


def write_npy(path: Path, array: np.ndarray) -> None:
    """Write ``array`` as a ``.npy`` file, atomically (never unpickled: object
    arrays are refused).

    Streamed from the array to the file: the ``.npy`` bytes made in memory first
    were a second copy of the array while it was written, and a batch's posting
    arrays are written when its memory peaks (a 60 MB position array, a 40 MB
    offset array at 50,000 articles).
    """
    with _atomic(path) as fh:
        np.save(fh, np.ascontiguousarray(array), allow_pickle=False)


def load(path: Path) -> np.ndarray:
    """A ``.npy`` file memory-mapped read-only; never unpickles.

    Returned as a plain ndarray view of the map: slicing a ``np.memmap`` costs a
    Python-level ``__getitem__`` each time (term lookups slice a lot).
    """
    return np.load(path, mmap_mode="r", allow_pickle=False).view(np.ndarray)


def npy_header(path: Path) -> tuple[tuple[int, ...], np.dtype, int]:
    """The shape, dtype and data offset of the ``.npy`` file at ``path``, for files
    read without ``np.load`` (by ``preadv``, or mapped to drop their pages).

    Only what ``np.save`` writes for a numeric array is accepted: format 1.0 or 2.0,
    C order, no Python objects. Raises ValueError naming the file otherwise, or when
    the file is shorter than its header says.
    """
    from numpy.lib import format as npy

    with open(path, "rb") as fh:
        try:
            version = npy.read_magic(fh)
            if version == (1, 0):
                shape, fortran, dtype = npy.read_array_header_1_0(fh)
            elif version == (2, 0):
                shape, fortran, dtype = npy.read_array_header_2_0(fh)
            else:
                raise ValueError(f"unsupported .npy version {version}")
        except ValueError as exc:                 # numpy's messages do not name the file
            raise ValueError(f"{path}: not a .npy file numpy writes ({exc})") from None
        start = fh.tell()
    if dtype.hasobject or fortran:
        raise ValueError(f"{path}: not a C-ordered numeric array")
    count = 1
    for n in shape:
        count *= int(n)
    if path.stat().st_size < start + count * dtype.itemsize:
        raise ValueError(f"{path}: shorter than its header says")
    return tuple(int(n) for n in shape), dtype, start


_fadvise = getattr(os, "posix_fadvise", None)
_WILLNEED = getattr(os, "POSIX_FADV_WILLNEED", 0)


class ReadFile:
    """A 1-d ``.npy`` file whose slices are read from disk when asked, never mapped.

    Posting lists are big (4 GB of them at 1M articles) and each query reads a few:
    mapped, every page a query touched would stay in the process's resident memory
    for as long as the index is open (a thousand queries touch most of it). Read
    with ``preadv`` into a fresh array, a slice lives as long as the query needs it;
    the operating system's page cache keeps the hot parts, shared with every other
    process, and its memory counts against nobody's RSS. A read costs about what
    copying the mapped slice did.

    Supports what the postings reader uses: ``len``, ``dtype``, ``ndim``, an int or a
    step-1 slice (a new writable array), and ``np.asarray(f)`` (the whole file). The
    file descriptor is opened on the first read and closed when this object goes
    (``weakref.finalize``: a raw descriptor, no ResourceWarning) or on :meth:`close`.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        shape, dtype, self._start = npy_header(path)
        if len(shape) != 1:
            raise ValueError(f"{path}: not a 1-d array")
        self.dtype = dtype
        self._itemsize = dtype.itemsize
        self.ndim = 1
        self._len = int(shape[0])
        self._fd: int | None = None
        self._finalizer: Any = None

    def __len__(self) -> int:
        return self._len

    @property
    def data_offset(self) -> int:
        """Where the array's first element is in the file (after the ``.npy`` header)."""
        return self._start

    def _open(self) -> int:
        if self._fd is None:
            import weakref

            self._fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
            self._finalizer = weakref.finalize(self, os.close, self._fd)
        return self._fd

    def _read(self, start: int, stop: int) -> np.ndarray:
        count = stop - start
        if count <= 0:
            return np.empty(0, dtype=self.dtype)
        out = np.empty(count, dtype=self.dtype)
        fd = self._fd if self._fd is not None else self._open()
        got = os.preadv(fd, (out,), self._start + start * self._itemsize)
        if got != out.nbytes:
            raise ValueError(f"{self.path}: read {got} of {out.nbytes} bytes (truncated?)")
        return out

    def read(self, start: int, stop: int) -> np.ndarray:
        """Elements ``[start, stop)`` (``0 <= start <= stop <= len``, which the caller
        checked): what ``self[start:stop]`` gives, without a slice's bookkeeping (the
        postings read several short lists a query)."""
        return self._read(start, stop)

    def will_need(self, start: int, stop: int) -> None:
        """Tell the kernel elements ``[start, stop)`` are about to be read
        (``posix_fadvise(WILLNEED)``: it starts reading them, and returns at once).

        Why: from a cold page cache, reads made one after another wait for the disk
        one after another; announced first, they are in flight together. Ten display
        records of a 1M index, cold: 870-950 us read in turn, 160 us announced
        first; warm, the ten calls cost about 3 us. Where the call is missing, or
        fails, nothing is lost but the overlap."""
        if stop <= start or _fadvise is None:
            return
        size = self._itemsize
        try:
            _fadvise(self._fd if self._fd is not None else self._open(),
                     self._start + start * size, (stop - start) * size, _WILLNEED)
        except OSError:
            pass

    def read_bytes(self, start: int, stop: int) -> bytes:
        """The raw bytes of elements ``[start, stop)`` (checked by the caller), as
        ``bytes``: a display record is parsed straight from them."""
        size = self.dtype.itemsize
        fd = self._fd if self._fd is not None else self._open()
        data = os.pread(fd, (stop - start) * size, self._start + start * size)
        if len(data) != (stop - start) * size:
            raise ValueError(f"{self.path}: read {len(data)} of {(stop - start) * size} bytes "
                             "(truncated?)")
        return data

    def __getitem__(self, key: int | slice) -> Any:
        n = self._len
        if isinstance(key, slice):
            start, stop, step = key.indices(n)
            if step != 1:
                raise ValueError("only step-1 slices")
            return self._read(start, max(start, stop))
        i = int(key)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"index {key} out of range for {n}")
        return self._read(i, i + 1)[0]

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        whole = self._read(0, self._len)
        return whole if dtype is None else whole.astype(dtype, copy=False)

    def close(self) -> None:
        if self._finalizer is not None:
            self._finalizer()
            self._fd = self._finalizer = None


class NpyAppender:
    """A 1-d ``.npy`` file of a known length written a piece at a time, in order, then
    put in place atomically (:meth:`close`): for arrays made in chunks (a run's merged
    postings, :mod:`searchcore.execution.runs`) that are never whole in memory."""

    def __init__(self, path: Path, dtype: Any, length: int) -> None:
        from numpy.lib import format as npy

        self.path = path
        self.dtype = np.dtype(dtype)
        self.length = int(length)
        self.written = 0
        self._tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        self._fh: BinaryIO = open(self._tmp, "wb")
        npy.write_array_header_2_0(self._fh, {"descr": npy.dtype_to_descr(self.dtype),
                                              "fortran_order": False,
                                              "shape": (self.length,)})

    def append(self, values: np.ndarray) -> None:
        values = np.ascontiguousarray(values, dtype=self.dtype)
        if self.written + len(values) > self.length:
            raise ValueError(f"{self.path}: more than the {self.length} values announced")
        self._fh.write(values.data)
        self.written += len(values)

    def close(self) -> None:
        """Put the file in place; it must hold exactly the announced length."""
        if self.written != self.length:
            self.abort()
            raise ValueError(f"{self.path}: {self.written} of {self.length} values written")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        os.replace(self._tmp, self.path)

    def abort(self) -> None:
        self._fh.close()
        try:
            os.unlink(self._tmp)
        except FileNotFoundError:
            pass
