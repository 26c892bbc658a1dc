"""Every match, in order, as whole articles: ``Index.scan``, the export formats, the cursor.

Exports capped at a few hundred results are a common complaint about news search
tools; here a scan walks every match. Memory: the order is computed once as numpy
arrays (the document numbers, plus the sort keys: 16 bytes a match, 16 MB for a
million), then articles are read a chunk at a time (512 of them, straight from each
segment's stored-field file: :func:`~searchcore.whoosh_boundary.stored_fields.stored_fields_many`),
converted and handed on one at a time, so no more than a chunk is held however many
match.

Order (the same as ``Index.search`` pages, so a cursor walk and a page walk agree):

* ``relevance``: score descending;
* ``newest``: date descending, undated last;
* ``oldest``: date ascending, undated last;

ties by article id in each (:mod:`searchcore.execution.order`, the one place the
order is defined).

The **cursor** (``Results.next_cursor``, then ``search(..., after=cursor)``) is
Elasticsearch's ``search_after``: it carries the last hit's sort value and article
id, and the next page is the hits that sort after that pair, computed afresh, so a
deep page costs the same as the first, adds and merges that renumber documents
between pages do not lose the place, and a sharded index continues a cursor the
same way on every shard.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import itertools
import os
import threading
from collections import deque
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Sequence

import numpy as np
import orjson
from whoosh import query as wq

from searchcore.errors import SearchcoreError
from searchcore.news.matches import match_docnums, news_columns
from searchcore.execution.columns import columns_for
from searchcore.execution.order import UNDATED_KEY, id_keys, sort_key
from searchcore.execution.search import scored_matches, whoosh_matches
from searchcore.whoosh_boundary.stored_fields import CHUNK, decode_stored, stored_chunks

if TYPE_CHECKING:
    from concurrent.futures import Future

SCAN_SORTS = ("relevance", "newest", "oldest")
#: The keys of ``searchcore show --json`` (``Article.to_dict()``), in that order.
ARTICLE_FIELDS = ("id", "title", "body", "published", "source", "url", "authors", "category",
                  "language", "extra")
EXPORT_FORMATS = ("jsonl", "csv")
_CURSOR_VERSION = 1


class CursorError(SearchcoreError):
    """A cursor that is not one of ours, or was made for another sort."""


class ExportError(SearchcoreError):
    """A bad export argument: an unknown field, sort or format."""


def check_fields(fields: Sequence[str] | str | None) -> tuple[str, ...]:
    """The article keys to keep, validated (``None``: all of them, in ``show --json`` order)."""
    if fields is None:
        return ARTICLE_FIELDS
    names = [f.strip() for f in fields.split(",")] if isinstance(fields, str) else list(fields)
    names = [n for n in names if n]
    unknown = [n for n in names if n not in ARTICLE_FIELDS]
    if unknown or not names:
        raise ExportError(f"unknown field {unknown[0]!r}; fields are {', '.join(ARTICLE_FIELDS)}"
                          if unknown else "no fields given; fields are " + ", ".join(ARTICLE_FIELDS))
    return tuple(dict.fromkeys(names))


def check_sort(sort: str) -> str:
    if sort not in SCAN_SORTS:
        raise ExportError(f"sort must be one of {', '.join(SCAN_SORTS)}, not {sort!r}")
    return sort


# -- order ---------------------------------------------------------------------------------

def ordered_matches(searcher: Any, q: wq.Query, allowed: set[int] | None,
                    sort: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(docnums, primary, secondary)`` of every match, sorted ascending by the two keys.

    ``primary`` is ``-score`` or a date key, ``secondary`` the article id
    (:mod:`searchcore.execution.order`).
    """
    check_sort(sort)
    if sort == "relevance":
        docs, scores = _scored(searcher, q, allowed)
        primary = sort_key(sort, scores, None)
    else:
        docs = match_docnums(searcher, q, allowed)
        primary = sort_key(sort, None, columns_for(searcher).published_us[docs])
    secondary = id_keys(searcher)[docs]
    order = np.lexsort((secondary, primary))
    return docs[order], primary[order], secondary[order]


def _scored(searcher: Any, q: wq.Query, allowed: set[int] | None) -> tuple[np.ndarray, np.ndarray]:
    """Every match's document number and score, as ``Index.search`` would score it."""
    if allowed is not None and not allowed:
        return np.zeros(0, np.int64), np.zeros(0)
    found = scored_matches(searcher, q, allowed)
    return found if found is not None else whoosh_matches(searcher, q, allowed)


# -- scanning ------------------------------------------------------------------------------

