"""Per-document columns: published time, source, categories, language, lengths, deletions.

Facets, timelines, story collapse, date filters and date sorting all ask one question of
every matching document ("what is its source?", "when was it published?"). whoosh
answers one document at a time from pickled stored fields; these columns answer for
all documents at once, as numpy arrays indexed by the searcher's global document
numbers.

API (what other modules call)
-----------------------------
::

    from searchcore.execution.columns import columns_for, match_docnums, NO_DATE

    cols = columns_for(ix)            # a searchcore.Index, or a whoosh Searcher
    cols.doc_count                    # rows: every document number, deleted ones too
    cols.published                    # int64 epoch seconds (floor), NO_DATE if undated
    cols.published_us                 # int64 epoch microseconds, NO_DATE if undated
    cols.dated                        # bool: has a date
    cols.source.codes, cols.source.vocab      # int32 code per doc (-1: none), display values
    cols.language.codes, cols.language.vocab  # the same for the language tag
    cols.category.offsets, .codes, .vocab     # CSR: doc d has codes[offsets[d]:offsets[d+1]]
    cols.category.values(d)                   # ('business', 'energy') for one document
    cols.title_len, cols.body_len     # float64, the (quantised) lengths BM25 uses
    cols.field_length("source")       # the same for any scorable field
    cols.deleted, cols.live           # bool
    cols.story                        # int64 story id, -1 where none (issue 11 fills it)
    cols.extra("name", fill=-1)       # any extra int64 column written with write_extra_column

    docs = match_docnums(searcher, query)     # every live match of a whoosh query, sorted int64

Vocabularies are sorted display values as stored (``"Reuters"``, ``"BBC News"``;
categories as given, e.g. ``"business"``), so codes compare like the values sort. The
object is immutable and cached on the searcher's reader: ``Index.searcher()``
is reused across searches, so the columns are assembled once per commit, not per query.

On disk
-------
Each whoosh segment gets plain files beside its own, named after it so that whoosh's
file cleaning removes them with the segment (``MAIN_<segid>.scol_published.npy``,
``...scol_source.npy``, ``...scol_category_offsets.npy``, ``...scol_len_title.npy``
(whoosh's length bytes), ``...scol_meta.json`` (counts and vocabularies, written
last: a segment without it has no columns). Arrays are ``.npy`` opened with
``mmap_mode="r", allow_pickle=False``: nothing is unpickled. Deletions are not
stored here: whoosh's table of contents is their record, read per segment on open.

Who writes them
---------------
* The bulk writer (index/fastwriter.py, used by builds and big ``Index.add`` batches)
  writes them as it finishes a segment, from the values it is indexing.
* Every other commit (small adds through whoosh's writer, merges, deletes that merge)
  is followed, under the index write lock, by :func:`write_missing`, which computes
  the columns of any segment without them from its stored fields.
* A segment without columns (an index built before them, or a crash between whoosh's
  commit and ours) is computed in memory when opened, so read-only use works, and
  written by the next writer. No rebuild is needed and no format bump.

Story ids (issue 11)
--------------------
``cols.story`` reads the extra column ``story``. Assign story ids over the whole index
(global document numbers, -1 for none) and store them with
``write_extra_column(ix, "story", ids)`` under the write lock; segments written later
read -1 until the next assignment pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import orjson

from searchcore.execution.segment_arrays import DECODE_LENGTHS, reader_cache
from searchcore.execution.sidefiles import load, write_atomic, write_npy
from searchcore.whoosh_boundary import segments as boundary

#: Bump when the files change; segments with another version are recomputed.
COLUMNS_VERSION = 1
#: ``published``/``published_us`` of an undated article: sorts after every date.
NO_DATE = np.iinfo(np.int64).max
_PREFIX = ".scol_"
_META = "meta.json"
_EPOCH = datetime(1970, 1, 1)
_CACHE_KEY = "columns"
_SEARCHER_ATTR = "_searchcore_doc_columns"


# -- value types ----------------------------------------------------------------------

@dataclass(frozen=True)
class Coded:
    """One value (or none) per document: ``vocab[codes[d]]``, code -1 for none."""

    codes: np.ndarray
    vocab: tuple[str, ...]

    def value(self, docnum: int) -> str | None:
        code = int(self.codes[docnum])
        return None if code < 0 else self.vocab[code]


@dataclass(frozen=True)
class MultiCoded:
    """Any number of values per document, in CSR form."""

    offsets: np.ndarray        # int64, doc_count + 1
    codes: np.ndarray          # int32
    vocab: tuple[str, ...]

    def values(self, docnum: int) -> tuple[str, ...]:
        start, end = int(self.offsets[docnum]), int(self.offsets[docnum + 1])
        return tuple(self.vocab[c] for c in self.codes[start:end])

    def doc_of_code(self) -> np.ndarray:
        """For each entry of ``codes``, the document it belongs to (for bincounts)."""
        return np.repeat(np.arange(len(self.offsets) - 1, dtype=np.int64), np.diff(self.offsets))


@dataclass(frozen=True)
class SegmentColumns:
    """The columns of one segment (local document numbers)."""

    doc_count: int
    published_us: np.ndarray
    source: Coded
    category: MultiCoded
    language: Coded
    length_bytes: Mapping[str, np.ndarray]       # field -> uint8 per document
    extras: Mapping[str, np.ndarray] = field(default_factory=dict)


# -- building one segment's columns ---------------------------------------------------

def epoch_us(value: Any) -> int:
    """Microseconds since 1970 of a datetime (naive = UTC); NO_DATE for anything else."""
    if not isinstance(value, datetime):
        return int(NO_DATE)
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _categories(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [c.strip() for c in value.split(",") if c.strip()]
    return [str(c) for c in value]


class SegmentColumnsBuilder:
    """Collects column values document by document; one rule for every writer.

    ``add(stored)`` takes a document's *stored* values (``published`` a naive UTC
    datetime, ``source``/``language`` strings, ``category`` a list), the same
    mapping whoosh's stored fields give back, so the bulk writer and
    :func:`compute_segment_columns` cannot disagree.
    """

    def __init__(self) -> None:
        self._published: list[int] = []
        self._source: list[str] = []
        self._language: list[str] = []
        self._category: list[list[str]] = []

    def add(self, stored: Mapping[str, Any]) -> None:
        self._published.append(epoch_us(stored.get("published")))
        self._source.append(stored.get("source") or "")
        self._language.append(stored.get("language") or "")
        self._category.append(_categories(stored.get("category")))

    def __len__(self) -> int:
        return len(self._published)

    def finish(self, length_bytes: Mapping[str, bytes | bytearray | np.ndarray],
               doc_count: int | None = None) -> SegmentColumns:
        n = len(self._published) if doc_count is None else doc_count
        if n != len(self._published):
            raise ValueError(f"{len(self._published)} documents collected, segment has {n}")
        lengths = {}
        for name, raw in length_bytes.items():
            arr = np.zeros(n, dtype=np.uint8)
            got = np.frombuffer(bytes(raw), dtype=np.uint8) if not isinstance(raw, np.ndarray) \
                else raw.astype(np.uint8, copy=False)
            arr[:min(n, len(got))] = got[:n]
            lengths[name] = arr
        flat = [c for cats in self._category for c in cats]
        cat_vocab, cat_codes = _encode(flat)
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum([len(c) for c in self._category], out=offsets[1:])
        src_vocab, src_codes = _encode(self._source, empty_is_none=True)
        lang_vocab, lang_codes = _encode(self._language, empty_is_none=True)
        return SegmentColumns(
            doc_count=n, published_us=np.array(self._published, dtype=np.int64),
            source=Coded(src_codes, src_vocab), language=Coded(lang_codes, lang_vocab),
            category=MultiCoded(offsets, cat_codes, cat_vocab), length_bytes=lengths)


def _encode(values: Sequence[str], empty_is_none: bool = False) -> tuple[tuple[str, ...], np.ndarray]:
    """Sorted vocabulary and int32 codes (-1 for "" when ``empty_is_none``)."""
    vocab = sorted(set(values) - ({""} if empty_is_none else set()))
    index = {v: i for i, v in enumerate(vocab)}
    codes = np.fromiter((index.get(v, -1) for v in values), dtype=np.int32, count=len(values))
    return tuple(vocab), codes


def compute_segment_columns(reader: Any) -> SegmentColumns:
    """A segment's columns from its stored fields and length column (no files)."""
    builder = SegmentColumnsBuilder()
    for stored in boundary.all_stored_fields(reader):
        builder.add(stored)
    lengths = {name: boundary.length_codes(reader, name) for name in reader.schema.scorable_names()}
    return builder.finish(lengths, reader.doc_count_all())


