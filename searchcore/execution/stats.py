"""The index's own collection statistics, read from the side postings.

Scores need the number of documents, each term's document frequency and each field's
total length (:class:`searchcore.scoring.stats.CollectionStats`, which a sharded
search fills with the whole collection's numbers). For one index they are its own:
:func:`local_stats` answers document frequencies from the side term dictionary (a
binary search over memory-mapped arrays) instead of whoosh's hashed term table,
which was 15-30% of a one-word search. The numbers are whoosh's: ``N`` and document
frequencies count deleted documents until a merge removes them.
"""

from __future__ import annotations

from typing import Any

from searchcore.execution.postings import segment_postings
from searchcore.execution.segment_arrays import kept_on
from searchcore.scoring.stats import CollectionStats
from searchcore.whoosh_boundary.segments import leaf_readers

_CACHE_KEY = "collection_stats"


def local_stats(searcher: Any) -> CollectionStats:
    """The statistics of the index ``searcher`` reads (made once per reader, kept on it)."""
    def make(_: Any) -> CollectionStats:
        leaves = [segment_postings(reader) for reader, _ in leaf_readers(searcher)]

        def lookup(fieldname: str, btext: bytes) -> int:
            total = 0
            for sp in leaves:
                fp = sp.field(fieldname)
                if fp is not None:
                    i = fp.find(btext)
                    if i >= 0:
                        total += fp.df(i)
            return total

        scorable = searcher.schema.scorable_names()
        return CollectionStats(
            documents=searcher.doc_count_all(),
            field_lengths={name: float(searcher.field_length(name)) for name in scorable},
            lookup=lookup, live=searcher.doc_count())

    return kept_on(searcher.reader(), _CACHE_KEY, make)