class Scan:
    """The articles of a scan, one at a time; ``len()`` is how many there are in all.

    Iterate it for article dicts, or call :meth:`encoded` for the export formats'
    bytes a chunk at a time (what ``searchcore export`` writes).
    """

    def __init__(self, articles: Iterator[dict[str, Any]], total: int) -> None:
        self._articles = articles
        self.total = total

    def __len__(self) -> int:
        return self.total

    def __iter__(self) -> "Scan":
        return self

    def __next__(self) -> dict[str, Any]:
        return next(self._articles)

    def encoded(self, fmt: str = "jsonl", workers: int | None = None) -> Iterator[tuple[int, bytes]]:
        """``(articles, bytes)`` per chunk, as JSON Lines or CSV rows (no header; columns
        in the order of each article's keys). ``workers`` is for :class:`IndexScan`."""
        check_format(fmt)
        while True:
            chunk = list(itertools.islice(self._articles, CHUNK))
            if not chunk:
                return
            yield len(chunk), encode_articles(chunk, fmt)


class IndexScan(Scan):
    """A scan of one index: read a chunk at a time straight from the stored fields."""

    def __init__(self, searcher: Any, docs: np.ndarray, keep: tuple[str, ...]) -> None:
        super().__init__(_articles(searcher, docs, keep), len(docs))
        self._searcher, self._docs, self._keep = searcher, docs, keep

    def encoded(self, fmt: str = "jsonl", workers: int | None = None) -> Iterator[tuple[int, bytes]]:
        """As :meth:`Scan.encoded`; ``workers`` processes decode and encode the chunks
        while this one reads the next (default: :func:`export_workers`; 1: all here).
        The order and the bytes are the same either way; at most a few chunks per
        worker are in flight, so memory stays flat.
        """
        check_format(fmt)
        chunks = stored_chunks(self._searcher, self._docs)
        if workers is None:
            workers = export_workers(self.total)
        if workers <= 1:
            for items in chunks:
                yield len(items), encode_chunk(items, fmt, self._keep)
            return
        yield from _in_workers(chunks, fmt, self._keep, workers)


def scan_articles(searcher: Any, q: wq.Query, allowed: set[int] | None, *,
                  sort: str = "relevance", fields: Sequence[str] | str | None = None) -> Scan:
    """Every match as an article dict (the keys of ``show --json``, or ``fields``), in order.

    The order is computed here, at once (bad arguments raise now); the articles are
    read as the result is iterated.
    """
    keep = check_fields(fields)
    docs, _, _ = ordered_matches(searcher, q, allowed, sort)
    return IndexScan(searcher, docs, keep)


def _articles(searcher: Any, docs: np.ndarray, keep: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    for items in stored_chunks(searcher, docs):
        yield from _chunk_articles(items, keep)


def _chunk_articles(items: list[Any], keep: tuple[str, ...]) -> Iterator[dict[str, Any]]:
    from searchcore.engine import stored_to_dict

    everything = keep == ARTICLE_FIELDS
    for item in items:
        article = stored_to_dict(decode_stored(item))
        yield article if everything else {k: article[k] for k in keep}


def jsonl_lines(articles: Iterator[dict[str, Any]]) -> Iterator[bytes]:
    """One JSON object per line (dates ISO 8601, as ``show --json``)."""
    option = orjson.OPT_APPEND_NEWLINE
    for article in articles:
        yield orjson.dumps(article, option=option)


def csv_lines(articles: Iterator[dict[str, Any]], fields: Sequence[str]) -> Iterator[str]:
    """A header, then one row per article: lists joined with ``"; "``, ``extra`` as JSON."""
    yield csv_header(fields)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for article in articles:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_csv_value(article[f]) for f in fields])
        yield buffer.getvalue()


