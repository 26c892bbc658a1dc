"""The W3 bytes of a bulk-written whoosh segment: :class:`BulkSegmentWriter`.

Why: whoosh's ``SegmentWriter`` analyses each field through a generator chain, pushes
every posting as a tuple into an external-sort pool (which spills to disk and merges
back), then writes each posting through several Python calls. On Reuters-21578 that
is about 25 s. :class:`BulkSegmentWriter` keeps everything else stock (schema, stored
fields, sort columns, the table of contents; the length columns' bytes and the term
index's hash tables are whoosh's, written once per segment rather than a Python call
per document or slot) and replaces two steps:

* **Inverting.** Fields analysed by :class:`~searchcore.analysis.NewsAnalyzer` with
  whoosh's ``Positions`` format go through ``NewsAnalyzer.terms`` (the tokenising
  kernel of :mod:`searchcore.analysis` plus its shared ``word -> term`` cache):
  the same terms and positions as the analyzer, without a Token per word. Postings
  are collected in memory per field and term (the caller bounds memory by giving a
  writer a bounded number of documents; see ``searchcore.index.build``). Other fields
  (ids, dates, keywords) go through whoosh's own ``field.index``.
* **Writing postings.** :meth:`BulkSegmentWriter._flush_segment` writes the W3 posting
  blocks and term-info records itself, byte for byte what ``W3PostingsWriter``
  writes: 128 postings per block, the last block's length negative, per-block
  min/max lengths from the quantised length bytes, float32 weight sums.

This relies on whoosh 2.7.4 internals (``SegmentWriter``'s private steps,
``W3FieldWriter._postfile``/``_tindex``/``_fieldmap``, the block layout), which is
why it lives in the whoosh boundary; ``pyproject.toml`` pins that version and
``tests/test_parallel_build.py`` checks postings, statistics and search results
against the stock writer. What searchcore writes beside whoosh's files (the arrays
of :mod:`searchcore.execution`) is not here: :class:`searchcore.index.fastwriter.FastWriter`
adds it through the three hooks (:meth:`~BulkSegmentWriter.document_added`,
:meth:`~BulkSegmentWriter.field_written`, :meth:`~BulkSegmentWriter.segment_written`).

The writer does not merge existing segments (``add_reader`` raises): it is for
building fresh segments, alone or one per worker process.
"""

from __future__ import annotations

import struct
import zlib
from array import array
from itertools import accumulate
from pickle import dumps, loads
from typing import Any, Callable, Mapping, Sequence

from whoosh import formats
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, _lenfield
from whoosh.fields import NUMERIC
from whoosh.filedb.filetables import OrderedHashWriter
from whoosh.system import pack_int, pack_uint, pack_ushort
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from searchcore.analysis import NewsAnalyzer
from searchcore.whoosh_boundary.segments import storage_folder

__all__ = ["BLOCK_LIMIT", "COMPRESS_MIN", "BulkSegmentWriter", "commit_segments",
           "decode_positions", "encode_positions", "fast_field"]

#: Postings per block; whoosh's W3Codec default (``blocklimit``).
BLOCK_LIMIT = 128
#: Smaller pickled blocks are stored uncompressed: zlib makes them bigger, not
#: smaller, and costs ~10 us a call (measured on Reuters: 25% fewer zlib calls, a
#: 3% smaller postings file). The block header records the choice; readers follow it.
COMPRESS_MIN = 100

# Shared objects for the common cases: weights 1.0, 2.0, ... and the encoded
# value of a single position (most postings), so they are neither recomputed nor
# stored once per posting.
_WEIGHTS = [float(i) for i in range(4096)]


class _SinglePositions(dict):
    """``position -> encoded value`` of a one-position posting, built on demand (and
    the way back, in ``_DECODED``)."""

    def __missing__(self, pos: int) -> bytes:
        value = self[pos] = pack_uint(1) + dumps([pos], 2)
        _DECODED[value] = (pos,)
        return value


class _DecodedPositions(dict):  # type: ignore[type-arg]
    """``encoded value -> positions``: holds the one-position values of ``_SINGLE``
    (as many as positions a document reaches); any other value is unpickled each
    time and not kept (a cache would grow with every new list)."""

    def __missing__(self, value: bytes) -> list[int]:
        return list(accumulate(loads(value[4:])))


_SINGLE = _SinglePositions()
_DECODED = _DecodedPositions()

