"""RSS 0.9x/1.0/2.0 and Atom feeds: one article per entry (feedparser).

Per entry: ``title``; ``url`` = its link, ``id`` = the link's canonical form (so an
entry and the page it links to, read later from a WARC, are one article), else the
entry's own ``<guid>``/``<id>``; ``published`` (else ``updated``); ``authors``; its
tags as ``category``; ``source`` = the feed's title; ``language`` = the entry's or
the feed's, else detected. The text is the full content when the feed carries it
(``content:encoded``, Atom ``<content>``), else the summary; HTML in either goes
through the same extraction as pages (:mod:`.html`), falling back to all of its
text when the extractor finds no article in a short fragment.

A ``.xml`` file that is not a feed (a sitemap, a config file) is left out as
``not-a-feed`` (ignored, so a folder of mixed XML can be indexed). A feed that
feedparser cannot read at all is ``bad-feed``, one skip for the file; a feed that is
ill-formed but still yields entries (feedparser's loose parser recovers most) gives
those entries. Entries are numbered from 1 in messages: ``news.rss entry 3``.
feedparser is only ever given bytes, never a URL, so it fetches nothing.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import IO, Any

from searchcore.index.records import RawRecord, Skipped
from searchcore.languages import detect_language, normalize_language
from searchcore.urls import canonical_url

__all__ = ["is_feed", "read_feed"]

_ROOT = re.compile(rb"<(?:[A-Za-z0-9_]+:)?(rss|feed|RDF)\b")
_SNIFF = 4096


def is_feed(head: bytes) -> bool:
    """Whether the start of an XML file looks like RSS, RSS 1.0 (RDF) or Atom."""
    text = head[:_SNIFF]
    # Skip the declaration, comments and doctype: the first element decides.
    text = re.sub(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", b"", text, flags=re.S)
    match = re.search(rb"<[A-Za-z]", text)
    return bool(match and _ROOT.match(text, match.start()))


def read_feed(stream: IO[bytes], name: str, *, require_feed: bool = True,
              max_bytes: int | None = None) -> Iterator[RawRecord | Skipped]:
    """The entries of one feed file as raw records.

    ``require_feed=False`` (``.xml`` files) leaves a file that is not a feed out as
    ignored instead of reporting it as bad.
    """
    import feedparser

    data = stream.read(max_bytes + 1) if max_bytes is not None else stream.read()
    if max_bytes is not None and len(data) > max_bytes:
        yield Skipped.make(name, "too-large", f"feed is over {max_bytes:,} bytes; not read")
        return
    if not is_feed(data.lstrip(b"\xef\xbb\xbf \t\r\n")):
        if require_feed:
            yield Skipped.make(name, "bad-feed", "not an RSS or Atom feed (no <rss>, "
                                                 "<rdf:RDF> or <feed> element)")
        else:
            yield Skipped.make(name, "not-a-feed", "XML file that is not a feed",
                               ignored=True)
        return
    parsed = feedparser.parse(data, sanitize_html=False, resolve_relative_uris=False)
    if not parsed.entries:
        if parsed.get("bozo"):
            yield Skipped.make(name, "bad-feed",
                               f"ill-formed feed: {parsed.get('bozo_exception')}")
        return
    feed = parsed.feed
    source = _plain(feed.get("title", ""))
    feed_language = normalize_language(feed.get("language"))
    for number, entry in enumerate(parsed.entries, 1):
        yield _entry(entry, f"{name} entry {number}", source, feed_language)


def _entry(entry: Any, origin: str, source: str, feed_language: str) -> RawRecord | Skipped:
    link = (entry.get("link") or "").strip()
    guid = (entry.get("id") or "").strip()
    record: dict[str, Any] = {"title": _plain(entry.get("title", ""))}
    body, language = _text(entry)
    record["body"] = body
    if not record["title"] and not body:
        return Skipped.make(origin, "empty", "feed entry with no title, content or summary")
    if link:
        record["url"] = link
        record["id"] = canonical_url(link)
    elif guid:
        record["id"] = guid
    date = entry.get("published_parsed") or entry.get("updated_parsed")
    if date:
        record["published"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", date)
    elif entry.get("published") or entry.get("updated"):
        record["published"] = entry.get("published") or entry.get("updated")
    authors = [a.get("name", "").strip() for a in entry.get("authors", []) if a.get("name")]
    if not authors and entry.get("author"):
        authors = [entry["author"].strip()]
    if authors:
        record["authors"] = authors
    tags = [t.get("term", "").strip() for t in entry.get("tags", []) if t.get("term")]
    if tags:
        record["category"] = list(dict.fromkeys(tags))
    if source:
        record["source"] = source
    language = language or feed_language or detect_language(f"{record['title']}\n{body}")
    if language:
        record["language"] = language
    extra: dict[str, Any] = {}
    if guid and guid != link:
        extra["guid"] = guid
    if extra:
        record["extra"] = extra
    return RawRecord(origin, record)


def _text(entry: Any) -> tuple[str, str]:
    """``(text, declared language)`` of the entry's content, else its summary."""
    for detail in list(entry.get("content") or []) + [entry.get("summary_detail")]:
        if not detail or not (detail.get("value") or "").strip():
            continue
        value = detail["value"]
        kind = (detail.get("type") or "").lower()
        text = _from_html(value) if "html" in kind or "<" in value else _plain(value)
        if text:
            return text, normalize_language(detail.get("language"))
    return "", ""


def _from_html(fragment: str) -> str:
    """Article text of an HTML fragment: the page extractor, else all its text."""
    import trafilatura

    try:
        text = trafilatura.extract(fragment, include_comments=False) or ""
        if len(text) < 0.5 * len(_all_text(fragment)):
            text = ""          # a short fragment: the extractor dropped real text
    except Exception:                             # noqa: BLE001 - extractor internals
        text = ""
    text = text or _all_text(fragment)
    return "\n\n".join(line.strip() for line in text.splitlines() if line.strip())


def _all_text(fragment: str) -> str:
    import trafilatura

    try:
        return trafilatura.html2txt(f"<html><body>{fragment}</body></html>") or ""
    except Exception:                             # noqa: BLE001 - extractor internals
        return re.sub(r"<[^>]+>", " ", fragment)


def _plain(value: str) -> str:
    """Text with any markup removed (feed titles sometimes carry entities or tags)."""
    if "<" in value:
        value = re.sub(r"<[^>]+>", "", value)
    return " ".join(value.split())
