"""The array executor: a parsed query evaluated a whole posting list at a time.

whoosh walks a tree of Python matchers one document at a time. Here every node of the
query tree is evaluated over whole arrays (the side postings of
:mod:`searchcore.execution.postings` and the columns of
:mod:`searchcore.execution.columns`) into a :class:`Hits`: the sorted global numbers
of the documents it matches and their scores. The scores are whoosh's, node by node:

==================  ==============================================================
node                documents, score
==================  ==============================================================
Term                its postings; BM25 (whoosh's ``BM25F`` scorer: one field) x boost
CombinedTerm        the union over fields; BM25F (tf~ combined, saturated once)
Phrase              positions within ``slop``; the sum of its words' Term scores
CombinedPhrase      the union over fields; BM25F of the phrase counts (spans)
LanguageDocs        the articles of some languages (via ``language``); 0
And                 intersection; the sum of the parts
Or                  union; the sum of the parts that match
AndNot              ``a`` without ``b``; ``a``'s score
AndMaybe            ``a``; plus ``b``'s score where ``b`` matches too
Not (in Or)         every live document ``q`` misses; 1.0
Every               every live document; ``boost`` (with a field named: those with a
                    term in it; 1.0, as whoosh)
DateRange           the ``published`` column in range; ``boost`` (a constant)
Prefix              the union of its words' postings, per segment; ``boost`` (the
                    parser's constant-score prefix, its words charged to the budget)
WeightedFuzzyTerm   the Or of its expansions, each boosted by similarity and
                    frequency over the whole collection (``rewrite``)
==================  ==============================================================

Not yet here (whoosh's scores for it depend on the index size and the number of
expansions per segment): ``Wildcard``. Anything else raises :class:`Unsupported` and the engine asks whoosh; the equivalence
tests (tests/test_executor.py) compare every form above against whoosh's matchers.
Scores agree to ~1e-15 (sums are added in another order). The order of the results
is not made here: :func:`searchcore.execution.search.rank` sorts by score or date,
ties by article id (:mod:`searchcore.execution.order`).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby
from typing import Any, Callable

import numpy as np
from whoosh import query as wq

from searchcore.distinct import distinct
from searchcore.execution import blobs, runs
from searchcore.execution.columns import NO_DATE, DocColumns, columns_for
from searchcore.execution.postings import segment_postings, strictly_ascending
from searchcore.execution.stats import local_stats
from searchcore.query import budget
from searchcore.query.alternatives import LanguageDocs
from searchcore.query.fuzzy import WeightedFuzzyTerm
from searchcore.query.parser import FieldPresent, FuzzyTerm, Prefix
from searchcore.scoring.bm25f import CombinedPhrase, CombinedTerm, combined_doc_frequency, saturate
from searchcore.whoosh_boundary.segments import field_b, leaf_readers

#: whoosh's longs count microseconds from 0001-01-01; the columns from 1970-01-01.
_EPOCH_FROM_MIN_US = 62135596800 * 1_000_000
#: Query nodes evaluated between two looks at the search's deadline.
CHECK_NODES = 32
#: Phrase positions are matched as ``doc << 32 | position`` keys.
_SHIFT = np.int64(32)


_UNSEEN = object()


class Unsupported(Exception):
    """A query form the executor does not run (yet); whoosh's matchers answer it."""


@dataclass(frozen=True)
class Hits:
    """Sorted unique global document numbers and their scores."""

    docs: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return len(self.docs)


def _empty() -> Hits:
    return Hits(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64))


def _const(docs: np.ndarray, score: float) -> Hits:
    return Hits(docs, np.full(len(docs), float(score)))


