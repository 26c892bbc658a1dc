"""One HTML page -> one raw article record: main text and the page's metadata.

The extractor is trafilatura (chosen on the article-extraction benchmark's
development pages, ``benchmarks/extraction.py``: word 4-shingle F1 0.954 with its
defaults against readability-lxml's 0.950, and 2.5 times faster; it also reads the
metadata we need — title, date through htmldate, authors, site name, canonical URL
— where readability gives only a title). It runs with comments left out (the issue
asks for the article without its comments) and never fetches anything: it is given
text, not a URL, and htmldate only reads the page.

What the record holds:

* ``title``, ``body`` (paragraphs separated by a blank line, as text files give);
* ``published`` from the page (htmldate: meta tags, JSON-LD, URL, visible dates),
  else the ``fallback_date`` the caller knows (a WARC record's ``WARC-Date``);
* ``authors`` (trafilatura's ``"A; B"`` split), ``source`` = site name (or host),
  ``category`` = the page's sections;
* ``language`` from ``<html lang>`` / ``Content-Language``, else detected from the text
  (:func:`searchcore.languages.detect_language`);
* ``url`` = where the page was fetched from if known, else its canonical link;
  ``id`` = the canonical form (:func:`searchcore.urls.canonical_url`) of the page's
  canonical link if it has one, else of its URL — so a page crawled twice, or saved
  to a folder and also found in a WARC, is one article;
* ``extra``: ``canonical_url``, ``description``, ``encoding``, and whatever the caller
  adds (``warc_date``, ``path``).
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import urljoin, urlsplit

from searchcore.index.records import RawRecord, Skipped
from searchcore.index.web.charset import UndecodablePage, decode_page, declared_charset
from searchcore.languages import detect_language, normalize_language
from searchcore.urls import canonical_url

__all__ = ["extract_article", "html_record", "html_text_record", "page_canonical",
           "page_language"]

_LANG_ATTR = re.compile(r"""<html\b[^>]*?\blang\s*=\s*["']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)""",
                        re.IGNORECASE)
_CONTENT_LANGUAGE = re.compile(
    r"""<meta[^>]+http-equiv\s*=\s*["']?content-language["']?[^>]+content\s*=\s*["']?"""
    r"""([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)""", re.IGNORECASE)
_HEAD_CHARS = 20_000
_CANONICAL_CHARS = 200_000
_LINK_OR_META = re.compile(r"<(link|meta)\b([^>]*)>", re.IGNORECASE)
_ATTR = re.compile(r"""([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")
#: Less text than this is a navigation bar or an error page, not an article
#: (characters, not words: Chinese and Japanese write none of those spaces).
MIN_CHARS = 50


def page_language(html: str) -> str:
    """The language the page declares (``<html lang>``, Content-Language), or ``""``."""
    head = html[:_HEAD_CHARS]
    match = _LANG_ATTR.search(head) or _CONTENT_LANGUAGE.search(head)
    return normalize_language(match.group(1)) if match else ""


def page_canonical(html: str, base: str = "") -> str:
    """The page's own URL: ``<link rel="canonical">``, else ``og:url``; ``""`` if none.

    Read here rather than taken from trafilatura, which leaves out a canonical link it
    cannot validate (5 of the 8 development pages it gives no URL have one). A
    relative link is resolved against ``base`` (where the page was fetched from).
    """
    head = html[:_CANONICAL_CHARS]
    found: dict[str, str] = {}
    for tag, attrs in _LINK_OR_META.findall(head):
        values = {m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None)
                  for m in _ATTR.finditer(attrs)}
        if tag.lower() == "link" and "canonical" in values.get("rel", "").lower().split():
            found.setdefault("canonical", values.get("href", ""))
        elif tag.lower() == "meta" and (values.get("property") or values.get("name")
                                        or "").lower() == "og:url":
            found.setdefault("og", values.get("content", ""))
    for key in ("canonical", "og"):
        url = unescape(found.get(key, "").strip())
        if url and base:
            url = urljoin(base, url)
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc:
            return url
    return ""


def extract_article(html: str, base: str = "") -> dict[str, Any] | None:
    """The article in ``html`` as record fields, or ``None`` if it has no main text.

    Fields: ``title``, ``body``, ``published`` (ISO date string), ``authors``,
    ``source``, ``category``, ``language``, ``canonical_url``, ``description``
    (empty ones left out).
    """
    import trafilatura

    doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False)
    if doc is None or len(" ".join((doc.text or "").split())) < MIN_CHARS:
        return None
    lines = [line.strip() for line in doc.text.splitlines()]
    fields: dict[str, Any] = {
        "title": doc.title or "",
        "body": "\n\n".join(line for line in lines if line),
        "published": doc.date or "",
        "authors": [a.strip() for a in (doc.author or "").split(";") if a.strip()],
        "source": doc.sitename or doc.hostname or "",
        "category": [c for c in (doc.categories or []) if c],
        "language": page_language(html),
        "canonical_url": page_canonical(html, base) or doc.url or "",
        "description": doc.description or "",
    }
    return {k: v for k, v in fields.items() if v}


def html_text_record(html: str, origin: str, *, url: str = "", fallback_date: str = "",
                     extra: dict[str, Any] | None = None) -> RawRecord | Skipped:
    """The raw record of a page already decoded to text (see the module docstring)."""
    try:
        fields = extract_article(html, url)
    except Exception as exc:                      # noqa: BLE001 - extractor internals
        # trafilatura and lxml raise a variety of errors on pathological markup; any
        # of them means this page cannot be read, never that the build should stop.
        return Skipped.make(origin, "bad-html", f"cannot extract the page: "
                                                f"{type(exc).__name__}: {exc}")
    if fields is None:
        return Skipped.make(origin, "no-text", "no article text found in the page")
    canonical = fields.pop("canonical_url", "")
    record: dict[str, Any] = fields
    record.setdefault("published", fallback_date)
    if not record["published"]:
        del record["published"]
    if "language" not in record:
        detected = detect_language(f"{record.get('title', '')}\n{record['body']}")
        if detected:
            record["language"] = detected
    identity = canonical or url
    if identity:
        record["id"] = canonical_url(identity)
        record["url"] = url or canonical
    more: dict[str, Any] = {}
    if canonical and canonical != record.get("url"):
        more["canonical_url"] = canonical
    if "description" in record:
        more["description"] = record.pop("description")
    record["extra"] = more | (extra or {})
    return RawRecord(origin, record)


def html_record(data: bytes, origin: str, *, url: str = "", content_type: str | None = None,
                fallback_date: str = "", extra: dict[str, Any] | None = None
                ) -> RawRecord | Skipped:
    """The raw record of one page's bytes, decoded as the page declares.

    ``extra["charset"]`` is the codec the page was read with. ``extra["encoding"]``
    is set, as for text files, only when that codec was a guess (the page declared
    none that fit its bytes, and they are not UTF-8): the import summary lists those
    pages for a person to check, and a page read as it says is not one of them.
    """
    try:
        html, charset = decode_page(data, content_type)
    except UndecodablePage as exc:
        return Skipped.make(origin, "undecodable", str(exc))
    guessed = charset not in ("utf-8", declared_charset(data, content_type))
    return html_text_record(html, origin, url=url, fallback_date=fallback_date,
                            extra={"charset": charset} | ({"encoding": charset} if guessed else {})
                            | (extra or {}))
