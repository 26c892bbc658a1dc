"""searchcore, this project, through its public library API only.

Indexing uses the parallel ``searchcore.build_index`` when ``searchcore.index.build``
exists (the batch path users run for big imports), otherwise ``create_index`` +
``add`` (the stock whoosh writer). ``options``: ``workers`` for build_index,
``ranking`` (a RankingConfig) for searches, ``library_add=True`` to force
``create_index`` + ``add``, ``suggest=True`` to make the spelling suggestion too,
``index=PATH`` to search an existing index instead of building one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import searchcore

from peers import BaseEngine, read_docs


def fast_builder():  # type: ignore[no-untyped-def]
    """``searchcore.index.build.build_index`` if it exists yet, else None."""
    try:
        from searchcore.index.build import build_index
    except ImportError:
        return None
    return build_index


class Engine(BaseEngine):
    name = "searchcore"
    unsupported: dict[str, str] = {}

    def __init__(self, path: str | Path, **options: object) -> None:
        super().__init__(path, **options)
        self.index_path = self.path / "index"
        self.ix: searchcore.Index | None = None
        self.method = "create_index+add"

    def build(self, docs: Iterable[dict]) -> int:
        # Index.add refuses a whole batch for one article with neither title nor body
        # (Cranfield has two); such an article can match no query, so drop it here.
        self.method = "create_index+add"
        with searchcore.create_index(self.index_path) as ix:
            return ix.add(d for d in docs if (d.get("title") or "").strip()
                          or (d.get("body") or "").strip())

    def build_from_file(self, docs_path: str | Path, limit: int | None = None) -> int:
        if self.options.get("index"):          # an index built before: search it as is
            self.index_path = Path(str(self.options["index"]))
            self.method = "existing index"
            with searchcore.open_index(self.index_path) as ix:
                return len(ix)
        builder = None if self.options.get("library_add") or limit is not None else fast_builder()
        if builder is None:
            return self.build(read_docs(docs_path, limit))
        self.method = "build_index"
        kwargs = {}
        if self.options.get("workers"):
            kwargs["workers"] = self.options["workers"]
        builder([str(docs_path)], self.index_path, **kwargs)
        with searchcore.open_index(self.index_path) as ix:
            return len(ix)

    def open(self) -> None:
        self.ix = searchcore.open_index(self.index_path)

    def search(self, terms: list[str], mode: str = "any", limit: int = 10,
               snippets: bool = False, month: str | None = None) -> list[tuple[str, float]]:
        assert self.ix is not None, "call open() first"
        if mode == "phrase":
            text, match = '"' + " ".join(terms) + '"', "all"
        else:
            text, match = " ".join(terms), mode
        if month is not None:       # the query language's month range on ``published``
            joined = (" OR " if match == "any" else " AND ").join(terms)
            text, match = f"({joined}) published:{month}", "all"
        # Top N only, like every peer here (none counts all matches): exact_total=False.
        # core_vs_whoosh.py compares the counting path with whoosh counting too. No
        # "did you mean" (no peer makes one; the ``suggest`` option measures it alone).
        results = self.ix.search(text, limit=limit, match=match, lenient=True,
                                 snippets=3 if snippets else 0, exact_total=False,
                                 suggest=bool(self.options.get("suggest", False)),
                                 ranking=self.options.get("ranking"))  # type: ignore[arg-type]
        return [(hit.id, hit.score or 0.0) for hit in results.hits]

    def size_bytes(self) -> int:
        # The live generation only (a rebuild may leave an older one behind briefly).
        from peers import dir_size
        return dir_size(self.index_path)

    def index_folder(self) -> Path:
        return self.index_path

    def close(self) -> None:
        if self.ix is not None:
            self.ix.close()
            self.ix = None

    def describe(self) -> str:
        return f"searchcore {searchcore.__version__} ({self.method})"
