"""Raw posting lists of a whoosh 2.7.4 W3 segment, block by block, as numpy arrays.

whoosh hands out postings one at a time through matchers. Reading a whole list goes
faster through the matcher's decoded blocks (``_data``: id deltas, weights, values),
which is what this module does; it also reads past the deletion filter (a column
over document numbers has a row for deleted documents, and deletions are applied
from whoosh's table of contents at search time). Used to convert a segment into the
side index (:mod:`searchcore.execution.postings`).
"""

from __future__ import annotations

from typing import Any, Iterator, NamedTuple

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.matching.wrappers import FilterMatcher


class NotW3(Exception):
    """The segment is not in the W3 layout this module reads."""


def raw_matcher(reader: Any, fieldname: str, btext: bytes) -> Any:
    """A term's leaf matcher, without the deletion filter.

    From the segment's terms reader: unwrapping ``reader.postings()``'s
    ``FilterMatcher`` is not enough, as it has already moved its child past a
    leading deleted document.
    """
    terms = getattr(reader, "_terms", None)
    if terms is None:
        m = reader.postings(fieldname, btext)
        return m.child if isinstance(m, FilterMatcher) else m
    return terms.matcher(fieldname, btext, reader.schema[fieldname].format)


def block_postings(m: Any, with_values: bool = False) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """``(ids int64, weights float64, values)`` of a W3 leaf matcher, read to its end."""
    if type(m) is not W3LeafMatcher or m._byteids:
        raise NotW3(type(m).__name__)
    ids: list[np.ndarray] = []
    freqs: list[np.ndarray] = []
    values: list[Any] = []
    while m.is_active():
        if m._data is None:
            m._read_data()
        deltas, weights = m._data[0], m._data[1]
        block = np.cumsum(np.asarray(deltas, dtype=np.int64))
        ids.append(block)
        if weights is None:
            freqs.append(np.ones(len(block)))
        elif isinstance(weights, float):
            freqs.append(np.full(len(block), weights))
        else:
            freqs.append(np.asarray(weights, dtype=np.float64))
        if with_values:
            m._read_values()
            values.extend(m._values)
        m._next_block()
    if not ids:
        return np.zeros(0, dtype=np.int64), np.zeros(0), values
    return np.concatenate(ids), np.concatenate(freqs), values


class TermPostings(NamedTuple):
    """One term's raw postings, and the document frequency its term entry states."""

    btext: bytes
    ids: np.ndarray
    weights: np.ndarray
    #: Each posting's word positions, when asked for (else empty).
    positions: list[list[int]]
    doc_frequency: int


def field_postings(reader: Any, fieldname: str, with_positions: bool) -> Iterator[TermPostings]:
    """Every term of ``fieldname`` in byte order, with its postings.

    Walks the segment's term table once, in order, and opens each term's postings
    from the entry it just read. Looking each term of ``reader.lexicon()`` up again
    in the hash table cost as much as reading its postings (half of an
    ``index check``).
    """
    fmt = reader.schema[fieldname].format
    terms = getattr(reader, "_terms", None)
    if terms is None or not hasattr(terms, "items_from"):
        for btext in reader.lexicon(fieldname):
            ids, weights, values = block_postings(raw_matcher(reader, fieldname, btext),
                                                  with_values=with_positions)
            yield TermPostings(btext, ids, weights, _positions(fmt, values, with_positions),
                               reader.doc_frequency(fieldname, btext))
        return
    if fieldname not in terms.indexed_field_names():
        return
    for (name, btext), info in terms.items_from(fieldname, b""):
        if name != fieldname:
            return
        m = terms._codec.postings_reader(terms._postfile, info, fmt, term=(fieldname, btext))
        ids, weights, values = block_postings(m, with_values=with_positions)
        yield TermPostings(btext, ids, weights, _positions(fmt, values, with_positions),
                           info.doc_frequency())


def _positions(fmt: Any, values: list[Any], with_positions: bool) -> list[list[int]]:
    return [fmt.decode_positions(v) for v in values] if with_positions else []
