"""WARC archives (``.warc``, ``.warc.gz``): the article pages among the records.

A crawl's WARC holds far more than articles. A record becomes an article only if it
is a ``response`` with an HTTP 2xx status and an HTML content type, and is not
``/robots.txt``; its URL is ``WARC-Target-URI``, its date the page's own, else
``WARC-Date`` (when it was crawled). Everything else is left out and counted by
reason — ``warcinfo``, ``request``, ``warc-metadata`` (and other record types),
``redirect`` (3xx), ``http-404`` (and other statuses), ``robots-txt``, ``not-html``
— as *ignored* skips: they are reported in the summary, but they are not bad input,
so ``--strict`` does not stop at them.

Bad records are: a record cut short (``truncated``: fewer bytes than its
``Content-Length``), a gzip member that does not decompress (``damaged``), a page
with undecodable text or no article text. Each is named by file and byte offset
(``pages.warc.gz@195739``, the offset a WARC index such as a CDX file uses). After a
damaged member the reader looks for the next gzip member (Common Crawl writes one
per record), so one bad record loses only itself.

Why fastwarc: on this project's 126-record test archive it reads responses about
twice as fast as warcio (about 2,000 against 1,000 records/s, payloads read in
full), and it streams: one record's payload is in memory at a time, so a
multi-gigabyte WARC needs no more memory than a small one. Text extraction, not
WARC parsing, dominates a build either way (``benchmarks/extraction.py``).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import IO, Any
from urllib.parse import urlsplit

from searchcore.index.records import RawRecord, Skipped
from searchcore.index.web.pool import PageJob

__all__ = ["HTML_TYPES", "read_warc"]

#: Content types read as HTML pages.
HTML_TYPES = ("text/html", "application/xhtml+xml")
_GZIP_MAGIC = b"\x1f\x8b\x08"
_WARC_MAGIC = b"WARC/"
_SCAN_BLOCK = 1 << 16


def _ignored(origin: str, reason: str, detail: str) -> Skipped:
    return Skipped.make(origin, reason, detail, ignored=True)


def read_warc(stream: IO[bytes], name: str, *, max_bytes: int | None = None
              ) -> Iterator[PageJob | RawRecord | Skipped]:
    """The pages (as :class:`PageJob`) and skips of one WARC file, gzip per record or not."""
    from fastwarc.warc import ArchiveIterator

    seekable = _seekable(stream)
    start = stream.tell() if seekable else 0
    magic = _GZIP_MAGIC if _peek(stream, seekable, start) == _GZIP_MAGIC else _WARC_MAGIC
    while True:
        last: int | None = None
        current: int | None = None
        try:
            for record in ArchiveIterator(stream, parse_http=True):
                current = int(record.stream_pos)
                yield from _record(record, f"{name}@{current}", max_bytes)
                last, current = current, None
            return
        except (OSError, zlib.error, ValueError) as exc:
            failed_at = exc
        # The damaged record is the one being read, else the member after the last
        # good one (its start is the next magic after that record's own).
        if current is not None:
            bad = current
        elif last is not None:
            bad = _next_member(stream, last + 1, magic) if seekable else None
        else:
            bad = start
        where = f"{name}@{bad}" if bad is not None else f"{name} after offset {last}"
        yield Skipped.make(where, "damaged", f"WARC record does not decompress: {failed_at}")
        if not seekable or bad is None:
            return
        start = _next_member(stream, bad + 1, magic)
        if start is None:
            return
        stream.seek(start)


def _record(record: Any, origin: str, max_bytes: int | None) -> Iterator[PageJob | Skipped]:
    from fastwarc.warc import WarcRecordType

    kind = record.record_type
    if kind != WarcRecordType.response:
        label = kind.name if hasattr(kind, "name") else str(kind).rpartition(".")[2]
        reason = label if label in ("warcinfo", "request") else f"warc-{label}"
        yield _ignored(origin, reason, f"WARC {label} record, not a page")
        return
    url = record.headers.get("WARC-Target-URI") or ""
    http = record.http_headers
    if http is None:
        yield _ignored(origin, "not-http", f"response record without HTTP headers ({url})")
        return
    status = int(http.status_code or 0)
    if 300 <= status < 400:
        target = http.get("Location") or "?"
        yield _ignored(origin, "redirect", f"HTTP {status} redirect of {url} to {target}")
        return
    if not 200 <= status < 300:
        yield _ignored(origin, f"http-{status}", f"HTTP {status} for {url}")
        return
    if urlsplit(url).path == "/robots.txt":
        yield _ignored(origin, "robots-txt", f"robots.txt of {urlsplit(url).netloc}")
        return
    content_type = http.get("Content-Type") or ""
    if content_type.split(";")[0].strip().lower() not in HTML_TYPES:
        shown = content_type.split(";")[0].strip() or "no content type"
        yield _ignored(origin, "not-html", f"{shown} at {url}")
        return
    expected = int(record.content_length)
    if max_bytes is not None and expected > max_bytes:
        yield Skipped.make(origin, "too-large", f"page is {expected:,} bytes, over the "
                                                f"limit; not read", "body")
        return
    data = record.reader.read()
    if len(data) < expected:
        yield Skipped.make(origin, "truncated", f"record is cut short: {len(data):,} of "
                                                f"{expected:,} bytes ({url})")
        return
    encoding = (http.get("Content-Encoding") or "").strip().lower()
    if encoding in ("gzip", "x-gzip", "deflate"):
        try:
            data = zlib.decompress(data, 47 if encoding != "deflate" else 15)
        except zlib.error as exc:
            yield Skipped.make(origin, "undecodable", f"{encoding} payload does not "
                                                      f"decompress: {exc}")
            return
    elif encoding not in ("", "identity"):
        yield Skipped.make(origin, "undecodable", f"payload in {encoding} encoding, which "
                                                  f"is not supported")
        return
    crawled = record.headers.get("WARC-Date") or ""
    yield PageJob(data, origin, url=url, content_type=content_type, fallback_date=crawled,
                  extra={"crawled": crawled} if crawled else None)


def _seekable(stream: IO[bytes]) -> bool:
    try:
        return bool(stream.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _peek(stream: IO[bytes], seekable: bool, start: int) -> bytes:
    if not seekable:
        return b""
    head = stream.read(len(_GZIP_MAGIC))
    stream.seek(start)
    return head


def _next_member(stream: IO[bytes], offset: int, magic: bytes) -> int | None:
    """The offset of the next ``magic`` at or after ``offset``, or None."""
    position = offset
    carry = b""
    stream.seek(offset)
    while block := stream.read(_SCAN_BLOCK):
        data = carry + block
        found = data.find(magic)
        if found >= 0:
            return position - len(carry) + found
        carry = data[-(len(magic) - 1):]
        position += len(block)
    return None
