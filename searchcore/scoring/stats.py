"""Collection statistics: what BM25F knows about the collection, in one small object.

A score depends on the document (its term frequencies and field lengths) and on the
collection: the number of documents ``N``, each word's document frequency ``df`` and
each field's average length. One index answers the second from its own reader. A
sharded index must answer it for all shards together, or every shard ranks by its
own idf and the merged list is not the list one index would give (Elasticsearch's
``dfs_query_then_fetch``: gather the statistics first, then score with them).

:class:`CollectionStats` holds those numbers; :class:`StatsSearcher` is a whoosh
searcher over one shard's reader that answers ``idf``, ``doc_frequency`` and
``avg_field_length`` from them, so whoosh's scorers, searchcore's BM25F matchers and
the array executor all score with the collection's numbers, while document numbers,
array sizes and postings stay the shard's own. :func:`collection_size` is the one
place scoring code asks for ``N``: ``searcher.doc_count_all()`` is also the size of
the shard's arrays, which is not the collection's.

``N`` counts deleted documents and ``df`` counts their postings until a merge removes
them, as whoosh's own statistics do, so a sharded index and an unsharded one with the
same deletions score alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from whoosh.searching import Searcher


@dataclass(frozen=True)
class CollectionStats:
    """``N``, total field lengths and document frequencies of a whole collection.

    ``frequencies`` holds the terms a query needs, ``(field, term bytes) -> df``;
    ``lookup`` answers any other term (a prefix's expansion found during the search),
    or None where every term was gathered up front. ``live`` counts the documents
    not deleted; ``readers`` are the collection's readers (one a shard), for what
    must see every term of the collection (a fuzzy word's expansions), or, where the
    shards are elsewhere (searched on a Dask cluster), ``expansions`` holds each fuzzy
    word's expansions over the collection, keyed by :func:`fuzzy_key`.
    """

    documents: int
    field_lengths: Mapping[str, float]
    frequencies: dict[tuple[str, bytes], int] = field(default_factory=dict)
    lookup: Callable[[str, bytes], int] | None = field(default=None, compare=False)
    live: int = 0
    readers: Sequence[Any] = field(default=(), compare=False, repr=False)
    expansions: Mapping[tuple[str, str, int, int], tuple[str, ...]] | None = \
        field(default=None, compare=False, repr=False)

    # Named as whoosh's searcher methods: weighting models' idf() take either.
    def get_parent(self) -> "CollectionStats":
        return self

    def doc_count_all(self) -> int:
        return self.documents

    def doc_frequency(self, fieldname: str, text: bytes | str) -> int:
        btext = text.encode("utf-8") if isinstance(text, str) else text
        key = (fieldname, btext)
        found = self.frequencies.get(key)
        if found is None:
            found = self.lookup(fieldname, btext) if self.lookup is not None else 0
            self.frequencies[key] = found        # asked again by every shard's scorer
        return found

    def field_length(self, fieldname: str) -> float:
        return self.field_lengths.get(fieldname, 0)

    def avg_field_length(self, fieldname: str, default: float | None = None) -> float | None:
        if fieldname not in self.field_lengths:
            return default
        return self.field_lengths[fieldname] / (self.documents or 1)


def fuzzy_key(q: Any) -> tuple[str, str, int, int]:
    """What identifies a fuzzy word's expansions: field, text, distance, prefix."""
    return (q.fieldname, q.text, int(q.maxdist), int(q.prefixlength))


def combined_stats(readers: Sequence[Any], scorable: Sequence[str],
                   terms: Sequence[tuple[str, bytes]] = ()) -> CollectionStats:
    """The statistics of the collection made of ``readers`` (whoosh readers, one a
    shard): sums, with ``terms`` gathered now and any other term on demand."""
    def lookup(fieldname: str, btext: bytes) -> int:
        return sum(r.doc_frequency(fieldname, btext) for r in readers)

    return CollectionStats(
        documents=sum(r.doc_count_all() for r in readers),
        field_lengths={name: sum(r.field_length(name) for r in readers) for name in scorable},
        frequencies={term: lookup(*term) for term in terms}, lookup=lookup,
        live=sum(r.doc_count() for r in readers), readers=tuple(readers))


class StatsSearcher(Searcher):
    """A whoosh searcher over one shard that scores with ``stats`` (the collection's)."""

    def __init__(self, reader: Any, stats: CollectionStats, weighting: Any) -> None:
        super().__init__(reader, weighting=weighting, closereader=False)
        # whoosh's Searcher copies the reader's doc_frequency onto the instance, which
        # would hide the method below.
        self.__dict__.pop("doc_frequency", None)
        self.collection_stats = stats

    def _subsearcher(self, reader: Any) -> Searcher:
        # whoosh builds one sub-searcher per segment as ``self.__class__(reader,
        # fromindex=, parent=)``; a plain one suffices: its scorers ask the parent
        # (this searcher) for idf and field lengths, i.e. for the collection's.
        return Searcher(reader, fromindex=self._ix, weighting=self.weighting, parent=self)

    def doc_frequency(self, fieldname: str, text: Any) -> int:
        return self.collection_stats.doc_frequency(fieldname, self._to_bytes(fieldname, text))

    def field_length(self, fieldname: str) -> float:
        return self.collection_stats.field_length(fieldname)

    def avg_field_length(self, fieldname: str, default: float | None = None) -> float | None:
        if not self.schema[fieldname].scorable:
            return default
        return self.collection_stats.avg_field_length(fieldname, default)

    def idf(self, fieldname: str, text: Any) -> float:
        # whoosh's BM25 scorers ask their parent searcher for idf: answer it from the
        # collection (weighting models' idf() read doc_count_all and doc_frequency).
        return float(self.weighting.idf(self.collection_stats, fieldname,
                                        self._to_bytes(fieldname, text)))

    def _to_bytes(self, fieldname: str, text: Any) -> bytes:
        if isinstance(text, bytes):
            return text
        return self.schema[fieldname].to_bytes(text) if fieldname in self.schema \
            else str(text).encode("utf-8")


def collection_size(searcher: Any) -> int:
    """``N`` for idf: the collection's when ``searcher`` scores with collection
    statistics, else the searcher's own document count."""
    stats = getattr(searcher, "collection_stats", None)
    return stats.documents if stats is not None else searcher.doc_count_all()
