"""bm25s: BM25 as sparse matrices in numpy (no positions: no phrases, no AND).

Title and body are one text. bm25s's own tokenizer (``\\b\\w\\w+\\b``, lower-case),
its English stop words (``"en"``) and PyStemmer's English (Snowball) stemmer, as its
README shows; its defaults otherwise (``method="lucene"``, k1=1.5, b=0.75). The
whole corpus is tokenised in memory (that is how bm25s works), so its peak memory
includes the texts. Document ids are kept in a side list saved next to the index.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import bm25s as _bm25s
import orjson

from peers import BaseEngine

try:
    import Stemmer  # PyStemmer
except ImportError:      # bm25s still works, unstemmed; reported by describe()
    Stemmer = None


class Engine(BaseEngine):
    name = "bm25s"
    unsupported = {"all": "bm25s scores every query as a bag of words (no AND)",
                   "month": "bm25s has no fields besides the text (no date range)",
                   "phrase": "bm25s keeps no positions (no phrase queries)",
                   "snippets": "bm25s stores no text and has no highlighter"}

    def __init__(self, path: str | Path, **options: object) -> None:
        super().__init__(path, **options)
        self.stemmer = Stemmer.Stemmer("english") if Stemmer is not None else None
        self.retriever: _bm25s.BM25 | None = None
        self.ids: list[str] = []

    def _tokenize(self, texts: list[str], **kwargs: object):  # type: ignore[no-untyped-def]
        return _bm25s.tokenize(texts, stopwords="en", stemmer=self.stemmer,
                               show_progress=False, **kwargs)

    def build(self, docs: Iterable[dict]) -> int:
        texts, ids = [], []
        for doc in docs:
            ids.append(str(doc["id"]))
            texts.append(f"{doc.get('title') or ''}\n{doc.get('body') or ''}")
        retriever = _bm25s.BM25()
        retriever.index(self._tokenize(texts), show_progress=False)
        retriever.save(str(self.path / "bm25s"), show_progress=False)
        (self.path / "ids.json").write_bytes(orjson.dumps(ids))
        return len(ids)

    def open(self) -> None:
        self.retriever = _bm25s.BM25.load(str(self.path / "bm25s"))
        self.ids = orjson.loads((self.path / "ids.json").read_bytes())

    def search(self, terms: list[str], mode: str = "any", limit: int = 10,
               snippets: bool = False, month: str | None = None) -> list[tuple[str, float]]:
        if mode != "any" or snippets or month is not None:
            raise ValueError(self.unsupported.get(mode) or self.unsupported["snippets"])
        query = self._tokenize([" ".join(terms)], return_ids=False)
        k = min(limit, len(self.ids))
        docs, scores = self.retriever.retrieve(query, k=k, show_progress=False)
        return [(self.ids[d], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]

    def describe(self) -> str:
        from importlib.metadata import version
        stem = "PyStemmer english" if self.stemmer is not None else "no stemmer"
        return f"bm25s {version('bm25s')} ({stem})"