def csv_header(fields: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(fields)
    return buffer.getvalue()


def encode_articles(articles: Iterable[dict[str, Any]], fmt: str) -> bytes:
    """Articles as JSON Lines, or as CSV rows with the columns in each article's key order."""
    if fmt == "jsonl":
        return b"".join(jsonl_lines(articles))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows([_csv_value(v) for v in a.values()] for a in articles)
    return buffer.getvalue().encode("utf-8")


def encode_chunk(items: list[Any], fmt: str, keep: tuple[str, ...]) -> bytes:
    """A chunk of :func:`stored_chunks` encoded (what the workers run)."""
    return encode_articles(_chunk_articles(items, keep), fmt)


def check_format(fmt: str) -> str:
    if fmt not in EXPORT_FORMATS:
        raise ExportError(f"format must be one of {', '.join(EXPORT_FORMATS)}, not {fmt!r}")
    return fmt


#: Exports smaller than this are encoded in this process (starting workers costs more).
PARALLEL_MIN = 20_000
#: Chunks per worker handed out ahead of the one being written.
_AHEAD = 3


def export_workers(total: int) -> int:
    """How many processes encode an export of ``total`` articles: up to 4, one per core.

    Decompressing and unpickling whoosh's stored fields is most of an export's time
    and runs in Python, one core at a time; the workers take it over while this
    process reads and writes.
    """
    if total < PARALLEL_MIN:
        return 1
    return max(1, min(4, os.cpu_count() or 1))


def _in_workers(chunks: Iterator[list[Any]], fmt: str, keep: tuple[str, ...],
                workers: int) -> Iterator[tuple[int, bytes]]:
    """:func:`encode_chunk` of each chunk in a process pool, in order, a bounded window ahead."""
    # fork starts at once and is safe in a single-threaded process (the CLI); with
    # other threads about (a server, a Dask client) one may hold a lock at the fork.
    # Imported here: every search imports this module (for its cursors), and the pool's
    # modules are ~10 ms of a cold CLI search that never exports.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if threading.active_count() == 1 and os.name == "posix" else "spawn"
    pool = ProcessPoolExecutor(max_workers=workers,
                               mp_context=multiprocessing.get_context(method))
    try:
        window: deque[tuple[int, Future[bytes]]] = deque()
        for items in chunks:
            window.append((len(items), pool.submit(encode_chunk, items, fmt, keep)))
            while len(window) > workers * _AHEAD:
                count, future = window.popleft()
                yield count, future.result()
        while window:
            count, future = window.popleft()
            yield count, future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(value)
    if isinstance(value, dict):
        return orjson.dumps(value).decode() if value else ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# -- the cursor ----------------------------------------------------------------------------

def make_cursor(searcher: Any, sort: str, docnum: int, score: float | None,
                article_id: str) -> str:
    """The cursor after the hit ``docnum`` (with this ``score`` and ``article_id``)."""
    if sort == "relevance":
        value: float | int | None = float(score) if score is not None else 0.0
    else:
        published = news_columns(searcher).published[docnum]
        value = None if np.isnat(published) else int(published.astype(np.int64))
    raw = orjson.dumps([_CURSOR_VERSION, sort, value, int(docnum), article_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_cursor(cursor: str, sort: str) -> tuple[float | int | None, int, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        version, made_for, value, docnum, article_id = orjson.loads(raw)
        if (version != _CURSOR_VERSION or not isinstance(docnum, int)
                or not isinstance(value, (int, float, type(None)))):
            raise ValueError
    except (ValueError, TypeError, binascii.Error, orjson.JSONDecodeError):
        raise CursorError(f"{cursor[:40]!r} is not a searchcore cursor (use a next_cursor "
                          "value as it was returned)") from None
    if made_for != sort:
        raise CursorError(f"this cursor continues a sort={made_for!r} search, not sort={sort!r}")
    return value, docnum, str(article_id)


def page_after(searcher: Any, q: wq.Query, allowed: set[int] | None, sort: str, cursor: str,
               limit: int) -> tuple[int, list[tuple[int, float | None]], int]:
    """``(matches before the page, [(docnum, score)] of the page, total)``."""
    docs, primary, start = _ordered_after(searcher, q, allowed, sort, cursor)
    page = docs[start:start + limit].tolist()
    scores = (-primary[start:start + limit]).tolist() if sort == "relevance" else [None] * len(page)
    return start, list(zip(page, scores)), len(docs)


def _ordered_after(searcher: Any, q: wq.Query, allowed: set[int] | None, sort: str,
                   cursor: str) -> tuple[np.ndarray, np.ndarray, int]:
    """``(docnums in order, their primary keys, position of the first after the cursor)``."""
    _read_cursor(cursor, sort)                # a bad cursor fails before the search runs
    docs, primary, secondary = ordered_matches(searcher, q, allowed, sort)
    after = cursor_after(primary, secondary, sort, cursor)
    start = int(np.argmax(after)) if after.any() else len(docs)
    return docs, primary, start


def cursor_after(primary: np.ndarray, secondary: np.ndarray, sort: str,
                 cursor: str) -> np.ndarray:
    """True for each match (keys ``primary``, ``secondary``, in any order) that comes
    after ``cursor`` in ``sort`` order."""
    value, _docnum, article_id = _read_cursor(cursor, sort)
    if sort == "relevance":
        key = -float(value or 0.0)
    else:
        key = UNDATED_KEY if value is None else (-value if sort == "newest" else value)
    tie = article_id.encode("utf-8")
    return (primary > key) | ((primary == key) & (secondary > tie))
