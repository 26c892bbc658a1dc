"""Safe unpickling: an index folder may hold a pickle, never code.

whoosh stores its table of contents (the schema and the segment list), stored fields,
posting blocks, inlined postings, positions and some column headers as pickles, and
unpickling runs whatever callable a pickle names: a crafted ``_MAIN_*.toc`` or
stored-fields file would execute code on ``open_index``, ``search``, ``get``,
``index stats`` and even ``index check``. :func:`install` points every whoosh module
that unpickles at :func:`loads` / :func:`load`, whose :class:`SafeUnpickler` resolves
only the globals a searchcore index contains (listed in :data:`ALLOWED`, plus the
analysis classes of whoosh and searchcore); anything else raises
:class:`UnsafePickleError`, an ``UnpicklingError`` the engine reports as damage.

Why an allowlist rather than checksums recorded at build time: a checksum protects
only indexes built by a searchcore that recorded it, must be verified for every file
before its first read (a full read of a large index at every open), and says nothing
about an index the attacker rebuilt with their own manifest. The allowlist costs a
Python-level ``find_class`` call per global in a pickle: stored fields and positions
name none (plain dicts, lists, strings, ints and datetimes), so a query pays only for
constructing the unpickler (about a microsecond per stored document or posting
block; see ``benchmarks/RESULTS.md``).

What the allowed globals can still do: build whoosh/searchcore field, format, codec
and analysis objects with attacker-chosen attributes (a slow regular expression, a
wrong segment count) -- damage and denial of service, not code execution. Loads from
whoosh's own writer temp files (``whoosh.multiproc``, ``whoosh.externalsort``) are
left alone: those files are written and read by the same process's build.
"""

from __future__ import annotations

import functools
import io
import pickle
import sys
import types
from typing import IO, Any