#: ``decode_positions(value) -> positions``: what :func:`encode_positions` (or
#: whoosh's ``Positions``) encoded. These are bytes this writer just made (never
#: read from a file), so unpickling them is safe. A bound dict lookup: the side
#: postings decode every posting of a batch (7M at 100k articles), and for a
#: one-position value (most of them) that costs no Python call and no ``loads``.
decode_positions: Callable[[bytes], Sequence[int]] = _DECODED.__getitem__


def encode_positions(positions: list[int]) -> bytes:
    """``formats.Positions.encode``: a count, then the pickled position deltas."""
    if len(positions) == 1:
        return _SINGLE[positions[0]]
    deltas = []
    base = 0
    for pos in positions:
        deltas.append(pos - base)
        base = pos
    return pack_uint(len(deltas)) + dumps(deltas, 2)


def _index_items(field: Any, value: Any) -> Any:
    """``field.index(value)``, with a shortcut for numbers and dates.

    whoosh converts a date to its sortable integer once per trie level (8 times);
    here once, then derives the other levels the way ``sortable_to_bytes`` does.
    """
    if (isinstance(field, NUMERIC) and field.shift_step
            and not isinstance(value, (list, tuple, bytes))):
        first = field.to_bytes(value, 0)
        sortable = field._struct.unpack(first[1:])[0]
        return [(first if shift == 0 else field.sortable_to_bytes(sortable, shift),
                 1, 1.0, b"") for shift in range(0, field.bits, field.shift_step)]
    return field.index(value)


def fast_field(field: Any) -> bool:
    """Can this field take the fast path (NewsAnalyzer + plain Positions)?"""
    fmt = field.format
    return (isinstance(field.analyzer, NewsAnalyzer) and type(fmt) is formats.Positions
            and fmt.field_boost == 1.0 and not field.vector
            and not field.separate_spelling())



