"""One small adapter per engine, all with the same interface, for the benchmark scripts.

The scripts (``benchmarks/quality.py``, ``speed.py``, ``core_vs_whoosh.py``) put
``benchmarks/`` on ``sys.path`` (Python does that for a script's own folder) and
import ``peers.<name>``. Each module defines ``Engine``, a subclass of
:class:`BaseEngine`, configured the way that engine is normally used:

==============  ==================================================================
module          engine and configuration
==============  ==================================================================
searchcore      this project: ``build_index`` when it exists, else ``create_index`` +
                ``add``; ``search(..., lenient=True)``; defaults from RankingConfig
whoosh_plain    whoosh 2.7.4: StemmingAnalyzer (Porter, English stop words), BM25F
                defaults, MultifieldParser over title+body (OrGroup / AndGroup)
tantivy         tantivy-py: ``en_stem`` tokenizer (Snowball English, no stop words)
                on title+body, title boost 2.0, BM25 k1=1.2 b=0.75 (fixed in tantivy)
sqlite_fts5     stdlib sqlite3 FTS5, ``tokenize='porter unicode61'``, ``bm25()`` with
                column weights title 2.0 / body 1.0, query = OR of quoted words
bm25s           bm25s: title+body as one text, PyStemmer English + stop words "en",
                its defaults (Lucene BM25, k1=1.5, b=0.75); no phrases, no AND
==============  ==================================================================

Queries reach every engine as a list of plain lower-cased words (:func:`words`)
plus a mode (``any``/``all``/``phrase``); each engine applies its own analyzer
to them, as it would to user input. What an engine cannot do it declares in
``Engine.unsupported`` (mode -> reason), and the scripts report the reason.
"""

from __future__ import annotations

import importlib
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator

import orjson

if TYPE_CHECKING:
    from datetime import datetime

#: Engine names in report order (this project first).
ENGINES: tuple[str, ...] = ("searchcore", "whoosh_plain", "tantivy", "sqlite_fts5", "bm25s")
#: Query modes every adapter understands (``snippets`` is a flag, not a mode).
MODES: tuple[str, ...] = ("any", "all", "phrase")

# Letters and digits only: no underscores or punctuation that any query language
# could read as syntax (tantivy and FTS5 both have operators).
_WORD = re.compile(r"[^\W_]+")


def words(text: str) -> list[str]:
    """The plain lower-cased words of ``text``: what a user query becomes for every engine.

    >>> words("0-dimensional biomaterials lack (inductive) properties.")
    ['0', 'dimensional', 'biomaterials', 'lack', 'inductive', 'properties']
    """
    return _WORD.findall(text.lower())


def read_docs(path: str | Path, limit: int | None = None) -> Iterator[dict]:
    """Stream the articles of a ``docs.jsonl`` file (no list: corpora may be large)."""
    with open(path, "rb") as handle:
        for number, line in enumerate(handle):
            if limit is not None and number >= limit:
                return
            if line.strip():
                yield orjson.loads(line)


def month_bounds(month: str) -> tuple["datetime", "datetime"]:
    """``"1987-03"`` -> the first instant of that month and of the next (UTC)."""
    from datetime import datetime, timezone

    year, number = (int(x) for x in month.split("-"))
    start = datetime(year, number, 1, tzinfo=timezone.utc)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=timezone.utc)
    return start, end


def published_of(doc: dict) -> "datetime | None":
    """A corpus article's ``published`` as an aware UTC datetime (None if absent or bad)."""
    from datetime import datetime, timezone

    value = doc.get("published")
    if not value:
        return None
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.replace(tzinfo=timezone.utc) if when.tzinfo is None else when.astimezone(timezone.utc)


def dir_size(path: str | Path) -> int:
    """Bytes of every file under ``path`` (or of ``path`` itself if it is a file)."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


class BaseEngine:
    """The adapter interface. ``path`` is a fresh directory the engine may fill."""

    name = "base"
    #: mode or "snippets" -> why this engine cannot run it (reported, not hidden).
    unsupported: dict[str, str] = {}

    def __init__(self, path: str | Path, **options: object) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self.options = options

    def build(self, docs: Iterable[dict]) -> int:
        """Index ``docs`` (dicts with id, title, body, ...); return how many."""
        raise NotImplementedError

    def build_from_file(self, docs_path: str | Path, limit: int | None = None) -> int:
        """Index a ``docs.jsonl`` file; engines with a file-based bulk loader override this."""
        return self.build(read_docs(docs_path, limit))

    def open(self) -> None:
        """Prepare for searching (a reused searcher, as a server would keep)."""

    def search(self, terms: list[str], mode: str = "any", limit: int = 10,
               snippets: bool = False, month: str | None = None) -> list[tuple[str, float]]:
        """Top ``limit`` ``(doc id, score)`` for ``terms``; with ``snippets``, also make
        highlighted fragments for each hit (the cost is what is measured); with
        ``month`` (``"1987-03"``), only articles published in that month (UTC), as the
        engine's own range query over an indexed date (engines without one say so in
        ``unsupported["month"]``)."""
        raise NotImplementedError

    def size_bytes(self) -> int:
        return dir_size(self.path)

    def index_folder(self) -> Path:
        """The folder holding the index's files (what ``--page-cache`` reads or drops)."""
        return self.path

    def close(self) -> None:
        """Release files and handles."""

    def describe(self) -> str:
        """Version and settings, for the report."""
        return self.name


def load_engine(name: str, path: str | Path, **options: object) -> BaseEngine:
    """Instantiate ``peers.<name>.Engine``; a clear message if its package is missing."""
    if name not in ENGINES:
        raise SystemExit(f"unknown engine {name!r}; choose from {', '.join(ENGINES)}")
    try:
        module = importlib.import_module(f"peers.{name}")
    except ImportError as exc:
        raise SystemExit(f"engine {name!r} needs a package that is not installed ({exc}); "
                         "pip install -e '.[bench]'") from None
    return module.Engine(path, **options)


def cpu_info() -> dict[str, object]:
    """Machine facts for the report: CPU model and core count."""
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": model, "nproc": os.cpu_count()}