#: ``(module, name)`` globals a searchcore index's pickles name, found by recording
#: every ``find_class`` of builds, adds, deletes, searches, stats and checks.
ALLOWED: frozenset[tuple[str, str]] = frozenset({
    ("builtins", "int"), ("builtins", "float"), ("builtins", "complex"),
    ("builtins", "str"), ("builtins", "bytes"), ("builtins", "bytearray"),
    ("builtins", "bool"), ("builtins", "list"), ("builtins", "tuple"),
    ("builtins", "dict"), ("builtins", "set"), ("builtins", "frozenset"),
    ("builtins", "object"),
    # protocol-2 pickles name Python 2 spellings; Unpickler maps them to builtins
    ("__builtin__", "long"), ("__builtin__", "int"), ("__builtin__", "unicode"),
    ("__builtin__", "set"), ("__builtin__", "frozenset"), ("__builtin__", "object"),
    # bytes in protocol 2 are ``_codecs.encode(text, "latin1")``
    ("_codecs", "encode"),
    ("collections", "defaultdict"), ("collections", "OrderedDict"),
    ("datetime", "datetime"), ("datetime", "date"), ("datetime", "timedelta"),
    ("datetime", "timezone"),
    # compiled patterns of tokenizers pickle as ``re._compile(pattern, flags)``
    ("re", "_compile"),
    ("whoosh.fields", "Schema"), ("whoosh.fields", "TEXT"), ("whoosh.fields", "ID"),
    ("whoosh.fields", "KEYWORD"), ("whoosh.fields", "STORED"), ("whoosh.fields", "DATETIME"),
    ("whoosh.fields", "NUMERIC"), ("whoosh.fields", "BOOLEAN"), ("whoosh.fields", "IDLIST"),
    ("whoosh.formats", "Existence"), ("whoosh.formats", "Frequency"),
    ("whoosh.formats", "Positions"), ("whoosh.formats", "Characters"),
    ("whoosh.formats", "PositionBoosts"), ("whoosh.formats", "CharacterBoosts"),
    ("whoosh.columns", "NumericColumn"), ("whoosh.columns", "VarBytesColumn"),
    ("whoosh.columns", "FixedBytesColumn"), ("whoosh.columns", "RefBytesColumn"),
    ("whoosh.columns", "BitColumn"), ("whoosh.columns", "PickleColumn"),
    ("whoosh.columns", "StructColumn"),
    ("whoosh.codec.whoosh3", "W3Codec"), ("whoosh.codec.whoosh3", "W3Segment"),
    ("whoosh.idsets", "BitSet"), ("whoosh.idsets", "OnDiskBitSet"),
    ("whoosh.idsets", "SortedIntSet"), ("whoosh.idsets", "ReverseIdSet"),
})
#: Modules whose *classes* may be named (tokenizers, filters, analyzers): new
#: analysis classes (languages, readers) need no change here.
ANALYSIS_MODULES: tuple[str, ...] = ("whoosh.analysis.", "searchcore.analysis.")


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle in the index names a global searchcore indexes never contain."""


def _find_allowed(module: str, name: str) -> Any:
    """The global ``module.name`` if a searchcore index may name it, else UnsafePickleError."""
    if (module, name) in ALLOWED:
        return pickle.Unpickler.find_class(_RESOLVER, module, name)
    if module == "searchcore.analysis" or module.startswith(ANALYSIS_MODULES):
        found = pickle.Unpickler.find_class(_RESOLVER, module, name)
        if isinstance(found, type):
            return found
    raise UnsafePickleError(f"refusing to unpickle {module}.{name}: not part of a "
                            "searchcore index (the folder may have been tampered with)")


#: Resolves names as a protocol-2 unpickler does (Python 2 spellings mapped).
_RESOLVER = pickle.Unpickler(io.BytesIO(b""))


class SafeUnpickler(pickle.Unpickler):
    """An Unpickler that resolves only the globals of :data:`ALLOWED` and analysis classes.

    ``find_class`` is the check behind a C-level cache: every stored document names
    the same two globals (``datetime``, ``_codecs.encode``), and a Python call for
    each was a fifth of unpickling it. A refusal raises, so it is never cached.
    """

    find_class = staticmethod(functools.lru_cache(maxsize=256)(_find_allowed))


def loads(data: bytes, **_: Any) -> Any:
    """``pickle.loads`` through :class:`SafeUnpickler`."""
    return SafeUnpickler(io.BytesIO(data)).load()


def load(file: IO[bytes], **_: Any) -> Any:
    """``pickle.load`` through :class:`SafeUnpickler`."""
    return SafeUnpickler(file).load()


#: whoosh.index uses ``pickle.loads`` for the schema and ``pickle.dumps`` to write it.
_PICKLE_FOR_WHOOSH_INDEX = types.SimpleNamespace(
    loads=loads, load=load, dumps=pickle.dumps, dump=pickle.dump,
    PicklingError=pickle.PicklingError, UnpicklingError=pickle.UnpicklingError)

_installed = False


def install() -> None:
    """Route every pickle load of whoosh's readers through :class:`SafeUnpickler`.

    Idempotent. Modules that bound ``loads``/``load`` at import get the safe ones in
    their namespace; ``whoosh.index`` gets a ``pickle`` stand-in; the legacy (whoosh
    1.x) TOC loaders, whose Unpickler imports any name, are dropped: searchcore never
    wrote that format.
    """
    global _installed
    if _installed:
        return
    import whoosh.codec.whoosh3
    import whoosh.columns
    import whoosh.compat
    import whoosh.filedb.structfile
    import whoosh.formats
    import whoosh.index

    # whoosh.codec.plaintext unpickles too, but only for an index whose TOC names its
    # codec, which ALLOWED refuses; it is patched only if something already imported it
    # (importing it here cost a cold search ~10 ms, for ``ast``).
    plaintext = sys.modules.get("whoosh.codec.plaintext")
    for module in (whoosh.compat, whoosh.codec.whoosh3, whoosh.columns, whoosh.formats,
                   *([plaintext] if plaintext else [])):
        module.loads = loads  # type: ignore[attr-defined]
    whoosh.compat.load = load  # type: ignore[attr-defined]
    whoosh.filedb.structfile.load_pickle = load  # type: ignore[attr-defined]
    whoosh.index.pickle = _PICKLE_FOR_WHOOSH_INDEX  # type: ignore[attr-defined]
    whoosh.index.toc_loaders = {}  # type: ignore[attr-defined]
    _installed = True
