"""Sources cut into pieces, each read by one Dask task.

Files are pieces of their own; a plain (uncompressed) JSON Lines file bigger than
:data:`PIECE_BYTES` is cut into byte ranges that start at line starts, each knowing
the number of its first line, so a bad record is still reported as ``file:line``.
Gzip cannot be read from the middle and a CSV record may span lines, so those stay
whole. Pieces keep the input order: spill files are read back in piece order, which
keeps "the last copy of a duplicate id wins" true across pieces.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

from searchcore.errors import SourceError
from searchcore.index.readers import STDIN, Source, expand_sources

#: Target size of one piece of a big JSON Lines file (about 35,000 news articles).
PIECE_BYTES = 32 << 20


def partition(sources: Sequence[str | os.PathLike[str]], format: str | None = None,
              piece_bytes: int | None = None) -> list[Source]:
    """Every piece to read, in input order. Raises SourceError for what cannot be read.

    ``piece_bytes``: the size to cut big JSON Lines files at (default
    :data:`PIECE_BYTES`). Standard input is refused: the pieces are read on the workers, which cannot see
    this process's standard input.
    """
    if any(os.fspath(s) == STDIN for s in sources):
        raise SourceError("a sharded build reads its sources on the Dask workers, which "
                          "cannot read this process's standard input; save it to a file "
                          "first (on storage the workers share)")
    pieces: list[Source] = []
    for source in expand_sources(list(sources), format):
        pieces.extend(_cut(source, piece_bytes or PIECE_BYTES))
    return pieces


def _cut(source: Source, piece_bytes: int) -> Iterable[Source]:
    if (source.path is None or source.format != "jsonl" or source.compressed
            or source.span is not None):
        return [source]
    size = source.path.stat().st_size
    if size <= piece_bytes:
        return [source]
    starts = _line_starts(source.path, [size * k // -(-size // piece_bytes)
                                        for k in range(1, -(-size // piece_bytes))])
    bounds = [(0, 1)] + starts + [(size, 0)]
    return [Source(source.path, source.name, source.format, False, source.relative,
                   span=(start, end, line))
            for (start, line), (end, _) in zip(bounds, bounds[1:]) if end > start]


def _line_starts(path: Path, targets: list[int]) -> list[tuple[int, int]]:
    """For each byte offset in ``targets`` (increasing), the next line start at or after
    it and that line's 1-based number, in one pass over the file."""
    found: list[tuple[int, int]] = []
    lines = 1                      # number of the line that starts at ``position``
    position = 0
    pending = iter(targets)
    target = next(pending, None)
    try:
        with open(path, "rb") as fh:
            while target is not None:
                block = fh.read(1 << 22)
                if not block:
                    break
                end = position + len(block)
                while target is not None and target < end:
                    # The first newline at or after target - 1 ends the line target is in.
                    cut = block.find(b"\n", max(target - 1 - position, 0))
                    if cut < 0:
                        break                  # in the next block
                    start = position + cut + 1
                    found.append((start, lines + block.count(b"\n", 0, cut + 1)))
                    target = next(pending, None)
                    while target is not None and target < start:
                        target = next(pending, None)
                lines += block.count(b"\n")
                position = end
    except OSError as exc:
        raise SourceError(f"cannot read {str(path)!r}: {exc.strerror}") from None
    # Pieces must not overlap: keep strictly increasing starts.
    out: list[tuple[int, int]] = []
    for start, line in found:
        if not out or start > out[-1][0]:
            out.append((start, line))
    return out
