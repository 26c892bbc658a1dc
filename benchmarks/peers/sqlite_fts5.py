"""SQLite FTS5 (Python's stdlib sqlite3): the engine many applications already have.

``CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body,
tokenize='porter unicode61')`` (Porter stemmer, no stop words), filled in one
transaction with ``executemany``. Ranking ``bm25(docs, 0, 2.0, 1.0)`` (column
weights id/title/body; FTS5's k1=1.2, b=0.75). "any" is the OR of the quoted words,
"all" their AND, "phrase" one quoted string. Snippets: ``snippet(docs, 2, ...)``
on the body, 3 fragments' worth of tokens (FTS5 returns one snippet string). Month:
an UNINDEXED ``published`` column (ISO text) compared in the WHERE clause.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Iterable

from peers import BaseEngine, published_of

WEIGHTS = "0, 2.0, 1.0"


class Engine(BaseEngine):
    name = "sqlite_fts5"
    unsupported: dict[str, str] = {}

    def __init__(self, path: str | Path, **options: object) -> None:
        super().__init__(path, **options)
        self.db_path = self.path / "fts.db"
        self.conn: sqlite3.Connection | None = None

    def build(self, docs: Iterable[dict]) -> int:
        conn = sqlite3.connect(self.db_path)
        conn.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, "
                     "published UNINDEXED, tokenize='porter unicode61')")
        count = 0

        def rows():  # type: ignore[no-untyped-def]
            nonlocal count
            for doc in docs:
                count += 1
                yield (str(doc["id"]), doc.get("title") or "", doc.get("body") or "")

        with conn:
            conn.executemany("INSERT INTO docs(id, title, body) VALUES (?, ?, ?)", rows())
        conn.close()
        return count

    def open(self) -> None:
        self.conn = sqlite3.connect(self.db_path)

    @staticmethod
    def match_expression(terms: list[str], mode: str) -> str:
        if mode == "phrase":
            return '"' + " ".join(terms) + '"'
        quoted = [f'"{t}"' for t in terms]
        return (" OR " if mode == "any" else " AND ").join(quoted)

    def search(self, terms: list[str], mode: str = "any", limit: int = 10,
               snippets: bool = False, month: str | None = None) -> list[tuple[str, float]]:
        if not terms:
            return []
        snippet = ", snippet(docs, 2, '[', ']', '...', 30)" if snippets else ""
        where, params = "docs MATCH ?", [self.match_expression(terms, mode)]
        if month is not None:       # ISO text compares in date order
            year, number = (int(x) for x in month.split("-"))
            where += " AND published >= ? AND published < ?"
            params += [f"{month}-01", f"{year + number // 12:04d}-{number % 12 + 1:02d}-01"]
        sql = (f"SELECT id, bm25(docs, {WEIGHTS}) AS s{snippet} FROM docs "
               f"WHERE {where} ORDER BY s LIMIT ?")
        rows = self.conn.execute(sql, (*params, limit)).fetchall()
        return [(row[0], -float(row[1])) for row in rows]   # FTS5: lower is better

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def describe(self) -> str:
        return f"SQLite {sqlite3.sqlite_version} FTS5"
