"""The words an index was built from, with the terms they analyse to.

Stemming a word needs NLTK's Snowball stemmer, and importing NLTK costs ~0.3 s: most
of a cold ``searchcore search WORD``. The bulk writer already analysed every word of
its documents, so it stores them per segment (``MAIN_<segid>.swrd_*.npy``: sorted
UTF-8 words and their terms, an empty term for a stop word, and a meta file with the
analyzer settings). Opening an index registers the tables with the analyzer
(:func:`searchcore.analysis.add_known_words`), so a query of words the index has
seen never imports NLTK; a new word still gets stemmed. The table maps a word exactly
as the analyzer would (the same cache produced it), so answers are identical.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson

from searchcore.analysis import UNKNOWN, add_known_words
from searchcore.execution import blobs
from searchcore.execution.sidefiles import load, write_atomic, write_npy
from searchcore.whoosh_boundary import segments as boundary

_PREFIX = ".swrd_"


def _path(folder: Path, segid: str, name: str) -> Path:
    return folder / f"{segid}{_PREFIX}{name}"


def write_words(folder: Path, segid: str, settings: tuple[str, bool, bool],
                table: dict[str, str | None]) -> None:
    """Store ``word -> term`` (None: a stop word) for a segment."""
    items = sorted((w.encode("utf-8"), (t or "").encode("utf-8")) for w, t in table.items())
    keys, keyoff = blobs.pack([k for k, _ in items])
    vals, valoff = blobs.pack([v for _, v in items])
    for name, array in (("keys.npy", keys), ("keyoff.npy", keyoff), ("vals.npy", vals),
                        ("valoff.npy", valoff)):
        write_npy(_path(folder, segid, name), array)
    language, stem, stop = settings
    write_atomic(_path(folder, segid, "meta.json"), orjson.dumps(
        {"language": language, "stem": stem, "stop": stop, "count": len(items)}))


class WordTable:
    """One segment's words, opened on the first lookup (from any thread: a server's
    searches share the table)."""

    def __init__(self, folder: Path, segid: str) -> None:
        self._folder, self._segid = folder, segid
        #: ``(keys, keyoff, vals, valoff, heads)``, set in one assignment so that a
        #: thread never sees the arrays without their heads.
        self._opened: tuple[np.ndarray, ...] | None = None

    def _open(self) -> tuple[np.ndarray, ...]:
        opened = self._opened
        if opened is None:
            arrays = tuple(load(_path(self._folder, self._segid, name)) for name in
                           ("keys.npy", "keyoff.npy", "vals.npy", "valoff.npy"))
            # The spelling suggestion looks up hundreds of one-edit strings, nearly all
            # unknown: the heads answer most of them with one binary search in C.
            opened = self._opened = arrays + (blobs.heads(arrays[0], arrays[1]),)
        return opened

    def lookup(self, word: str) -> object:
        """The word's term, None for a stop word, or ``UNKNOWN``."""
        try:
            keys, keyoff, vals, valoff, heads = self._open()
        except (OSError, ValueError, IndexError, TypeError):   # a damaged table: unknown
            return UNKNOWN
        i = blobs.find(heads, keys, keyoff, word.encode("utf-8"))
        if i >= 0:
            term = vals[valoff[i]:valoff[i + 1]].tobytes().decode("utf-8")
            return term or None
        return UNKNOWN


def register_index_words(ix: Any) -> int:
    """Register every segment's word table of a whoosh index; returns how many."""
    count = 0
    for folder, segid, _ in boundary.stored_segments(ix):
        try:
            meta = orjson.loads(_path(folder, segid, "meta.json").read_bytes())
        except (FileNotFoundError, orjson.JSONDecodeError):
            continue
        table = WordTable(folder, segid)
        add_known_words(str(meta["language"]), bool(meta["stem"]), bool(meta["stop"]),
                        str(_path(folder, segid, "")), table.lookup)
        count += 1
    return count
