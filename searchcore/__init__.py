"""searchcore: full-text search for news corpora.

>>> import searchcore
>>> ix = searchcore.create_index("news-index")          # doctest: +SKIP
>>> ix.add([{"id": "1", "title": "Rates rise", "body": "The central bank ..."}])  # doctest: +SKIP
>>> ix.search('"central bank" -forecast', limit=5).hits  # doctest: +SKIP

The pieces, in data-flow order: ``analysis`` (NLTK analyzer), ``schema``,
``article`` (normalisation), ``layout`` (directory, manifest, generations, locks),
``query/`` (the query language), ``scoring/`` (BM25F, recency), ``execution/``
(arrays beside whoosh's segments), ``results/`` (result types, snippets, rendering),
``news/`` (facets, timelines, stories), ``whoosh_boundary/`` (every private whoosh
access), ``engine`` (the :class:`Index` facade). Ingestion and batch rebuilds live in
``searchcore.index``; the command line in ``searchcore.cli``.
"""

# No ``from __future__ import annotations`` here: it would leave a public
# ``annotations`` name in ``dir(searchcore)`` (tests/test_first_run.py pins the names).

# First, before any whoosh index can be opened: an index folder may hold a pickle,
# never code (see searchcore.whoosh_boundary.safe_pickle).
from searchcore.whoosh_boundary import safe_pickle as _safe_pickle

_safe_pickle.install()

from searchcore.article import Article
from searchcore.engine import Index, create_index, open_index
from searchcore.errors import (IndexCorruptError, IndexExistsError, IndexFormatError,
                               IndexLockedError, IndexNotFoundError, InvalidArticleError,
                               QuerySyntaxError, SearchcoreError, SourceError)
from searchcore.scoring.ranking import RankingConfig
from searchcore.results.types import Hit, Results, Snippet

__version__ = "0.1.0"


def build_index(sources, path, **options):  # type: ignore[no-untyped-def]
    """Full rebuild of the index at ``path`` from ``sources``; see ``searchcore.index.build``."""
    from searchcore.index.build import build_index as _build

    return _build(sources, path, **options)


__all__ = [
    "Article", "Hit", "Index", "IndexCorruptError", "IndexExistsError", "IndexFormatError", "IndexLockedError",
    "IndexNotFoundError", "InvalidArticleError", "QuerySyntaxError", "RankingConfig",
    "Results", "SearchcoreError", "Snippet", "SourceError", "build_index", "create_index",
    "open_index", "__version__",
]
