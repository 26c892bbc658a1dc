"""The Article record and the rules that turn a raw mapping into one.

Every way in — the library's ``Index.add``, the JSONL/CSV/text readers in
``searchcore.index`` — ends in :func:`normalize_article`, so the same input gives the
same article (and the same id) whichever way it came.

Rules:

* ``title`` and ``body`` are strings, Unicode NFC, surrounding whitespace trimmed.
  A record with neither is refused as ``empty``, except with ``require_text=False``
  when it has its own ``id``: then it is an entry of a collection whose text was lost
  (2,535 Reuters-21578 stories, two Cranfield abstracts), still found by id, date or
  category; batch imports keep those, since dropping them would break evaluation
  against relevance judgements that name them.
* ``id`` is kept if given (strings and integers), else derived from a hash of the
  normalised title and body, so importing the same file twice replaces rather than
  duplicates.
* ``published`` goes through :func:`searchcore.dates.parse_datetime`.
* ``language`` is stored as an ISO 639 code (``en-US``, ``English`` -> ``en``).
* ``authors`` and ``category`` accept a string (comma separated) or a list.
* Fields we do not model are kept in ``extra`` (JSON-able values only).
* Text over ``max_chars`` (title + body) is refused: a 50 MB "article" is a broken
  export, and whoosh holds a whole document in memory while indexing it.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Mapping

from searchcore.dates import DateError, parse_datetime
from searchcore.errors import InvalidArticleError
from searchcore.languages import normalize_language
from searchcore.multilingual import LanguageText

#: Default limit on title + body, in characters (about 300 printed pages).
MAX_ARTICLE_CHARS = 1_000_000

ARTICLE_FIELDS = ("id", "title", "body", "published", "source", "url", "authors",
                  "category", "language")
# Common names for our fields in other people's exports.
_ALIASES = {"headline": "title", "text": "body", "content": "body", "date": "published",
            "pubdate": "published", "published_at": "published", "author": "authors",
            "categories": "category", "tags": "category", "link": "url", "lang": "language"}


@dataclass
class Article:
    """One news article, normalised. ``published`` is timezone-aware UTC or None."""

    id: str
    title: str = ""
    body: str = ""
    published: datetime | None = None
    source: str = ""
    url: str = ""
    authors: list[str] = field(default_factory=list)
    category: list[str] = field(default_factory=list)
    language: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (orjson serialises the datetime as ISO 8601)."""
        return {"id": self.id, "title": self.title, "body": self.body,
                "published": self.published, "source": self.source, "url": self.url,
                "authors": list(self.authors), "category": list(self.category),
                "language": self.language, "extra": dict(self.extra)}


def content_id(title: str, body: str) -> str:
    """A stable id for an article that has none: 16 hex digits of its text's hash."""
    digest = hashlib.blake2b(f"{title}\x00{body}".encode("utf-8"), digest_size=8)
    return digest.hexdigest()


def clean_text(value: str) -> str:
    """NFC, no surrounding whitespace, no NUL characters, CRLF as LF."""
    if not value.isascii():
        value = unicodedata.normalize("NFC", value)
    if "\r" in value:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\x00", "").strip()


def _text(record: Mapping[str, Any], name: str, origin: str | None) -> str:
    value = record.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InvalidArticleError(
            f"field {name!r} must be a string, got {type(value).__name__} {_short(value)}",
            origin, name, "wrong-type")
    return clean_text(value)


def _string_list(record: Mapping[str, Any], name: str, origin: str | None) -> list[str]:
    value = record.get(name)
    if value is None:
        return []
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        items = list(value)
    else:
        raise InvalidArticleError(
            f"field {name!r} must be a string or a list of strings, got {_short(value)}",
            origin, name, "wrong-type")
    return [c for c in (clean_text(v) for v in items) if c]


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _canonical(record: Mapping[str, Any]) -> dict[str, Any]:
    """Map alias keys (``headline``, ``date``...) to ours; our own names win."""
    out: dict[str, Any] = {}
    for key, value in record.items():
        name = key.strip().lower() if isinstance(key, str) else key
        target = _ALIASES.get(name, name)
        if target in out and target != name:
            continue
        out[target] = value
    return out


