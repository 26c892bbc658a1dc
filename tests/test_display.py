"""Display records: what a hit shows, read without whoosh's stored fields, equal to them.

Checked on a real index with bulk-written segments, whoosh-written ones (small adds),
replacements and deletions; and an index whose segments lost their records falls
back to the stored fields.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import bbc_articles, seed_article
from test_columns import dated

import searchcore
from searchcore.execution.display import FIELDS, display_fields


@pytest.fixture(scope="module")
def mixed_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("display") / "index"
    articles = dated(bbc_articles())
    with searchcore.create_index(path) as ix:
        ix.add(articles[:150])                        # the bulk writer
        ix.add(articles[150:170])                     # whoosh's writer
        ix.add(articles[10:13])                       # replacements: deletions
        ix.add([seed_article()])
        ix.delete([articles[40]["id"]])
    return path


def test_records_equal_the_stored_fields(mixed_index: Path) -> None:
    with searchcore.open_index(mixed_index) as ix:
        searcher = ix.searcher()
        assert len(searcher.leaf_searchers()) > 1
        for docnum in range(searcher.doc_count_all()):
            stored = searcher.stored_fields(docnum)
            shown = display_fields(searcher, docnum)
            for name in FIELDS:
                assert shown.get(name) == stored.get(name), (docnum, name)


def _hits(ix: searchcore.Index, query: str, snippets: int) -> list[tuple]:
    res = ix.search(query, snippets=snippets, limit=30)
    return [(h.id, h.score, h.title, h.url, h.source, h.published, h.authors, h.category)
            for h in res.hits]


@pytest.mark.parametrize("query", ["tax", "government OR election", '"prime minister"'])
def test_hits_are_the_same_with_and_without_records(mixed_index: Path, tmp_path: Path,
                                                     query: str) -> None:
    with searchcore.open_index(mixed_index) as ix:
        shown = _hits(ix, query, 0)
        assert shown and shown == _hits(ix, query, 1)
    # Without the record files every hit comes from the stored fields, the same.
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(mixed_index, copy)
    for path in copy.rglob("*.sdsp_*"):
        path.unlink()
    with searchcore.open_index(copy) as ix:
        assert _hits(ix, query, 0) == shown