class Executor:
    """Evaluates whoosh query trees over one searcher's side arrays.

    ``stats``: the collection statistics to score with (``N``, document frequencies,
    average field lengths; :class:`searchcore.scoring.stats.CollectionStats`). By
    default the searcher's own (:func:`searchcore.execution.stats.local_stats`), or
    the collection's when the searcher carries them (a shard's
    :class:`~searchcore.scoring.stats.StatsSearcher`).
    """

    def __init__(self, searcher: Any, weighting: Any, stats: Any = None) -> None:
        if not getattr(weighting, "combine_fields", False):
            raise Unsupported("per-field sum scoring")
        self.searcher = searcher
        self.weighting = weighting
        #: Document count, frequencies and field lengths the scores use: the
        #: collection's when given or carried by the searcher (a shard's
        #: StatsSearcher), else the index's own from the side postings.
        given = stats or getattr(searcher, "collection_stats", None)
        self.stats = given or local_stats(searcher)
        #: Scoring with the index's own statistics: frequencies come from the lists.
        self._own_stats = given is None
        self.schema = searcher.schema
        self.columns: DocColumns = columns_for(searcher)
        # Runs of segments merged at build time are searched as one (execution.runs).
        leaves = runs.leaves(searcher)
        self.leaves = [(leaf.postings, leaf.offset) for leaf in leaves]
        #: Each leaf's block bounds by its first document number (empty leaves left out).
        self.blocks_at = {leaf.offset: leaf.blocks for leaf in leaves if leaf.postings.doc_count}
        self.doc_count = searcher.doc_count_all()
        self.k1 = float(weighting.K1)
        self._live = None
        self._fields: dict[str, Any] = {}
        #: The budget of the search in progress (its deadline), if any; looked at
        #: every CHECK_NODES nodes evaluated, as whoosh's collectors look every 1,024
        #: matches (a few words never fail, an OR of thousands stops in time).
        self._spend = budget.current()
        self._evaluated = 0
        self._located: dict[tuple[str, bytes], list[tuple[Any, int, int, int]]] = {}
        self._postings: dict[tuple[str, bytes], tuple[np.ndarray, np.ndarray]] = {}
        #: Where each located segment's postings end in :meth:`postings`' arrays.
        self._ends: dict[tuple[str, bytes], list[int]] = {}
        self._parts: dict[int, tuple[Any, tuple[list[tuple[str, bytes, float]], float]]] = {}
        #: Per query: each field's length norms, each term's postings count.
        self._norms: dict[str, np.ndarray] = {}
        #: Each term's dictionary head (:func:`searchcore.execution.blobs.head`).
        self._heads: dict[bytes, Any] = {}
        #: Document numbers read without frequencies (:meth:`doc_numbers`).
        self._docs: dict[tuple[str, bytes], np.ndarray] = {}
        self._dfs: dict[tuple[str, bytes], int] = {}
        #: Are any lists read from files (:meth:`will_read`)? Looked at once.
        self._reads_files: bool | None = None

    # -- shared pieces ----------------------------------------------------------------
    @property
    def live_docs(self) -> np.ndarray:
        if self._live is None:
            self._live = np.flatnonzero(self.columns.live).astype(np.int64)
        return self._live

    def _btext(self, fieldname: str, text: Any) -> bytes | None:
        field = self._fields.get(fieldname, _UNSEEN)
        if field is _UNSEEN:      # whoosh's Schema lookups are Python calls: once each
            field = self._fields[fieldname] = \
                self.schema[fieldname] if fieldname in self.schema else None
        if field is None:
            return None
        try:
            return field.to_bytes(text)
        except ValueError:
            return None

    def located(self, fieldname: str, btext: bytes) -> list[tuple[Any, int, int, int]]:
        """``(field postings, term id, offset, segment size)`` per segment holding the
        term; looked up once per query (a query asks for a word several times)."""
        key = (fieldname, btext)
        found = self._located.get(key)
        if found is None:
            found = []
            head = self._heads.get(btext)       # the same word in another field: its head
            if head is None:
                head = self._heads[btext] = blobs.head(btext)
            for sp, offset in self.leaves:
                fp = sp.field(fieldname)
                if fp is not None:
                    i = fp.find(btext, head)
                    if i >= 0:
                        found.append((fp, i, offset, sp.doc_count))
            self._located[key] = found
        return found

    def postings(self, fieldname: str, btext: bytes) -> tuple[np.ndarray, np.ndarray]:
        """Global document numbers (int64, deleted ones included) and frequencies."""
        key = (fieldname, btext)
        found = self._postings.get(key)
        if found is None:
            docs, tf = self._read_lists(key, True)
            found = self._postings[key] = docs, tf          # type: ignore[assignment]
        return found

    def will_read(self, keys: list[tuple[str, bytes]], frequencies: bool = True) -> None:
        """Announce the lists of ``keys`` (field, term bytes) that :meth:`postings` (or,
        without ``frequencies``, :meth:`doc_numbers`) will read, before it reads any
        (:meth:`FieldPostings.will_need`): from a cold page cache they are then read
        together, not one disk wait after another. Only where lists are read from
        files (not a small, mapped index)."""
        if self._reads_files is None:
            self._reads_files = not all(sp.small_index() for sp, _ in self.leaves)
        if not self._reads_files or len(keys) < 2:
            return
        for key in keys:
            if key not in self._postings and (frequencies or key not in self._docs):
                for fp, i, _, _ in self.located(*key):
                    fp.will_need(i, frequencies)

    def doc_numbers(self, fieldname: str, btext: bytes) -> np.ndarray:
        """:meth:`postings`' document numbers, without reading the frequencies when
        they are not read already (a phrase's words: a third of what it read)."""
        key = (fieldname, btext)
        found = self._postings.get(key)
        if found is not None:
            return found[0]
        docs = self._docs.get(key)
        if docs is None:
            docs = self._docs[key] = self._read_lists(key, False)[0]
        return docs

    def _read_lists(self, key: tuple[str, bytes], frequencies: bool
                    ) -> tuple[np.ndarray, np.ndarray | None]:
        located = self.located(*key)
        if len(located) == 1:                  # one segment holds it: no concatenation
            fp, i, offset, _ = located[0]
            if frequencies:
                d, tf = fp.postings(i, _F64)
            else:
                d, tf = fp.doc_numbers(i), None
            d = d.astype(np.int64)
            if offset:
                d += offset
            self._ends[key] = [0, len(d)]
            # A file's frequencies come widened (a fresh array: no file stores float64);
            # arrays made here are float32, widened now.
            return d, (tf if tf is None or tf.dtype == _F64 else tf.astype(_F64))
        if not located:
            self._ends[key] = [0]
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return self._joined(key, located, frequencies)

    def _joined(self, key: tuple[str, bytes], located: list[tuple[Any, int, int, int]],
                frequencies: bool) -> tuple[np.ndarray, np.ndarray | None]:
        """The segments' lists of one term joined into global numbers: read unchecked,
        joined, then checked at once (each list's first and last number within its
        segment, the whole strictly ascending: so is then each list). When that
        fails, each list is read again through its checked
        :meth:`FieldPostings.postings`, which repairs it. Half the array operations
        of checking and widening list by list (a word is a list per field and
        segment: twelve for an OR of three words on Reuters)."""
        raw = [fp.unchecked(i, frequencies) for fp, i, _, _ in located]
        if all(r is not None and _ends_within(r[0], size)
               for r, (_, _, _, size) in zip(raw, located)):
            d, tf = self._join(key, located, raw)        # type: ignore[arg-type]
            if len(d) < 2 or strictly_ascending(d):
                return d, tf
        return self._join(key, located, [fp.postings(i) if frequencies else (fp.doc_numbers(i), None)
                                         for fp, i, _, _ in located])

    def _join(self, key: tuple[str, bytes], located: list[tuple[Any, int, int, int]],
              lists: list[tuple[np.ndarray, np.ndarray | None]]
              ) -> tuple[np.ndarray, np.ndarray | None]:
        """One list per segment (int32, float32) as one (int64 global numbers, float64),
        widened as they are joined; where each segment's part ends kept in ``_ends``."""
        docs, tf, self._ends[key] = _concatenated(lists, [offset for _, _, offset, _ in located])
        return docs, tf

    def postings_among(self, fieldname: str, btext: bytes,
                       docs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Postings of ``btext`` (as :meth:`postings` gives them) that include every
        posting of ``docs`` (sorted global numbers), others possibly too.

        The whole lists when they are read already; else, of a segment's list with
        block bounds (:mod:`searchcore.execution.blocks`), only the blocks whose
        document range holds one of ``docs`` when that is at most half the list:
        scoring a few documents (the copies of a collapsed page's stories, an AND's
        rare word's matches) reads a few blocks of a common word, not its list. Each
        posting is the list's own, so every score is the same either way. Not kept:
        a later whole read is still whole.
        """
        if (fieldname, btext) in self._postings:
            return self.postings(fieldname, btext)
        located = self.located(fieldname, btext)
        runs = [self._block_runs(fieldname, fp, i, offset, size, docs)
                for fp, i, offset, size in located]
        if all(r is None for r in runs):
            return self.postings(fieldname, btext)
        found_docs, found_tfs = [], []
        for (fp, i, offset, _), spans in zip(located, runs):
            pieces = None
            if spans is not None:
                pieces = [fp.postings_run(i, lo, hi) for lo, hi in spans]
                if any(p is None for p in pieces):
                    pieces = None                  # a block that does not fit: read whole
            if pieces is None:
                pieces = [fp.postings(i)]
            for d, tf in pieces:               # type: ignore[misc]
                found_docs.append(d.astype(np.int64) + offset)
                found_tfs.append(tf.astype(np.float64))
        if not found_docs:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(found_docs), np.concatenate(found_tfs)

    def _block_runs(self, fieldname: str, fp: Any, i: int, offset: int, size: int,
                    docs: np.ndarray) -> list[tuple[int, int]] | None:
        """``[lo, hi)`` posting ranges (adjacent blocks joined) of one segment's list
        of term ``i`` that can hold ``docs``, or None to read the list whole (it has
        no blocks, or more than half of them are wanted)."""
        sb = self.blocks_at.get(offset)
        if sb is None:
            return None
        df = fp.df(i)
        if df < sb.min_df:                  # a short list has no blocks: read it whole
            return None
        fb = sb.field(fieldname, len(fp))
        rows = fb.of_term(i, df) if fb is not None else None
        if rows is None:
            return None
        lo_doc, hi_doc = np.searchsorted(docs, (offset, offset + size))
        wanted = np.unique(np.searchsorted(rows[:, 2], docs[lo_doc:hi_doc] - offset, "left"))
        wanted = wanted[wanted < len(rows)]
        if 2 * len(wanted) > len(rows):
            return None
        if not len(wanted):
            return []
        starts = np.flatnonzero(np.diff(wanted, prepend=-2) != 1)
        ends = np.append(starts[1:], len(wanted)) - 1
        block = fb.block
        return [(int(wanted[a]) * block, min((int(wanted[b]) + 1) * block, df))
                for a, b in zip(starts.tolist(), ends.tolist())]

    def positions(self, fieldname: str, btext: bytes, docs: np.ndarray) -> np.ndarray:
        """``doc << 32 | position`` keys of ``btext`` in ``docs`` (sorted global numbers), sorted."""
        keys = []
        # Each segment's postings as the query read them (a slice of the global ones):
        # not read again here.
        every = self.doc_numbers(fieldname, btext)
        ends = self._ends[(fieldname, btext)]
        bounds = np.searchsorted(docs, [offset for _, _, offset, _ in
                                        self.located(fieldname, btext)] + [self.doc_count])
        for j, (fp, i, offset, size) in enumerate(self.located(fieldname, btext)):
            if fp.pos is None or bounds[j] == bounds[j + 1]:
                continue                       # no positions, or no candidate here
            d = every[ends[j]:ends[j + 1]]
            # The segment's share of ``docs`` looked up in its list (usually far fewer).
            wanted = _positions_in(d, docs[bounds[j]:bounds[j + 1]])
            if not len(wanted):
                continue
            pos, counts = fp.positions_among(i, wanted)
            owner = np.repeat(d[wanted], counts)
            keys.append((owner << _SHIFT) | pos.astype(np.int64))
        return np.concatenate(keys) if keys else np.zeros(0, dtype=np.int64)

    def _length_norm(self, fieldname: str) -> np.ndarray:
        """``1 - b + b * length / avg`` per document of ``fieldname`` (kept on the columns;
        looked up there once a query)."""
        norm = self._norms.get(fieldname)
        if norm is None:
            b = field_b(self.weighting, fieldname)
            norm = self._norms[fieldname] = self.columns.length_norm(
                fieldname, b, self.stats.avg_field_length(fieldname) or 1.0)
        return norm

    def _norm_tf(self, fieldname: str, docs: np.ndarray, tf: np.ndarray) -> np.ndarray:
        return tf / self._length_norm(fieldname)[docs]

    def _doc_frequency(self, fieldname: str, btext: bytes) -> int:
        """The document frequency the scores use: with the index's own statistics, the
        sum over the lists :meth:`located` found (the lookup local_stats would make
        again); else the given statistics' (a shard's: the collection's)."""
        if self._own_stats:
            return self._listed_df(fieldname, btext)
        return int(self.stats.doc_frequency(fieldname, btext))

    def _listed_df(self, fieldname: str, btext: bytes) -> int:
        """How many postings the term's lists hold together (all segments), once a query."""
        key = (fieldname, btext)
        df = self._dfs.get(key)
        if df is None:
            df = self._dfs[key] = sum(fp.df(i) for fp, i, _, _ in self.located(fieldname, btext))
        return df

    # -- evaluation -------------------------------------------------------------------
    def run(self, q: Any, scored: bool = True) -> Hits:
        """Every live document ``q`` matches, with whoosh's score for it."""
        hits = self.eval(q, scored)
        if not self.columns.all_live:
            keep = self.columns.live[hits.docs]
            hits = Hits(hits.docs[keep], hits.scores[keep])
        return hits

    def _count_node(self) -> None:
        """One more query node evaluated: every CHECK_NODES, a look at the deadline."""
        self._evaluated += 1
        if self._spend is not None and self._evaluated % CHECK_NODES == 0:
            self._spend.check_time()

    def eval(self, q: Any, scored: bool = True) -> Hits:
        self._count_node()
        kind = type(q)
        method = _DISPATCH.get(kind)
        if method is None:
            for base, fn in _DISPATCH.items():
                if kind.__name__ == base.__name__ and issubclass(kind, base):
                    method = fn
                    break
        if method is None:
            raise Unsupported(kind.__name__)
        return method(self, q, scored)

    def term(self, q: wq.Term, scored: bool, within: np.ndarray | None = None) -> Hits:
        """``within``: only these documents (sorted global numbers; :mod:`.topk` scores
        a clause on the candidates alone, each score as the whole list gives it)."""
        name = q.fieldname
        btext = self._btext(name, q.text)
        if btext is None:
            return _empty()
        docs, tf = self.postings(name, btext) if within is None else \
            self.postings_among(name, btext, within)
        if within is not None:
            keep = _positions_in(docs, within)
            docs, tf = docs[keep], tf[keep]
        if not len(docs):
            return _empty()
        if not scored:
            return Hits(docs, tf)                      # whoosh: the weight as the score
        if not self.schema[name].scorable:
            scores = tf                                # whoosh's WeightScorer
        else:
            idf = self.weighting.idf(self.stats, name, btext)
            norm = self._length_norm(name)[docs]         # (1 - b) + b * length / avg
            k1 = self.k1
            # whoosh.scoring.bm25, term for term
            scores = idf * ((tf * (k1 + 1)) / (tf + k1 * norm))
        if q.boost != 1.0:
            scores = scores * q.boost
        return Hits(docs, scores)

    def term_bound(self, q: wq.Term) -> float | None:
        """The most ``q`` can score in any document (None: no bound known): BM25's
        ``tf / (tf + k1 * norm)`` stays below 1."""
        name = q.fieldname
        btext = self._btext(name, q.text)
        if btext is None or not self.schema[name].scorable or q.boost < 0:
            return None if btext is not None else 0.0
        return float(self.weighting.idf(self.stats, name, btext)) * (self.k1 + 1) * q.boost

    def _combined_parts(self, q: CombinedTerm) -> tuple[list[tuple[str, bytes, float]], float]:
        """``(field, term bytes, field boost)`` of the fields a CombinedTerm scores in,
        and its weight (combined idf x boost); worked out once per query node (a
        MaxScore OR asks for its ceiling, then scores it)."""
        kept = self._parts.get(id(q))
        if kept is not None and kept[0] is q:      # the node is held: its id is its own
            return kept[1]
        found = self._combined_parts_of(q)
        self._parts[id(q)] = (q, found)
        return found

    def _combined_parts_of(self, q: CombinedTerm) -> tuple[list[tuple[str, bytes, float]], float]:
        fields: list[tuple[str, bytes, float]] = []
        frequencies: list[tuple[bytes, int]] = []
        for term in q.subqueries:
            if term.boost <= 0:
                continue
            name = term.fieldname
            btext = self._btext(name, term.text)        # None: no such field, or no term
            if btext is None:
                continue
            frequencies.append((btext, self._doc_frequency(name, btext)))
            fields.append((name, btext, float(term.boost)))
        weight = self.weighting.combined_idf(self.stats.doc_count_all(),
                                             combined_doc_frequency(frequencies)) * q.boost
        return fields, weight

    def combined_term(self, q: CombinedTerm, scored: bool,
                      within: np.ndarray | None = None) -> Hits:
        fields, weight = self._combined_parts(q)
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        if within is None:
            self.will_read([(name, btext) for name, btext, _ in fields])
        for name, btext, boost in fields:
            docs, tf = self.postings(name, btext) if within is None else \
                self.postings_among(name, btext, within)
            if within is not None:
                keep = _positions_in(docs, within)
                docs, tf = docs[keep], tf[keep]
            if len(docs):
                norm_tf = self._norm_tf(name, docs, tf)
                # x 1.0 is exact: skipped (the body's weight, mostly).
                parts.append((docs, norm_tf if boost == 1.0 else boost * norm_tf))
        if not parts:
            return _empty()
        docs, tf = _sum_union(parts, self.doc_count)
        return Hits(docs, saturate(weight, tf, self.k1))

    def combined_bound(self, q: CombinedTerm) -> float | None:
        """The most ``q`` can score: ``saturate(w, tf~) < w * (k1 + 1)``."""
        fields, weight = self._combined_parts(q)
        if not fields:
            return 0.0
        return None if weight < 0 else float(weight) * (self.k1 + 1)

    def phrase(self, q: wq.Phrase, scored: bool) -> Hits:
        docs, counts, word_hits = self._phrase_counts(q.fieldname, q.words, q.slop)
        if not len(docs):
            return _empty()
        scores = np.zeros(len(docs))
        for hits in word_hits:                      # the sum of the words' Term scores
            scores += hits.scores[np.searchsorted(hits.docs, docs)]
        if q.boost != 1.0:
            scores = scores * q.boost
        return Hits(docs, scores)

    def _phrase_counts(self, fieldname: str, words: Any, slop: int,
                       scored: bool = True) -> tuple[np.ndarray, np.ndarray, list[Hits]]:
        """Documents with the phrase in ``fieldname``, how many spans each, and each
        word's Term hits (for whoosh's phrase score)."""
        field = self.schema[fieldname] if fieldname in self.schema else None
        if field is None or not words:
            return np.zeros(0, np.int64), np.zeros(0), []
        if not field.format or not field.format.supports("positions"):
            raise Unsupported("phrase over a field without positions")
        btexts = []
        for word in words:
            btext = self._btext(fieldname, word)
            if btext is None:
                return np.zeros(0, np.int64), np.zeros(0), []
            btexts.append(btext)
        word_hits = [self.term(wq.Term(fieldname, btext.decode("utf-8")), True) for btext in btexts] \
            if scored else []
        # Candidates: documents with every word (deleted ones are dropped at the end).
        docs = None
        for btext in btexts:
            d = self.doc_numbers(fieldname, btext)
            docs = d if docs is None else _intersect(docs, d)[0]
            if not len(docs):
                return np.zeros(0, np.int64), np.zeros(0), []
        assert docs is not None
        # whoosh's SpanNear2 (ordered, mindist 1): a span (start, end) grows by a next
        # word at end + 1 .. end + slop; distinct (start, end) pairs are the count.
        first = self.positions(fieldname, btexts[0], docs)
        starts, ends = first, first
        for btext in btexts[1:]:
            nxt = self.positions(fieldname, btext, docs)      # sorted, unique
            new_starts, new_ends = [], []
            for gap in range(1, max(int(slop), 0) + 1):
                cand = ends + gap
                ok = _member(cand, nxt)
                new_starts.append(starts[ok])
                new_ends.append(cand[ok])
            if not new_starts:
                return np.zeros(0, np.int64), np.zeros(0), []
            starts = np.concatenate(new_starts)
            ends = np.concatenate(new_ends)
            if not len(starts):
                return np.zeros(0, np.int64), np.zeros(0), []
            if len(new_starts) > 1:
                # Distinct (start, end) pairs, in start order (a sort, not unique(axis=1)).
                order = np.lexsort((ends, starts))
                starts, ends = starts[order], ends[order]
                keep = np.ones(len(starts), dtype=bool)
                keep[1:] = (np.diff(starts) != 0) | (np.diff(ends) != 0)
                starts, ends = starts[keep], ends[keep]
        owners = starts >> _SHIFT
        found, counts = _runs(owners)
        return found, counts.astype(np.float64), word_hits

    def combined_phrase(self, q: CombinedPhrase, scored: bool) -> Hits:
        # Alternatives in several languages have as many words (bm25f.CombinedPhrase).
        frequencies: list[list[tuple[bytes, int]]] = [[] for _ in q.subqueries[0].words]
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        # Every field's words' document numbers announced before the first is read.
        self.will_read([(p.fieldname, b) for p in q.subqueries if p.fieldname in self.schema
                        for b in (self._btext(p.fieldname, w) for w in p.words)
                        if b is not None], frequencies=False)
        for phrase in q.subqueries:
            name = phrase.fieldname
            if name not in self.schema or phrase.boost <= 0:
                continue
            btexts = [self._btext(name, w) for w in phrase.words]
            if any(b is None for b in btexts):
                continue
            for i, btext in enumerate(btexts):
                frequencies[i].append((btext, self._doc_frequency(name, btext)))  # type: ignore[arg-type]
            docs, counts, _ = self._phrase_counts(name, phrase.words, phrase.slop, scored=False)
            if len(docs):
                parts.append((docs, float(phrase.boost) * self._norm_tf(name, docs, counts)))
        if not parts:
            return _empty()
        docs, tf = _sum_union(parts, self.doc_count)
        idf = sum(self.weighting.combined_idf(self.stats.doc_count_all(), combined_doc_frequency(position))
                  for position in frequencies)
        return Hits(docs, saturate(idf * q.boost, tf, self.k1))

    def and_(self, q: wq.And, scored: bool) -> Hits:
        """The intersection, the parts' scores added in the query's order.

        Parts that can be scored on given documents alone (words, ORs of words, date
        ranges: :meth:`within`) are taken cheapest first, each only on the documents
        every part before it matched, so a common word of an AND is looked up on the
        rare word's documents instead of scored over its whole list. Each document's
        score is the same sum either way (the parts' values are the whole lists'),
        and the total stays exact.
        """
        subs = list(q.subqueries)
        if not subs:
            return _empty()
        if len(subs) == 1:
            return self.eval(subs[0], scored)
        costs = [self._cost(sub) for sub in subs]
        order = sorted(range(len(subs)), key=lambda i: costs[i])
        found: dict[int, Hits] = {}
        docs: np.ndarray | None = None
        for i in order:
            if docs is not None and not len(docs):
                return _empty()
            hits = None if docs is None or costs[i] < 0 else self.within(subs[i], scored, docs)
            if hits is None:
                hits = self.eval(subs[i], scored)
                if docs is not None:
                    hits = _restricted(hits, docs)
            found[i] = hits
            docs = hits.docs
        assert docs is not None
        scores = None
        for i in range(len(subs)):                   # in the query's order, as whoosh adds
            part = found[i]
            values = part.scores[np.searchsorted(part.docs, docs)] if len(part) != len(docs) \
                else part.scores
            scores = values if scores is None else scores + values
        return _boosted(Hits(docs, scores), q.boost)

    def _cost(self, q: Any) -> float:
        """How many postings scoring ``q`` reads; -1 for a part :meth:`within` cannot
        restrict (evaluated whole, first)."""
        kind = type(q)
        if kind is wq.Term:
            btext = self._btext(q.fieldname, q.text)
            return 0.0 if btext is None else float(self._listed_df(q.fieldname, btext))
        if kind is CombinedTerm:           # its scored lists (the parts, kept for scoring)
            return float(sum(self._listed_df(name, btext)
                             for name, btext, _ in self._combined_parts(q)[0]))
        if kind in (wq.DateRange, wq.NumericRange) and q.fieldname == "published" \
                and q.constantscore:
            return float(self.doc_count)
        if kind is wq.Or and not getattr(q, "scale", None) and not getattr(q, "minmatch", 0):
            costs = [self._cost(sub) for sub in q.subqueries]
            return -1.0 if any(c < 0 for c in costs) else sum(costs)
        return -1.0

    def within(self, q: Any, scored: bool, docs: np.ndarray) -> Hits | None:
        """``q``'s hits among ``docs`` (sorted global numbers), each scored as the
        whole evaluation scores it; None for a form this does not restrict."""
        kind = type(q)
        if kind is wq.Term:
            return self.term(q, scored, within=docs)
        if kind is CombinedTerm:
            return self.combined_term(q, scored, within=docs)
        if kind in (wq.DateRange, wq.NumericRange) and q.fieldname == "published" \
                and q.constantscore:
            return self.date_range(q, scored, within=docs)
        if kind is wq.Or and self._cost(q) >= 0:
            subs = list(q.subqueries)
            if not subs:
                return _empty()
            if len(subs) == 1:
                return self.within(subs[0], scored, docs)
            parts = [self.within(sub, scored, docs) for sub in subs]
            union, scores = _sum_union([(h.docs, h.scores) for h in parts if h is not None],
                                       self.doc_count)
            return _boosted(Hits(union, scores), q.boost)
        return None

    def or_(self, q: wq.Or, scored: bool) -> Hits:
        subs = list(q.subqueries)
        if not subs:
            return _empty()
        if len(subs) == 1:
            return self.eval(subs[0], scored)
        if getattr(q, "scale", None) or getattr(q, "minmatch", 0):
            raise Unsupported("Or with scale or minmatch")
        if scored and all(type(sub) is CombinedTerm for sub in subs):
            rows = self.word_rows(subs)
            if rows is not None:
                docs, scores = rows
                total = scores[0]
                for row in scores[1:]:               # in the query's order, as whoosh adds
                    total = total + row
                return _boosted(Hits(docs, total), q.boost)
        parts = [self.eval(sub, scored) for sub in subs]
        docs, scores = _sum_union([(h.docs, h.scores) for h in parts], self.doc_count)
        return _boosted(Hits(docs, scores), q.boost)

    def word_rows(self, words: list[CombinedTerm]) -> tuple[np.ndarray, np.ndarray] | None:
        """The documents any of ``words`` matches (sorted global numbers) and a row per
        word of its BM25F score in each (0 where it does not match); None when the
        rows would be too large (:data:`ROWS_MAX`).

        An OR of words, evaluated word by word, costs a union per word (its title and
        body lists) and one more of the words: some twenty array operations each,
        on lists of a few hundred postings (Reuters), where each operation's fixed
        cost is most of its cost. Here every list of every word is placed at once:
        one stable sort of all their documents gives the union and each posting's
        column; each word's fields are added column-wise and saturated together.
        The values are the word-by-word path's, bit for bit: the same ``boost *
        (tf / norm)`` per posting, the fields added in the word's order (``x + 0``
        is ``x``), the same saturation, and a document a word misses scores 0 in
        its row (``saturate(w, 0)`` is 0), so the rows added in the query's order
        give the same sums as the unions did.
        """
        weights = np.empty(len(words))
        every_field = []
        for w, q in enumerate(words):
            self._count_node()                   # each word a node, as eval counts them
            fields, weights[w] = self._combined_parts(q)
            every_field.append(fields)
        self.will_read([(name, btext) for fields in every_field for name, btext, _ in fields])
        pieces = self._word_pieces(every_field, checked=False)
        joined = _joined_pieces(pieces, check=True) if pieces is not None else None
        if joined is None:                       # a list failed: each read (repaired) alone
            pieces = self._word_pieces(every_field, checked=True)
            joined = _joined_pieces(pieces, check=False)     # type: ignore[arg-type]
        if not pieces or joined is None:
            return np.zeros(0, dtype=np.int64), np.zeros((len(words), 0))
        every, value, lengths = joined
        if len(every) * len(words) > ROWS_MAX:
            return None
        # Each posting's value: ``boost * (tf / norm)``, a run of pieces of one field
        # and boost at a time (they are ordered by the field's place in its word).
        start = 0
        for (name, boost), run in groupby(pieces, key=lambda p: (p[2], p[3])):  # type: ignore[union-attr]
            end = start + sum(len(p[4]) for p in run)
            part = value[start:end]
            part /= self._length_norm(name)[every[start:end]]
            if boost != 1.0:                     # x 1.0 is exact: skipped, as per word
                part *= boost
            start = end
        union, cells = _places(every, self.doc_count)   # the union, each posting's column
        width = len(union)
        # Each posting's cell: its word's row, its document's column.
        cells += np.repeat(np.array([p[1] * width for p in pieces], dtype=np.int64), lengths)
        combined = np.zeros((len(words), width))
        flat = combined.ravel()
        # The k-th field of every word placed in one step (its cells are distinct: a
        # list a row, a segment's documents its own), the fields in the word's order.
        start = 0
        for k, run in groupby(pieces, key=lambda p: p[0]):     # type: ignore[union-attr]
            end = start + sum(len(p[4]) for p in run)
            if k:
                flat[cells[start:end]] += value[start:end]
            else:
                flat[cells[start:end]] = value[start:end]
            start = end
        scores = saturate(weights[:, None], combined, self.k1)
        seen = {p[1] for p in pieces}            # type: ignore[union-attr]
        if len(seen) < len(words):               # a word with no postings scores nothing
            scores[[w for w in range(len(words)) if w not in seen]] = 0.0
        return union, scores

    def _word_pieces(self, every_field: list[list[tuple[str, bytes, float]]], checked: bool
                     ) -> list[tuple[int, int, str, float, np.ndarray, np.ndarray, int]] | None:
        """The non-empty lists of :meth:`word_rows`' words as ``(field's place in its
        word, word, field, boost, document numbers, frequencies, segment offset)``,
        ordered by field place, then word (then segment).

        Unchecked (``checked=False``): each segment's slices as stored, only their
        offsets and end numbers checked (None when one fails); :func:`_joined_pieces`
        checks the order of all of them at once. Checked: each term's list through
        :meth:`postings`, which repairs a damaged one (global numbers, offset 0)."""
        pieces = []
        for w, fields in enumerate(every_field):
            for k, (name, btext, boost) in enumerate(fields):
                if checked:
                    docs, tf = self.postings(name, btext)
                    if len(docs):
                        pieces.append((k, w, name, boost, docs, tf, 0))
                    continue
                for fp, i, offset, size in self.located(name, btext):
                    raw = fp.unchecked(i, tf_type=None)
                    if raw is None:
                        return None
                    docs, tf = raw
                    if not _ends_within(docs, size):
                        return None
                    if len(docs):
                        pieces.append((k, w, name, boost, docs, tf, offset))
        pieces.sort(key=lambda p: p[0])              # stable: word, then segment, kept
        return pieces                                # type: ignore[return-value]

    def and_not(self, q: wq.AndNot, scored: bool) -> Hits:
        a = self.eval(q.a, scored)
        if not len(a):
            return a
        b = self.eval(q.b, False)
        keep = ~_member(a.docs, b.docs)
        return Hits(a.docs[keep], a.scores[keep])

    def and_maybe(self, q: wq.AndMaybe, scored: bool) -> Hits:
        a = self.eval(q.a, scored)
        if not len(a):
            return a
        b = self.eval(q.b, scored)
        _, ia, ib = _intersect(a.docs, b.docs)
        scores = a.scores.copy()
        scores[ia] += b.scores[ib]
        return Hits(a.docs, scores)

    def not_(self, q: wq.Not, scored: bool) -> Hits:
        inner = self.eval(q.query, False)
        docs = self.live_docs
        docs = docs[~_member(docs, inner.docs)]
        return _const(docs, 1.0)

    def every(self, q: wq.Every, scored: bool) -> Hits:
        if q.fieldname in (None, "*"):
            return _const(self.live_docs, q.boost)
        if q.fieldname == "published":
            return _const(np.flatnonzero(self.columns.dated).astype(np.int64), 1.0)
        if q.fieldname not in self.schema:
            return _empty()
        parts = []
        for sp, offset in self.leaves:
            fp = sp.field(q.fieldname)
            if fp is not None and len(fp.docs):
                fp = fp.checked_whole()               # every posting list at once
                parts.append(distinct(fp.docs).astype(np.int64) + offset)
        docs = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
        return _const(docs, 1.0)

    def field_present(self, q: Any, scored: bool) -> Hits:
        """``FieldPresent`` (``title:*``, ``published:*``): a length or a date; ``boost``."""
        name = q.fieldname
        field = self.schema[name] if name in self.schema else None
        if field is not None and getattr(field, "scorable", False):
            present = self.columns.field_length(name) > 0
        elif name == "published":
            present = self.columns.dated.copy()
        else:
            return self.every(q, scored)
        return _const(np.flatnonzero(present & self.columns.live).astype(np.int64), q.boost)

    def language_docs(self, q: LanguageDocs, scored: bool) -> Hits:
        """Every article of some languages, score 0 (a clause's neutral side, see
        :mod:`searchcore.query.alternatives`)."""
        return _const(self.eval(q.child, False).docs, 0.0)

    def null(self, q: Any, scored: bool) -> Hits:
        return _empty()

    def fuzzy(self, q: WeightedFuzzyTerm, scored: bool) -> Hits:
        """``missle~``: the Or of its boosted expansions (:meth:`WeightedFuzzyTerm.rewrite`,
        the same query whoosh's matcher runs), evaluated here (whoosh's per-document
        union took 20 s for ``minister~`` at 1M articles)."""
        rewritten = q.rewrite(self.searcher)
        return _empty() if rewritten is None else self.eval(rewritten, scored)

    def prefix(self, q: Prefix, scored: bool) -> Hits:
        """``missil*``: every document with a word of the prefix, at ``boost`` (the
        parser's :class:`~searchcore.query.parser.Prefix` scores so too). Its words
        are the segment's side dictionary's prefix range, charged to the budget as
        its whoosh matcher charges them (the same limit fails the same searches);
        their postings come from the arrays (whoosh's matcher iterated every posting
        in Python: 1.2 s for ``co*`` on Reuters, 0.26 s here)."""
        prefix = self._btext(q.fieldname, q.text)
        if prefix is None:
            return _empty()
        parts = []
        # Segment by segment, not by runs: the budget charges a prefix's words per segment,
        # as whoosh's matcher does (the same limit fails the same searches).
        for reader, offset in leaf_readers(self.searcher):
            fp = segment_postings(reader).field(q.fieldname)
            if fp is None:
                continue
            lo, hi = fp.prefix_range(prefix)
            # The budget may keep only the commonest words (lenient): look each up.
            words = (fp.term(i) for i in range(lo, hi))
            for btext in q.expansions(reader, words, lambda w, fp=fp: fp.df(fp.find(w))):
                i = fp.find(btext)
                if i >= 0:
                    parts.append(fp.postings(i)[0].astype(np.int64) + offset)
        if not parts:
            return _empty()
        return _const(distinct(np.concatenate(parts)), q.boost)

    def date_range(self, q: wq.NumericRange, scored: bool,
                   within: np.ndarray | None = None) -> Hits:
        """``within``: only these documents (sorted global numbers): their dates are
        compared, not the whole column's (a month of an AND: the words' matches)."""
        if q.fieldname != "published" or not q.constantscore:
            raise Unsupported("numeric range on another field")
        us = self.columns.published_us
        if within is not None:
            us = us[within]
        ok = us != NO_DATE
        if q.start is not None:
            low = _to_epoch_us(q.start, self.schema["published"])
            ok &= (us > low) if q.startexcl else (us >= low)
        if q.end is not None:
            high = _to_epoch_us(q.end, self.schema["published"])
            ok &= (us < high) if q.endexcl else (us <= high)
        return _const(np.flatnonzero(ok).astype(np.int64) if within is None else within[ok],
                      q.boost)


def _to_epoch_us(value: Any, field: Any) -> int:
    """A range end as the ``published`` column counts (whoosh keeps its own longs)."""
    from datetime import datetime

    if isinstance(value, datetime):
        from whoosh.util.times import datetime_to_long

        return int(datetime_to_long(value)) - _EPOCH_FROM_MIN_US
    return int(value) - _EPOCH_FROM_MIN_US


#: Membership over a bool mask of every value (linear) instead of a binary search
#: (n log m) when the shorter side times this exceeds both sides' lengths plus
#: :data:`DENSE_BASE`: measured at 1M documents, two common words' lists (50,000 in
#: 100,000) 195 us against 1,427; 500 in 100,000 stays a search (25 us against 118).
DENSE_MEMBER = 24
DENSE_BASE = 8192
#: ...and only over values below this (document numbers, not position keys).
DENSE_MASK_MAX = 1 << 24


def _dense_mask(short: np.ndarray, long: np.ndarray,
                marked: np.ndarray | None = None) -> np.ndarray | None:
    """A bool mask over ``0 ..`` the largest value, True at the values of ``marked``
    (default ``long``), when that beats a binary search of ``short`` in sorted
    ``long`` (both non-empty); else None."""
    if len(short) * DENSE_MEMBER <= len(short) + len(long) + DENSE_BASE:
        return None
    top = max(int(short.max()), int(long[-1]))
    if top >= DENSE_MASK_MAX or int(short.min()) < 0 or int(long[0]) < 0:
        return None
    mask = np.zeros(top + 1, dtype=bool)
    mask[long if marked is None else marked] = True
    return mask


def _member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """``np.isin(values, sorted_set)`` for a sorted ``sorted_set``: by binary search,
    or over a mask of the values (:func:`_dense_mask`)."""
    if not len(sorted_set) or not len(values):
        return np.zeros(len(values), dtype=bool)
    mask = _dense_mask(values, sorted_set)
    if mask is not None:
        return mask[values]
    at = np.searchsorted(sorted_set, values)
    at[at == len(sorted_set)] = 0
    return sorted_set[at] == values


def _positions_in(docs: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Where the members of sorted ``wanted`` are in sorted ``docs`` (ascending): the
    shorter array is binary-searched in the longer, or both are looked up in a mask
    (:func:`_dense_mask`)."""
    if not len(wanted) or not len(docs):
        return np.zeros(0, dtype=np.int64)
    if len(wanted) < len(docs):
        mask = _dense_mask(wanted, docs, marked=wanted)
        if mask is not None:
            return np.flatnonzero(mask[docs])
        at = np.searchsorted(docs, wanted)
        inside = at < len(docs)
        at = at[inside]
        return at[docs[at] == wanted[inside]]
    return np.flatnonzero(_member(docs, wanted))


def _restricted(hits: Hits, docs: np.ndarray) -> Hits:
    """``hits`` on the members of sorted ``docs`` only."""
    keep = _positions_in(hits.docs, docs)
    return Hits(hits.docs[keep], hits.scores[keep])


def _boosted(hits: Hits, boost: float) -> Hits:
    return hits if boost == 1.0 else Hits(hits.docs, hits.scores * boost)


#: :meth:`Executor.word_rows` makes rows of at most this many values (postings
#: times words: a row is as wide as the union); above it an OR is evaluated
#: word by word.
ROWS_MAX = 1 << 22


#: A union of more postings than ``doc_count / DENSE_UNION`` adds into one array over
#: every document (linear) instead of sorting the postings (n log n).
DENSE_UNION = 16


def _sum_union(parts: list[tuple[np.ndarray, np.ndarray]],
               doc_count: int) -> tuple[np.ndarray, np.ndarray]:
    """Union of sorted document arrays, adding the values of each document.

    Every way adds the values of a document in the order of ``parts`` (a left fold:
    ``(p0 + p1) + p2``; a stable sort keeps that order, and ``bincount`` adds one
    value after another), so every way gives the same sums.
    """
    if len(parts) == 1:
        return parts[0]
    if len(parts) <= FOLD_UNION:
        total = sum(len(d) for d, _ in parts)
        if total * DENSE_UNION < doc_count or len(parts) == 2:
            docs, values = parts[0]
            for part in parts[1:]:
                docs, values = _union_two((docs, values), part)
            return docs, values
    docs = np.concatenate([d for d, _ in parts])
    values = np.concatenate([v for _, v in parts])
    if not len(docs):
        return docs, values
    if len(docs) * DENSE_UNION >= doc_count:
        present = np.zeros(doc_count, dtype=bool)
        present[docs] = True
        unique = np.flatnonzero(present)
        sums = np.bincount(docs, weights=values, minlength=doc_count)
        return unique, sums[unique]
    order, unique, run = _sorted_runs(docs)
    # bincount adds one value after another, in order, as the dense way does;
    # np.add.reduceat does not (a + (b + c) for three), which made a score depend on
    # which way a union took (MaxScore's unions of a few candidates are sparse).
    return unique, np.bincount(run, weights=values[order], minlength=len(unique))


_all_true = np.logical_and.reduce
#: The type scores and frequencies are computed in.
_F64 = np.dtype(np.float64)

#: Unions of at most this many parts are folded two at a time (:func:`_union_two`),
#: when they are sparse: each step is linear, so a few parts cost less than a sort
#: (a word's title and body lists, 66 in 622 documents on Reuters: 8 us against 44;
#: most title lists are not within the body's, Reuters' headlines use other words).
FOLD_UNION = 4


def _union_two(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]
               ) -> tuple[np.ndarray, np.ndarray]:
    """The union of two parts (sorted unique documents and their values), the values
    of a document in both added (``a + b`` equals ``b + a`` exactly): the shorter
    part's documents are binary-searched in the longer, those found add their value,
    the others are put in at the place the search gave."""
    (small, small_values), (large, large_values) = (a, b) if len(a[0]) <= len(b[0]) else (b, a)
    if not len(small):
        return large, large_values
    if not len(large):
        return small, small_values
    at = large.searchsorted(small)
    found = large[np.minimum(at, len(large) - 1)] == small
    values = large_values.astype(np.float64)          # a copy, added to in place
    values[at[found]] += small_values[found]
    if _all_true(found):
        return large, values
    missing = ~found
    # Output slot of each new document: its place in ``large`` plus how many new ones
    # come before it; every other slot takes ``large`` in order.
    slots = at[missing] + np.arange(int(np.count_nonzero(missing)))
    size = len(large) + len(slots)
    kept = np.ones(size, dtype=bool)
    kept[slots] = False
    docs = np.empty(size, dtype=np.result_type(large.dtype, small.dtype))
    docs[kept] = large
    docs[slots] = small[missing]
    merged = np.empty(size, dtype=np.float64)
    merged[kept] = values
    merged[slots] = small_values[missing]
    return docs, merged


def _joined_pieces(pieces: list[tuple[int, int, str, float, np.ndarray, np.ndarray, int]],
                   check: bool) -> tuple[np.ndarray, np.ndarray, list[int]] | None:
    """:meth:`Executor._word_pieces`' lists joined (:func:`_concatenated`): every
    document number, every frequency (a fresh array the caller scales in place) and
    each piece's length. With ``check``, None unless each piece's numbers are strictly
    ascending: one comparison over all of them, not a check per list (a list costs a
    few microseconds of fixed cost per array operation)."""
    if not pieces:
        return np.zeros(0, dtype=np.int64), np.zeros(0), []
    every, value, ends = _concatenated([(p[4], p[5]) for p in pieces], [p[6] for p in pieces])
    if check and len(every) > 1:
        ascending = every[1:] > every[:-1]
        ascending[[end - 1 for end in ends[1:-1]]] = True   # a piece's last, the next's first
        if not _all_true(ascending):
            return None
    # Each piece's length: a list (np.diff of a list is 10 us of conversion, np.repeat
    # takes the list as it is).
    return every, value, [b - a for a, b in zip(ends, ends[1:])]


def _concatenated(lists: list[tuple[np.ndarray, np.ndarray | None]], offsets: list[int]
                  ) -> tuple[np.ndarray, np.ndarray | None, list[int]]:
    """Segment lists (document numbers and frequencies, or None) as one: int64 global
    numbers (each list's segment offset added), float64 frequencies (None when the
    lists have none), widened as they are joined, and where each list ends in them
    (list ``j`` is ``[ends[j]:ends[j + 1]]``)."""
    ends = [0]
    for d, _ in lists:
        ends.append(ends[-1] + len(d))
    docs = np.concatenate([d for d, _ in lists], dtype=np.int64)
    for j, offset in enumerate(offsets):
        if offset:
            docs[ends[j]:ends[j + 1]] += offset
    if lists[0][1] is None:
        return docs, None, ends
    return docs, np.concatenate([tf for _, tf in lists], dtype=np.float64), ends


def _ends_within(docs: np.ndarray, size: int) -> bool:
    """Do a segment's (sorted, unchecked) document numbers start at 0 or above and end
    below its ``size``: what an unchecked read checks before the order is checked."""
    return not len(docs) or bool(docs[0] >= 0 and docs[-1] < size)


def _places(docs: np.ndarray, doc_count: int) -> tuple[np.ndarray, np.ndarray]:
    """For non-empty ``docs`` (sorted runs joined, numbers below ``doc_count``): their
    distinct values and, per document number, its place among them. Dense when
    there are many postings (:data:`DENSE_UNION`): a mark per document, its places
    numbered (no sort); else the stable merge of :func:`_sorted_runs`."""
    if len(docs) * DENSE_UNION >= doc_count:
        present = np.zeros(doc_count, dtype=bool)
        present[docs] = True
        unique = np.flatnonzero(present)
        place = np.empty(doc_count, dtype=np.int64)
        place[unique] = np.arange(len(unique))
        return unique, place[docs]
    order, unique, run = _sorted_runs(docs)
    places = np.empty(len(docs), dtype=np.int64)
    places[order] = run
    return unique, places


def _sorted_runs(docs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For non-empty ``docs`` (sorted runs joined): ``(order, unique, run)`` — the
    stable order that sorts them, their distinct values, and per sorted position the
    index of its value in ``unique``. A stable sort of concatenated sorted runs is a
    merge (timsort finds the runs); np.unique(return_inverse=True) was 10x slower."""
    order = np.argsort(docs, kind="stable")
    ranked = docs[order]
    first = _run_firsts(ranked)
    run = np.cumsum(first)
    run -= 1
    return order, ranked[first], run


def _run_firsts(values: np.ndarray) -> np.ndarray:
    """For sorted non-empty ``values``: True where a run of equal values starts."""
    first = np.empty(len(values), dtype=bool)
    first[0] = True
    np.not_equal(values[1:], values[:-1], out=first[1:])
    return first


def _run_starts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For sorted non-empty ``values``: each distinct value and where its run starts."""
    starts = np.flatnonzero(_run_firsts(values))
    return values[starts], starts


def _runs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_counts=True)`` for sorted ``values``, without a sort."""
    if not len(values):
        return values, np.zeros(0, dtype=np.int64)
    unique, starts = _run_starts(values)
    return unique, np.diff(np.append(starts, len(values)))


def _intersect(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.intersect1d(a, b, assume_unique=True, return_indices=True)`` for sorted
    unique arrays: the shorter one binary-searched in the longer (no sort)."""
    if len(a) > len(b):
        common, ib, ia = _intersect(b, a)
        return common, ia, ib
    if not len(a) or not len(b):
        empty = np.zeros(0, dtype=np.int64)
        return a[:0], empty, empty
    mask = _dense_mask(a, b)
    if mask is not None:              # the common values are in the same order in both
        ia = np.flatnonzero(mask[a])
        mask[b] = False
        mask[a[ia]] = True
        return a[ia], ia, np.flatnonzero(mask[b])
    at = np.searchsorted(b, a)
    np.minimum(at, len(b) - 1, out=at)
    hit = b[at] == a
    ia = np.flatnonzero(hit)
    return a[ia], ia, at[ia]


_DISPATCH: dict[type, Callable[[Executor, Any, bool], Hits]] = {
    wq.Term: Executor.term,
    CombinedPhrase: Executor.combined_phrase,
    CombinedTerm: Executor.combined_term,
    wq.Phrase: Executor.phrase,
    wq.And: Executor.and_,
    wq.Or: Executor.or_,
    wq.AndNot: Executor.and_not,
    wq.AndMaybe: Executor.and_maybe,
    wq.Not: Executor.not_,
    wq.Every: Executor.every,
    FieldPresent: Executor.field_present,
    LanguageDocs: Executor.language_docs,
    Prefix: Executor.prefix,
    WeightedFuzzyTerm: Executor.fuzzy,
    FuzzyTerm: Executor.fuzzy,
    type(wq.NullQuery): Executor.null,
    wq.DateRange: Executor.date_range,
    wq.NumericRange: Executor.date_range,
}


# -- ranking ----------------------------------------------------------------------------

def recency(hits: Hits, columns: DocColumns, weighting: Any) -> Hits:
    """whoosh's ``RecencyBM25F.final`` over all hits: the score times the recency factor."""
    us = columns.published_us[hits.docs]
    dated = us != NO_DATE
    now_us = int(weighting.now) - _EPOCH_FROM_MIN_US
    factor = np.full(len(us), 1.0 - weighting.weight)
    age = (now_us - us[dated]) / 86_400_000_000
    decay = 0.5 ** (np.maximum(age, 0.0) / weighting.half_life_days)
    factor[dated] = 1.0 - weighting.weight + weighting.weight * decay
    return Hits(hits.docs, hits.scores * factor)
