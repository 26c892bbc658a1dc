"""Damaged index files become :class:`~searchcore.errors.IndexCorruptError`.

whoosh reads segment files lazily, so a truncated or corrupted file shows up on the
first search, ``get`` or ``stats`` that touches it, as whatever the bytes happen to
trip: ``OSError: [Errno 22]`` (mmap of a short file), ``UnpicklingError``,
``zlib.error``, ``struct.error``, ``UnicodeEncodeError``, ``IndexError`` or a bare
``Exception("Block tag error ...")``. :func:`reports_damage` wraps an
:class:`~searchcore.engine.Index` method: an exception raised *inside whoosh's
file-reading code* (codecs, file storage, columns, formats, readers, the TOC) or by
the safe unpickler is damage and becomes one error naming the index, the file (found
on the traceback: the ``StructFile`` being read) and the command to run. Anything
raised elsewhere (our code, whoosh's matchers) is a bug, not damage, and passes
through unchanged so it is not disguised as a broken index.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import pickle
import warnings
import zlib
from pathlib import Path
from types import TracebackType
from typing import Any, Callable, Iterator, TypeVar

import whoosh
from whoosh.filedb.structfile import StructFile

from searchcore.errors import IndexCorruptError, SearchcoreError

F = TypeVar("F", bound=Callable[..., Any])

_WHOOSH_DIR = os.path.dirname(os.path.abspath(whoosh.__file__))
#: whoosh modules that read index files: an exception raised in them is damage.
_READING_PARTS = tuple(os.path.join(_WHOOSH_DIR, part) for part in (
    "codec", "filedb", "columns.py", "formats.py", "reading.py", "index.py", "idsets.py",
    os.path.join("util", "varints.py"), os.path.join("util", "numlists.py"), "system.py"))
#: Exception types that are damage wherever whoosh raised them.
_ALWAYS_DAMAGE = (pickle.UnpicklingError, zlib.error, EOFError)


def _innermost_frame(tb: TracebackType | None) -> TracebackType | None:
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb


def is_damage(exc: BaseException) -> bool:
    """Was ``exc`` raised while whoosh read index bytes (rather than by a bug)?"""
    if isinstance(exc, SearchcoreError) or not isinstance(exc, Exception):
        return False
    if isinstance(exc, _ALWAYS_DAMAGE):
        return True
    last = _innermost_frame(exc.__traceback__)
    if last is None:
        return False
    filename = os.path.abspath(last.tb_frame.f_code.co_filename)
    return filename.startswith(_READING_PARTS)


def damaged_file(exc: BaseException) -> str | None:
    """The name of the index file being read when ``exc`` was raised, if one is visible."""
    tb = exc.__traceback__
    frames = []
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):                      # innermost first
        for value in list(frame.f_locals.values()):
            name = _structfile_name(value)
            if name is None and hasattr(value, "__dict__"):
                for attr in list(vars(value).values()):
                    name = _structfile_name(attr)
                    if name:
                        break
            if name:
                return name
    return None


def close_leaked_files(exc: BaseException) -> None:
    """Close the files whoosh left open in the frames that raised ``exc``.

    whoosh's ``TOC.read`` (and segment readers) open a file and raise without closing
    it when its bytes are bad; the file would only close at garbage collection, with
    a ``ResourceWarning`` that repeats the error already reported.
    """
    tb = exc.__traceback__
    while tb is not None:
        for value in list(tb.tb_frame.f_locals.values()):
            candidates = [value]
            if hasattr(value, "__dict__") and not isinstance(value, type):
                candidates += list(vars(value).values())
            for candidate in candidates:
                if isinstance(candidate, StructFile) and not candidate.is_closed:
                    with contextlib.suppress(Exception):
                        candidate.close()
        tb = tb.tb_next


@contextlib.contextmanager
def quiet_leaks() -> Iterator[None]:
    """Open segment readers without whoosh's ``ResourceWarning`` for damaged files.

    ``FileIndex.reader`` retries ten times on an ``OSError`` and each failed try drops
    the files it had opened (a truncated terms file leaks its postings file). The
    warnings would repeat the IndexCorruptError the caller gets; a failed open also
    collects the half-built readers while the warnings are off.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            yield
        except Exception as exc:
            close_leaked_files(exc)           # the last try's files, held by the traceback
            gc.collect()
            raise


def _structfile_name(value: Any) -> str | None:
    if isinstance(value, StructFile) and isinstance(value._name, str) and value._name:
        return value._name
    return None


def corrupt_error(exc: BaseException, path: Path, generation: str | None) -> IndexCorruptError:
    """The :class:`IndexCorruptError` for damage ``exc`` found in the index at ``path``."""
    name = damaged_file(exc)
    file = f"{generation}/{name}" if generation and name else name
    where = f"file {file!r}" if file else "a segment file"
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    message = (f"index {str(path)!r} is damaged: cannot read {where} ({detail}); run "
               f"`searchcore index check --index {path}` to see all the damage, and "
               f"rebuild it with `searchcore index build SOURCE... --index {path}`")
    return IndexCorruptError(message, str(path), file)


def reports_damage(method: F) -> F:
    """Decorate an ``Index`` method so damage raises :class:`IndexCorruptError`."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:
            if not is_damage(exc):
                raise
            generation = getattr(self, "_manifest", {}).get("generation")
            raise corrupt_error(exc, Path(self.path), generation) from None

    return wrapper  # type: ignore[return-value]