# -- files ----------------------------------------------------------------------------

def _path(folder: Path, segid: str, name: str) -> Path:
    return folder / f"{segid}{_PREFIX}{name}"


def write_segment_columns(folder: Path, segid: str, cols: SegmentColumns) -> None:
    """Write one segment's column files (the meta file last, marking them complete)."""
    arrays = {"published.npy": cols.published_us, "source.npy": cols.source.codes,
              "language.npy": cols.language.codes,
              "category_offsets.npy": cols.category.offsets,
              "category_codes.npy": cols.category.codes}
    for name, lengths in cols.length_bytes.items():
        arrays[f"len_{name}.npy"] = lengths
    for name, array in arrays.items():
        write_npy(_path(folder, segid, name), array)
    meta = {"version": COLUMNS_VERSION, "docs": cols.doc_count,
            "lengths": sorted(cols.length_bytes),
            "vocab": {"source": list(cols.source.vocab), "language": list(cols.language.vocab),
                      "category": list(cols.category.vocab)}}
    write_atomic(_path(folder, segid, _META), orjson.dumps(meta))


def read_segment_columns(folder: Path, segid: str, doc_count: int) -> SegmentColumns | None:
    """A segment's columns from disk, memory-mapped; None if absent or stale."""
    try:
        meta = orjson.loads(_path(folder, segid, _META).read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return None
    if meta.get("version") != COLUMNS_VERSION or meta.get("docs") != doc_count:
        return None
    try:
        vocab = meta["vocab"]
        cols = SegmentColumns(
            doc_count=doc_count,
            published_us=load(_path(folder, segid, "published.npy")),
            source=Coded(load(_path(folder, segid, "source.npy")), tuple(vocab["source"])),
            language=Coded(load(_path(folder, segid, "language.npy")), tuple(vocab["language"])),
            category=MultiCoded(load(_path(folder, segid, "category_offsets.npy")),
                                load(_path(folder, segid, "category_codes.npy")),
                                tuple(vocab["category"])),
            length_bytes={name: load(_path(folder, segid, f"len_{name}.npy"))
                          for name in meta["lengths"]},
            extras=_read_extras(folder, segid, doc_count))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return cols if _consistent(cols, doc_count) else None


def _consistent(cols: SegmentColumns, doc_count: int) -> bool:
    """Do a segment's column files fit together? Files are input: a damaged or hostile
    one is ignored (the columns are computed from whoosh's records instead)."""
    def ok(a: np.ndarray, dtype: Any, length: int | None) -> bool:
        return a.ndim == 1 and a.dtype == np.dtype(dtype) and (length is None or len(a) == length)

    def codes_ok(a: np.ndarray, vocab: tuple[str, ...]) -> bool:
        return not len(a) or (int(a.min()) >= -1 and int(a.max()) < len(vocab))

    cat = cols.category
    if not (ok(cols.published_us, np.int64, doc_count) and ok(cols.source.codes, np.int32, doc_count)
            and ok(cols.language.codes, np.int32, doc_count)
            and ok(cat.offsets, np.int64, doc_count + 1) and ok(cat.codes, np.int32, None)):
        return False
    if cat.offsets[0] != 0 or cat.offsets[-1] != len(cat.codes) or np.any(np.diff(cat.offsets) < 0):
        return False
    if not all(isinstance(v, str) for v in cols.source.vocab + cols.language.vocab + cat.vocab):
        return False
    if not (codes_ok(cols.source.codes, cols.source.vocab)
            and codes_ok(cols.language.codes, cols.language.vocab)
            and codes_ok(cat.codes, cat.vocab) and (not len(cat.codes) or int(cat.codes.min()) >= 0)):
        return False
    return all(ok(a, np.uint8, doc_count) for a in cols.length_bytes.values())


def _read_extras(folder: Path, segid: str, doc_count: int) -> dict[str, np.ndarray]:
    extras = {}
    prefix = f"{segid}{_PREFIX}x_"
    for path in folder.glob(f"{segid}{_PREFIX}x_*.npy"):
        try:
            array = load(path)
        except (OSError, ValueError):
            continue
        if array.ndim == 1 and array.dtype == np.int64 and len(array) == doc_count:
            extras[path.name[len(prefix):-len(".npy")]] = array
    return extras


def segment_columns(reader: Any) -> SegmentColumns:
    """One segment reader's columns: from its files, else computed (kept on the reader)."""
    cache = reader_cache(reader)
    cols = cache.get(_CACHE_KEY)
    if cols is None:
        folder, segid = boundary.segment_folder(reader), boundary.segment_name(reader)
        if folder is not None and segid is not None:
            cols = read_segment_columns(folder, segid, reader.doc_count_all())
        if cols is None:
            cols = compute_segment_columns(reader)
        cache[_CACHE_KEY] = cols
    return cols


def verify_segment_columns(reader: Any) -> list[str]:
    """Problems of a segment's column files against its stored fields (``index check``).

    Absent files are not a problem (they are computed on open); files that disagree
    with whoosh's records are.
    """
    folder, segid = boundary.segment_folder(reader), boundary.segment_name(reader)
    if folder is None or segid is None or not _path(folder, segid, _META).exists():
        return []
    on_disk = read_segment_columns(folder, segid, reader.doc_count_all())
    if on_disk is None:
        return ["its column files are unreadable or stale (the next write rewrites them)"]
    truth = compute_segment_columns(reader)
    problems = []
    checks = {
        "published": (on_disk.published_us, truth.published_us),
        "source": (_decoded(on_disk.source), _decoded(truth.source)),
        "language": (_decoded(on_disk.language), _decoded(truth.language)),
        "category offsets": (on_disk.category.offsets, truth.category.offsets),
        "categories": (np.array(on_disk.category.vocab + ("",), dtype=object)[on_disk.category.codes],
                       np.array(truth.category.vocab + ("",), dtype=object)[truth.category.codes]),
    }
    for name in truth.length_bytes:
        checks[f"{name} lengths"] = (on_disk.length_bytes.get(name), truth.length_bytes[name])
    for name, (got, want) in checks.items():
        if got is None or len(got) != len(want) or not np.array_equal(got, want):
            problems.append(f"its {name} column differs from the stored fields")
    return problems


def _decoded(coded: Coded) -> np.ndarray:
    return np.array(coded.vocab + ("",), dtype=object)[coded.codes]


def write_missing(ix: Any) -> int:
    """Write the side files (columns, postings, display records) of every segment of
    ``ix`` lacking them.

    Returns how many segments needed some.

    Call under the index write lock after a commit. Cheap when nothing is missing
    (one small file read per segment). Temporaries a killed writer left are removed
    first (:func:`~searchcore.execution.sidefiles.remove_stale_temporaries`).
    """
    from searchcore.execution import display, postings     # they build on this module
    from searchcore.execution.sidefiles import remove_stale_temporaries

    written = 0
    folder = boundary.storage_folder(ix.storage)
    if folder is not None:                 # what a killed writer left half-written
        remove_stale_temporaries(folder)
    for folder, segid, segment in boundary.stored_segments(ix):
        count = segment.doc_count_all()
        need_columns = read_segment_columns(folder, segid, count) is None
        need_postings = not postings.has_segment_postings(folder, segid, count)
        need_display = not display.has_display(folder, segid, count)
        if not (need_columns or need_postings or need_display):
            continue
        reader = boundary.open_segment_reader(ix, segment)
        try:
            if need_columns:
                write_segment_columns(folder, segid, compute_segment_columns(reader))
            if need_postings:
                postings.write_segment_postings(folder, segid, reader)
            if need_display:
                display.write_segment_display(folder, segid, reader)
        finally:
            reader.close()
        written += 1
    return written


def write_extra_column(ix: Any, name: str, values: np.ndarray) -> None:
    """Store an int64 column ``name`` over the global document numbers of ``ix``.

    Split per segment and written beside the segment's other columns. Call under the
    index write lock; readers see it from their next searcher.
    """
    if not name.isidentifier():
        raise ValueError(f"column name must be an identifier, not {name!r}")
    folder = boundary.storage_folder(ix.storage)
    segments = boundary.index_segments(ix)
    total = sum(s.doc_count_all() for s in segments)
    values = np.asarray(values, dtype=np.int64)
    if len(values) != total:
        raise ValueError(f"column {name!r} has {len(values)} values for {total} documents")
    if folder is None:
        return
    start = 0
    for segment in segments:
        end = start + segment.doc_count_all()
        write_npy(_path(folder, segment.segment_id(), f"x_{name}.npy"), values[start:end])
        start = end


# -- the searcher-wide view -----------------------------------------------------------

class DocColumns:
    """Columns over the global document numbers of one searcher (see the module doc)."""

    def __init__(self, segments: Sequence[SegmentColumns], offsets: Sequence[int],
                 deleted: np.ndarray) -> None:
        self._segments = tuple(segments)
        self.segment_offsets = tuple(offsets)
        self.doc_count = int(sum(s.doc_count for s in segments))
        self.deleted = deleted
        self.live = ~deleted
        #: No document deleted: a search keeps every match without a look at ``live``.
        self.all_live = not deleted.any()

    @cached_property
    def published_us(self) -> np.ndarray:
        return _concat([s.published_us for s in self._segments], np.int64)

    @cached_property
    def published(self) -> np.ndarray:
        us = self.published_us
        return np.where(us == NO_DATE, NO_DATE, us // 1_000_000)

    @cached_property
    def dated(self) -> np.ndarray:
        return self.published_us != NO_DATE

    @cached_property
    def source(self) -> Coded:
        return _merge_coded([s.source for s in self._segments])

    @cached_property
    def language(self) -> Coded:
        return _merge_coded([s.language for s in self._segments])

    @cached_property
    def category(self) -> MultiCoded:
        parts = [s.category for s in self._segments]
        if len(parts) == 1:
            return parts[0]
        vocab, remaps = _merge_vocab([p.vocab for p in parts])
        codes = _concat([remap[p.codes] for p, remap in zip(parts, remaps)], np.int32)
        offsets = np.zeros(self.doc_count + 1, dtype=np.int64)
        base, row = 0, 0
        for p in parts:
            n = len(p.offsets) - 1
            offsets[row + 1:row + n + 1] = np.asarray(p.offsets[1:]) + base
            base += int(p.offsets[-1])
            row += n
        return MultiCoded(offsets, codes, vocab)

    def field_length(self, fieldname: str) -> np.ndarray:
        """float64 length of every document in ``fieldname`` (0 where none)."""
        return self._lengths(fieldname)

    def length_norm(self, fieldname: str, b: float, avg: float) -> np.ndarray:
        """BM25's length normalisation ``1 - b + b * length / avg`` of every document
        in ``fieldname``, worked out once for the last ``(b, avg)`` a search of the
        field asked for (each list's scores are then a gather and a division, not
        five array operations; the same expression, so the same values)."""
        cache = self.__dict__.setdefault("_norm_cache", {})
        kept = cache.get(fieldname)
        if kept is None or kept[0] != (b, avg):
            kept = cache[fieldname] = ((b, avg), 1.0 - b + b * self._lengths(fieldname) / avg)
        norm: np.ndarray = kept[1]
        return norm

    @property
    def title_len(self) -> np.ndarray:
        return self._lengths("title")

    @property
    def body_len(self) -> np.ndarray:
        return self._lengths("body")

    def _lengths(self, fieldname: str) -> np.ndarray:
        cache = self.__dict__.setdefault("_length_cache", {})
        lengths = cache.get(fieldname)
        if lengths is None:
            codes = _concat([s.length_bytes.get(fieldname, np.zeros(s.doc_count, np.uint8))
                             for s in self._segments], np.uint8)
            lengths = cache[fieldname] = DECODE_LENGTHS[codes]
        return lengths

    def extra(self, name: str, fill: int = -1) -> np.ndarray:
        """An extra int64 column (see :func:`write_extra_column`); ``fill`` where absent."""
        cache = self.__dict__.setdefault("_extra_cache", {})
        values = cache.get(name)
        if values is None:
            values = cache[name] = _concat(
                [s.extras[name] if name in s.extras else np.full(s.doc_count, fill, np.int64)
                 for s in self._segments], np.int64)
        return values

    @property
    def story(self) -> np.ndarray:
        """Story id per document, -1 where none has been assigned (issue 11)."""
        return self.extra("story", -1)


def _concat(parts: Sequence[np.ndarray], dtype: Any) -> np.ndarray:
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return np.zeros(0, dtype=dtype)
    return np.concatenate(parts).astype(dtype, copy=False)


def _merge_vocab(vocabs: Sequence[tuple[str, ...]]) -> tuple[tuple[str, ...], list[np.ndarray]]:
    """The sorted union of vocabularies and, per part, local code -> global code.

    Each remap has one extra last entry -1, so indexing it with code -1 gives -1.
    """
    merged = tuple(sorted(set().union(*vocabs)))
    index = {v: i for i, v in enumerate(merged)}
    remaps = [np.array([index[v] for v in vocab] + [-1], dtype=np.int32) for vocab in vocabs]
    return merged, remaps


def _merge_coded(parts: Sequence[Coded]) -> Coded:
    if len(parts) == 1:
        return parts[0]
    vocab, remaps = _merge_vocab([p.vocab for p in parts])
    return Coded(_concat([remap[p.codes] for p, remap in zip(parts, remaps)], np.int32), vocab)


def columns_for(source: Any) -> DocColumns:
    """The :class:`DocColumns` of a ``searchcore.Index`` (its current searcher) or of a
    whoosh ``Searcher``; made once per searcher and kept on it."""
    searcher = source.searcher() if callable(getattr(source, "searcher", None)) else source
    # Kept on the reader: searchers made for another weighting share it.
    holder = searcher.reader()
    cols = getattr(holder, _SEARCHER_ATTR, None)
    if cols is None:
        leaves = boundary.leaf_readers(searcher)
        segments = [segment_columns(reader) for reader, _ in leaves]
        offsets = [offset for _, offset in leaves]
        deleted = np.zeros(sum(s.doc_count for s in segments), dtype=bool)
        for (reader, offset), _ in zip(leaves, segments):
            deleted[boundary.deleted_docnums(reader) + offset] = True
        cols = DocColumns(segments, offsets, deleted)
        setattr(holder, _SEARCHER_ATTR, cols)
    return cols


def match_docnums(searcher: Any, query: Any) -> np.ndarray:
    """Every live document matching a parsed (whoosh) query: sorted global int64 numbers.

    Not limited to a top k: facets and timelines count all of them.
    """
    docs = np.fromiter(searcher.docs_for_query(query), dtype=np.int64)
    docs.sort()
    return docs


def live_docnums(columns: DocColumns) -> np.ndarray:
    """Every live document number (for a query that matches everything)."""
    return np.flatnonzero(columns.live)


def values_of(coded: Coded, docnums: Iterable[int]) -> list[str | None]:
    """Display values of ``docnums`` in a :class:`Coded` column (None where none)."""
    return [coded.value(int(d)) for d in docnums]
