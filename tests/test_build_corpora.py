"""Every corpus in ../shared/data builds, with every record that has text indexed.

Records with neither title nor body are skipped as ``empty`` by the bad-input rules
(Reuters-21578 has 2,535, Cranfield 2): the count indexed is the line count minus
those, and the build reports no other skip.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

import searchcore

CORPORA = ["20newsgroups-bydate", "ag-news-test", "bbc-news", "cisi", "cranfield",
           "reuters21578", "scifact", "time"]


def _lines_and_empty(path: Path) -> tuple[int, int]:
    lines = empty = 0
    with path.open("rb") as fh:
        for line in fh:
            lines += 1
            record = orjson.loads(line)
            empty += not (record.get("title") or "").strip() and not (record.get("body") or "").strip()
    return lines, empty


@pytest.mark.slow
@pytest.mark.parametrize("corpus", CORPORA)
def test_every_shared_corpus_builds(shared_data: Path, shared_corpus_index, corpus: str) -> None:
    docs = shared_data / corpus / "docs.jsonl"
    lines, empty = _lines_and_empty(docs)
    path, summary = shared_corpus_index(corpus)
    assert summary.read == lines
    assert summary.skipped == ({"empty": empty} if empty else {})
    assert summary.indexed == lines - empty and summary.duplicates == 0
    with searchcore.open_index(path) as ix:
        assert len(ix) == lines - empty == ix.manifest["documents"]
        with docs.open("rb") as fh:
            first = orjson.loads(fh.readline())
        assert ix.get(str(first["id"])) is not None or not (first.get("title") or first.get("body"))