class BulkSegmentWriter(SegmentWriter):
    """A ``SegmentWriter`` that inverts in memory and writes W3 postings directly.

    Use it like whoosh's writer (``add_document`` then ``commit(merge=False)``), or,
    in a worker process, ``BulkSegmentWriter(ix, _lk=False)`` + :meth:`finish_segment`
    and let the parent commit the table of contents. Subclasses add what they write
    beside the segment through the hooks; the hooks here do nothing.
    """

    def __init__(self, ix: Any, *, compress_min: int = COMPRESS_MIN, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        #: Compress a posting block only from this many pickled bytes (0: never).
        self.compress_min = compress_min
        # Stored fields: the same zlib level, with the small-state compressor below
        # (the column reader inflates any zlib stream).
        stored = getattr(self.perdocwriter._colwriters.get("_stored"), "_child", None)
        if stored is not None and hasattr(stored, "_compress"):
            stored._compress = _compress_level
        schema = self.schema
        #: Fields inverted by the fast path (:func:`fast_field`).
        self.fast_fields = frozenset(name for name in schema.names()
                                     if schema[name].indexed and fast_field(schema[name]))
        # field -> term (str for fast fields, UTF-8 bytes otherwise) -> flat list
        # [docnum, weight, value, docnum, weight, value, ...] in document order.
        self._inv: dict[str, dict[Any, list[Any]]] = {}
        # field -> quantised length byte per document (0: none), for block stats.
        self._lenbytes: dict[str, bytearray] = {}

    # -- the hooks ----------------------------------------------------------------------
    def document_added(self, fields: Mapping[str, Any]) -> None:
        """Called after each document with its ``add_document`` keywords."""

    def field_written(self, folder: Any, segid: str, fieldname: str,
                      items: list[tuple[bytes, list[Any]]], lens: bytearray) -> None:
        """Called after a field's postings are written: ``items`` are its ``(term
        bytes, flat [docnum, weight, value, ...])`` in term order (the hook may clear
        them to free memory early), ``lens`` its quantised length byte per document.
        ``folder`` is the segment's storage folder (None in memory)."""

    def segment_written(self, folder: Any, segid: str, ndocs: int,
                        lenbytes: Mapping[str, bytes]) -> None:
        """Called once the segment's postings are all written."""

    # -- adding documents -------------------------------------------------------------
    def add_document(self, **fields: Any) -> None:
        self._check_state()
        if any(name.startswith("_boost") or name == "_boost" for name in fields):
            raise ValueError("BulkSegmentWriter does not support document or field boosts")
        perdoc = self.perdocwriter
        schema = self.schema
        docnum = self.docnum
        fieldnames = sorted(name for name in fields if not name.startswith("_"))
        self._check_fields(schema, fieldnames)

        perdoc.start_doc(docnum)
        # W3PerDocWriter.add_field, inlined: the stored value, the field's total
        # length, and its length byte, which goes to the length column when the
        # segment is written (_write_length_columns), not one column write per field.
        stored = perdoc._storedfields
        fieldlengths = perdoc._fieldlengths
        for fieldname in fieldnames:
            value = fields[fieldname]
            if value is None:
                continue
            field = schema[fieldname]
            length = 0
            if field.indexed:
                inv = self._inv.get(fieldname)
                if inv is None:
                    inv = self._inv[fieldname] = {}
                if fieldname in self.fast_fields and isinstance(value, str):
                    length = self._invert_text(inv, field.analyzer, value, docnum)
                else:
                    length = self._invert_stock(inv, field, value, docnum,
                                                as_text=fieldname in self.fast_fields)
                if not field.scorable:
                    length = 0
                if length:
                    lens = self._lenbytes.get(fieldname)
                    if lens is None:
                        lens = self._lenbytes[fieldname] = bytearray()
                        # The column is made when whoosh makes it (its first value).
                        perdoc.add_column_value(_lenfield(fieldname), LENGTHS_COLUMN,
                                                length_to_byte(length))
                    if len(lens) < docnum:
                        lens.extend(bytes(docnum - len(lens)))
                    lens.append(length_to_byte(length))
                    fieldlengths[fieldname] += length
            customval = fields.get("_stored_%s" % fieldname, value)
            if field.stored and customval is not None:
                stored[fieldname] = customval
            column = field.column_type
            if column and customval is not None:
                perdoc.add_column_value(fieldname, column, field.to_column_value(customval))
        perdoc.finish_doc()
        self.document_added(fields)
        self._added = True
        self.docnum += 1

    @staticmethod
    def _invert_text(inv: dict[Any, list[Any]], analyzer: NewsAnalyzer, text: str,
                     docnum: int) -> int:
        terms = analyzer.terms(text)
        if not terms:
            return 0
        # term -> its position, or the list of them once it is seen again: most terms
        # of an article occur once, and a list per term was most of this loop's time.
        positions: dict[str, Any] = {}
        seen = positions.get
        for pos, term in enumerate(terms):
            plist = seen(term)
            if plist is None:
                positions[term] = pos
            elif plist.__class__ is int:
                positions[term] = [plist, pos]
            else:
                plist.append(pos)
        single = _SINGLE
        weights = _WEIGHTS
        get = inv.get
        for term, plist in positions.items():
            postings = get(term)
            if plist.__class__ is int:
                if postings is None:
                    inv[term] = [docnum, 1.0, single[plist]]
                else:
                    postings += (docnum, 1.0, single[plist])
                continue
            freq = len(plist)
            entry = (docnum, weights[freq] if freq < 4096 else float(freq),
                     encode_positions(plist))
            if postings is None:
                inv[term] = list(entry)
            else:
                postings += entry
        return len(terms)

    @staticmethod
    def _invert_stock(inv: dict[Any, list[Any]], field: Any, value: Any, docnum: int,
                      as_text: bool) -> int:
        """whoosh's own ``field.index``; keys as text where the fast path uses text."""
        length = 0
        for tbytes, freq, weight, vbytes in _index_items(field, value):
            length += freq
            key = tbytes.decode("utf-8") if as_text else tbytes
            postings = inv.get(key)
            if postings is None:
                inv[key] = [docnum, weight, vbytes]
            else:
                postings.extend((docnum, weight, vbytes))
        return length

    def add_reader(self, reader: Any) -> None:
        raise NotImplementedError("BulkSegmentWriter builds fresh segments; it does not merge")

    # -- writing the segment ----------------------------------------------------------
    def finish_segment(self) -> Any:
        """Write this writer's segment (postings, columns, compound file), no TOC.

        For worker processes: the parent collects the segments and commits one TOC.
        The shared temporary folder is left for the parent to remove.
        """
        self._check_state()
        segment = self._finalize_segment()
        self.is_closed = True
        return segment

    def abandon(self) -> None:
        """Close the segment being written without committing it (a failed batch):
        its files are left to the caller's cleanup, no table of contents lists them."""
        self._close_segment()

    def _write_length_columns(self) -> None:
        """The length columns' bytes after each one's first (written when it was made):
        what ``NumericColumn("B")`` writes a document at a time, zeros for documents
        without a length, up to the last with one."""
        writers = self.perdocwriter._colwriters
        for fieldname, lens in self._lenbytes.items():
            writer = writers[_lenfield(fieldname)]
            end = len(lens.rstrip(b"\0"))
            if end > writer._count:
                writer._dbfile.write(bytes(lens[writer._count:end]))
                writer._count = end

    def _flush_segment(self) -> None:
        self._write_length_columns()
        self.perdocwriter.close()
        fieldwriter = self.fieldwriter
        postfile = fieldwriter._postfile
        tindex = fieldwriter._tindex
        fieldmap = fieldwriter._fieldmap
        schema = self.schema
        ndocs = self.docnum
        folder = storage_folder(self.storage)
        segid = self.newsegment.segment_id()
        for fieldname in sorted(self._inv):
            inv = self._inv[fieldname]
            if not inv:
                continue
            lens = self._lenbytes.get(fieldname, bytearray())
            if len(lens) < ndocs:
                lens.extend(bytes(ndocs - len(lens)))
            fieldid = fieldmap.setdefault(fieldname, len(fieldmap))
            items = [((k.encode("utf-8") if isinstance(k, str) else k), v)
                     for k, v in inv.items()]
            inv.clear()
            items.sort(key=_first)
            _write_field(postfile, tindex, pack_ushort(fieldid), items, lens,
                         schema[fieldname].format.fixed_value_size(), self.compress_min)
            self.field_written(folder, segid, fieldname, items, lens)
            del items
        self._inv.clear()
        # The term index's hash tables: not whoosh's loop, one write per table slot
        # (a class, not a bound method on the instance: that would be a cycle).
        if type(tindex) is OrderedHashWriter:
            tindex.__class__ = TermIndexWriter
        fieldwriter.close()
        self.segment_written(folder, segid, ndocs,
                             {name: self._lenbytes.get(name, b"")
                              for name in schema.scorable_names()})


def _first(item: tuple[bytes, Any]) -> bytes:
    return item[0]


_F32: dict[float, float] = {}


def _f32(weight: float) -> float:
    """``weight`` rounded to float32, as ``array("f")`` stores it (memoised)."""
    value = _F32.get(weight)
    if value is None:
        value = _F32[weight] = array("f", (weight,))[0]
    return value


_TERMINFO = struct.Struct("!BfIBBfIIqi")     # W3TermInfo._struct + offset + length
_REC_LENGTHS = struct.Struct("!ii")          # filetables._lengths


def _write_field(postfile: Any, tindex: Any, prefix: bytes, items: list[tuple[bytes, list]],
                 lens: bytearray, fixedsize: int | None, compress_min: int) -> None:
    """Write one field's posting lists and add their term infos to the term index.

    Equivalent to ``W3FieldWriter.start_term/add/finish_term`` per term and
    ``OrderedHashWriter.add`` per term info, batched: postings and term records go
    to their files in one write per field.
    """
    base = postfile.tell()
    posts = bytearray()
    keyfile = tindex.dbfile
    keybase = keyfile.tell()
    records = bytearray()
    index_append = tindex.index.append
    buckets = tindex.buckets
    hashfn = tindex.hashfn
    pack_rec = _REC_LENGTHS.pack
    pack_info = _TERMINFO.pack
    magic = WHOOSH3_HEADER_MAGIC
    key = b""
    if fixedsize is None or fixedsize < 0:
        mini_values = tuple
    elif fixedsize == 0:
        mini_values = _none
    else:
        mini_values = b"".join
    for btext, flat in items:
        start = base + len(posts)
        posts += magic
        ndocs = len(flat) // 3
        if ndocs == 1:
            # One posting (about half of all terms): no slicing, no loops.
            doc, weight, value = flat
            lb = lens[doc]
            w32 = weight if weight == 1.0 else _f32(weight)
            data = dumps(((doc,), None if w32 == 1.0 else w32,
                          mini_values((value,) if value else ())), 2)
            comp = 0
            if compress_min and len(data) >= compress_min:
                packed = _compress(data)
                if len(packed) < len(data):
                    data, comp = packed, 3
            info = dumps((1, doc, weight, comp, lb, lb), 2)
            posts += pack_int(-(len(info) + len(data)))
            posts += info
            posts += data
            tweight, minb, maxb, maxweight, minid, maxid = w32, lb, lb, weight, doc, doc
        else:
            docs = flat[0::3]
            weights = flat[1::3]
            values = flat[2::3]
            tweight = 0
            minb = 0
            maxb = 0
            maxweight = 0
            for bstart in range(0, ndocs, BLOCK_LIMIT):
                bend = bstart + BLOCK_LIMIT
                ids = docs[bstart:bend]
                wts = weights[bstart:bend]
                farr = array("f", wts)
                bmaxweight = max(wts)
                lbs = [b for b in map(lens.__getitem__, ids) if b]
                bminb = min(lbs) if lbs else 0
                bmaxb = max(lbs) if lbs else 0
                tweight += sum(farr)
                if bminb and (not minb or bminb < minb):
                    minb = bminb
                if bmaxb > maxb:
                    maxb = bmaxb
                if bmaxweight > maxweight:
                    maxweight = bmaxweight
                n = len(ids)
                first = farr[0]
                if farr.count(first) == n:
                    mini_w: Any = None if first == 1.0 else first
                else:
                    mini_w = tuple(farr)
                data = dumps((tuple(map(int.__sub__, ids, [0] + ids[:-1])), mini_w,
                              mini_values([v for v in values[bstart:bend] if v])), 2)
                comp = 0
                if compress_min and len(data) >= compress_min:
                    packed = _compress(data)
                    if len(packed) < len(data):
                        data, comp = packed, 3
                info = dumps((n, ids[-1], bmaxweight, comp, bminb, bmaxb), 2)
                blocklength = len(info) + len(data)
                posts += pack_int(-blocklength if bend >= ndocs else blocklength)
                posts += info
                posts += data
            minid = docs[0]
            maxid = docs[-1]
        key = prefix + btext
        value = pack_info(0, tweight, ndocs, minb, maxb, maxweight, minid, maxid,
                          start, base + len(posts) - start)
        pos = keybase + len(records)
        index_append(pos)
        records += pack_rec(len(key), len(value))
        records += key
        records += value
        h = hashfn(key)
        buckets[h & 255].append((h, pos))
    postfile.write(posts)
    keyfile.write(records)
    if key:
        tindex.lastkey = key


_POINTER = struct.Struct("!Iq")               # filetables._pointer


def _write_hash_tables(writer: Any) -> None:
    """``HashWriter._write_hashes`` (whoosh 2.7.4), byte for byte: the 256 tables of
    ``(hash, position)`` slots, linear probing from slot ``(hash >> 8) % size``, each
    table packed and written at once, not one Python write per slot (1.6M slots at
    100k articles). An empty slot is ``(0, 0)``; no key is at position 0 (the header)."""
    dbfile = writer.dbfile
    for entries in writer.buckets:
        numslots = 2 * len(entries)
        writer.directory.append((dbfile.tell(), numslots))
        flat = [0] * (2 * numslots)
        for hashval, position in entries:
            slot = (hashval >> 8) % numslots
            while flat[2 * slot + 1]:
                slot = (slot + 1) % numslots
            flat[2 * slot] = hashval
            flat[2 * slot + 1] = position
        if numslots:
            dbfile.write(struct.pack("!" + "Iq" * numslots, *flat))


class TermIndexWriter(OrderedHashWriter):
    """whoosh's ``OrderedHashWriter`` with :func:`_write_hash_tables` for its tables."""

    def _write_hashes(self) -> None:
        _write_hash_tables(self)


def _compress(data: bytes) -> bytes:
    """zlib level 3 (whoosh's default) with a 16 KB window and small hash table.

    Any zlib reader inflates it (the window size is in the stream header), and posting
    blocks are at most a few KB. zlib's default state is ~256 KB allocated and
    cleared per call, which costs more than compressing a small block (45 us vs
    ~5 us a block measured in a full build).
    """
    obj = zlib.compressobj(3, zlib.DEFLATED, 14, 4)
    return obj.compress(data) + obj.flush()


def _compress_level(data: bytes, level: int) -> bytes:
    """``zlib.compress(data, level)`` with :func:`_compress`'s small state."""
    obj = zlib.compressobj(level, zlib.DEFLATED, 14, 4)
    return obj.compress(data) + obj.flush()


def _none(values: Any) -> None:
    return None


def commit_segments(ix: Any, segments: Sequence[Any]) -> None:
    """Write a new table of contents for ``ix`` listing exactly ``segments``, in order
    (the segments the build's writers finished, :meth:`BulkSegmentWriter.finish_segment`),
    and tidy whoosh's files; the caller holds the index's lock. whoosh has no public
    call for this: a ``SegmentWriter``'s private commit steps, with no segment of its own.
    """
    writer = SegmentWriter(ix, _lk=False)
    writer._close_segment()
    writer._commit_toc(list(segments))
    writer._finish()

