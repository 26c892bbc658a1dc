"""The article schema: which fields exist, how each is analysed, stored and sorted.

Field by field (``stored`` fields come back with every hit):

==========  ==========================================  ===========================
field       type                                        why
==========  ==========================================  ===========================
id          ID, stored, unique                          ``update_document`` by id
title       TEXT (NewsAnalyzer), stored, positions      phrases, snippets, weighted
body        TEXT (NewsAnalyzer), stored, positions      phrases, snippets
published   DATETIME, stored, sortable                  ranges, sort by date, recency
source      TEXT (names: no stem/stop), stored          ``source:reuters`` by word
url         ID, stored                                  exact lookup
authors     TEXT (names), stored as a list              ``authors:smith``
category    KEYWORD (comma separated, lower), stored    tags; ``category:sport``
language    ID, stored                                  per-article language tag
extra       STORED                                      source fields we do not model
==========  ==========================================  ===========================

Whoosh pickles this schema into the index, so the analyzer classes it names are part
of the on-disk format (see ``searchcore.analysis``).
"""

from __future__ import annotations

from whoosh.fields import DATETIME, ID, KEYWORD, STORED, TEXT, Schema

from searchcore.analysis import make_analyzer, make_name_analyzer

#: Fields searched when a query names none, and the fields snippets come from.
TEXT_FIELDS: tuple[str, ...] = ("title", "body")
#: Field names a query may use with ``field:value`` (plus aliases in searchcore.query.parser).
QUERY_FIELDS: tuple[str, ...] = ("title", "body", "source", "category", "id", "authors",
                                 "url", "language", "published")


def build_schema(language: str = "english") -> Schema:
    """The whoosh schema for articles in ``language`` (the stemmer and stop list)."""
    text = make_analyzer(language)
    names = make_name_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=text, stored=True, phrase=True),
        body=TEXT(analyzer=text, stored=True, phrase=True),
        published=DATETIME(stored=True, sortable=True),
        source=TEXT(analyzer=names, stored=True, phrase=True),
        url=ID(stored=True),
        authors=TEXT(analyzer=names, stored=True, phrase=True),
        category=KEYWORD(stored=True, commas=True, lowercase=True, scorable=True),
        language=ID(stored=True),
        extra=STORED(),
    )