def normalize_article(record: Mapping[str, Any] | Article, origin: str | None = None,
                      max_chars: int = MAX_ARTICLE_CHARS,
                      now: datetime | None = None, require_text: bool = True) -> Article:
    """Validate and normalise ``record`` into an :class:`Article`.

    Raises :class:`~searchcore.errors.InvalidArticleError` naming ``origin`` (e.g.
    ``"news.jsonl:12"``), the field and a short ``reason`` used in summaries.
    """
    if isinstance(record, Article):
        # Already an article (e.g. from a batch import that kept an id-only entry):
        # checked again, but its having no text was accepted when it was made.
        record = record.to_dict() | record.extra
        require_text = False
    if not isinstance(record, Mapping):
        raise InvalidArticleError(
            f"expected an object with article fields, got {type(record).__name__}",
            origin, None, "wrong-type")
    record = _canonical(record)
    title = _text(record, "title", origin)
    body = _text(record, "body", origin)
    raw_id = record.get("id")
    has_id = raw_id is not None and not (isinstance(raw_id, str) and not raw_id.strip())
    if not title and not body and (require_text or not has_id):
        raise InvalidArticleError("no title and no body", origin, "title", "empty")
    if len(title) + len(body) > max_chars:
        raise InvalidArticleError(
            f"article is {len(title) + len(body):,} characters, over the limit of "
            f"{max_chars:,}", origin, "body", "too-large")

    if not has_id:
        article_id = content_id(title, body)
    elif isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
        raise InvalidArticleError(f"field 'id' must be a string or integer, got {_short(raw_id)}",
                                  origin, "id", "wrong-type")
    else:
        article_id = clean_text(str(raw_id))

    published = None
    raw_date = record.get("published")
    if raw_date not in (None, ""):
        try:
            published = parse_datetime(raw_date, now=now)
        except DateError as exc:
            raise InvalidArticleError(f"field 'published': {exc}", origin, "published",
                                      "bad-date") from None

    extra = {k: v for k, v in record.items()
             if k not in ARTICLE_FIELDS and k != "extra" and isinstance(k, str)}
    if isinstance(record.get("extra"), Mapping):
        extra = dict(record["extra"]) | extra
    return Article(
        id=article_id, title=title, body=body, published=published,
        source=_text(record, "source", origin), url=_text(record, "url", origin),
        authors=_string_list(record, "authors", origin),
        category=_string_list(record, "category", origin),
        language=normalize_language(_text(record, "language", origin)), extra=extra)


def to_document(article: Article) -> dict[str, Any]:
    """The keyword arguments for whoosh's ``add_document``/``update_document``."""
    doc: dict[str, Any] = {"id": article.id, "title": article.title, "body": article.body}
    if article.language:
        # The analyzer reads the language off the text (searchcore.multilingual);
        # the stored values stay plain strings.
        doc["title"] = LanguageText(article.title, article.language)
        doc["body"] = LanguageText(article.body, article.language)
        doc["_stored_title"] = article.title
        doc["_stored_body"] = article.body
    if article.published is not None:
        # whoosh's DATETIME compares naive datetimes; we store UTC, naive.
        doc["published"] = article.published.replace(tzinfo=None)
    if article.source:
        doc["source"] = article.source
    if article.url:
        doc["url"] = article.url
    if article.authors:
        doc["authors"] = ", ".join(article.authors)
        doc["_stored_authors"] = list(article.authors)
    if article.category:
        doc["category"] = ",".join(c.replace(",", " ") for c in article.category)
        doc["_stored_category"] = list(article.category)
    if article.language:
        doc["language"] = article.language
    if article.extra:
        doc["extra"] = article.extra
    return doc
