"""Readers: files, folders and standard input -> raw records with their origin.

Formats (from the file extension, or forced with ``format=``):

========  ==========================================  ==================================
format    extensions                                  one record is
========  ==========================================  ==================================
jsonl     ``.jsonl`` ``.ndjson`` ``.jsonlines``       one JSON object per line
csv       ``.csv``                                    one row; the first row is the header
txt       ``.txt`` ``.text``                          one file: headline line, paragraphs
md        ``.md`` ``.markdown``                       as txt; ``#`` marks and front matter
html      ``.html`` ``.htm`` ``.xhtml``               one page: its article (:mod:`.web.html`)
warc      ``.warc``                                   one 2xx HTML response (:mod:`.web.warc`)
feed      ``.rss`` ``.atom``, ``.xml`` if a feed      one entry (:mod:`.web.feeds`)
========  ==========================================  ==================================

Any of them may be gzip-compressed (``.jsonl.gz``); it is decompressed as it streams.
Standard input is ``"-"`` and is read as JSON Lines unless ``format`` says otherwise.

Why it is built this way:

* Files are read as bytes, line by line, and never whole (except one text article),
  so a 10 GB export streams in constant memory, and one line with invalid UTF-8 costs
  that line only, not the rest of the file.
* Every record carries its origin (``"news.jsonl:12"``, ``"folder/a.txt"``) so that a
  message about it can be acted on without our code.
* Folders are walked recursively in sorted order (hidden entries and symlinked
  folders skipped), so a build is deterministic. Files with other extensions inside a
  folder (images, ``.json`` dumps, notes) are ignored; naming such a file directly is
  an error, since the user clearly meant it. With an explicit ``format``, a folder's
  files whose extension names another format are ignored too (``docs.jsonl`` beside
  a ``README.txt``), and files with unknown extensions are read in that format.
* A UTF-8 byte-order mark at the start of a file and CRLF line endings are accepted
  silently: they are what spreadsheet programs and Windows editors write. A text or
  Markdown article that is not valid UTF-8 is read as Windows-1252 (else Latin-1),
  and the article's ``extra["encoding"]`` and the import summary say so
  (:func:`decode_legacy`); JSON Lines and CSV records must be UTF-8, line by line.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import os
import sys
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from searchcore.errors import SourceError
from searchcore.index.boilerplate import strip_trailing_boilerplate
from searchcore.index.records import RawRecord, Skipped
from searchcore.index.web.pool import PageJob

#: The formats a source can have.
FORMATS = ("jsonl", "csv", "txt", "md", "html", "warc", "feed")
#: Other names accepted for ``format=``.
FORMAT_ALIASES = {"ndjson": "jsonl", "jsonlines": "jsonl", "json-lines": "jsonl",
                  "text": "txt", "markdown": "md", "htm": "html", "rss": "feed",
                  "atom": "feed"}
#: File extensions (lower case) and their format.
EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".jsonlines": "jsonl", ".csv": "csv",
              ".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md",
              ".html": "html", ".htm": "html", ".xhtml": "html", ".warc": "warc",
              ".rss": "feed", ".atom": "feed", ".xml": "feed"}
#: The name ``"-"`` stands for standard input.
STDIN = "-"
STDIN_NAME = "<stdin>"

_BOM = codecs.BOM_UTF8
_FIELD_LIMIT = min(sys.maxsize, 2**31 - 1)


@dataclass(frozen=True)
class Source:
    """One input to read: a file (``path``) or standard input (``path is None``).

    ``name`` is how messages name it (the path as the user gave it, joined with the
    path inside a folder); ``relative`` is the path inside the folder it was found in
    (the file name for files given directly), kept in text articles' ``extra["path"]``.
    """

    path: Path | None
    name: str
    format: str
    compressed: bool = False
    relative: str = ""
    #: Only part of a plain JSON Lines file: ``(first byte, end byte, number of the
    #: first line)``, both bytes at line starts (a sharded build reads a big file in
    #: pieces on several machines; see :mod:`searchcore.sharding.partition`).
    span: tuple[int, int, int] | None = None


def normalize_format(format: str | None) -> str | None:
    """``format`` as one of :data:`FORMATS` (aliases accepted), or ``None``."""
    if format is None:
        return None
    name = format.strip().lower().lstrip(".")
    name = FORMAT_ALIASES.get(name, name)
    if name not in FORMATS:
        raise SourceError(f"unknown format {format!r}: use one of {', '.join(FORMATS)}")
    return name


def detect_format(path: str | os.PathLike[str]) -> tuple[str, bool] | None:
    """``(format, gzip-compressed)`` from the file name, or ``None`` if unknown."""
    name = os.fspath(path).lower()
    compressed = name.endswith(".gz")
    if compressed:
        name = name[:-3]
    fmt = EXTENSIONS.get(os.path.splitext(name)[1])
    return (fmt, compressed) if fmt else None


def expand_sources(sources: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
                   format: str | None = None) -> list[Source]:
    """Every file to read, in order: the sources as given, folders walked and sorted.

    Raises :class:`SourceError` for a missing or unreadable source, a file whose
    format cannot be told, or a folder with nothing to read. This runs before any
    record is read, so such mistakes stop a build before it starts.
    """
    fmt = normalize_format(format)
    if isinstance(sources, (str, os.PathLike)):
        sources = [sources]
    out: list[Source] = []
    for given in sources:
        if isinstance(given, Source):        # already expanded (a piece of a file)
            out.append(given)
            continue
        text = os.fspath(given)
        if text == STDIN:
            out.append(Source(None, STDIN_NAME, fmt or "jsonl", False, STDIN_NAME))
            continue
        path = Path(text)
        if path.is_dir():
            out.extend(_walk(path, text, fmt))
        elif path.exists():
            out.append(_file_source(path, text, fmt, path.name, explicit=True))
        else:
            raise SourceError(f"no such file or folder: {text!r}")
    return out


def _file_source(path: Path, name: str, fmt: str | None, relative: str,
                 explicit: bool) -> Source:
    detected = detect_format(path)
    if fmt is not None:
        compressed = path.name.lower().endswith(".gz")
    elif detected is None:
        known = ", ".join(sorted(EXTENSIONS))
        raise SourceError(
            f"cannot tell the format of {name!r} from its extension (known: {known}, "
            f"optionally .gz); give the format explicitly: --format jsonl on the command "
            f"line, format='jsonl' in Python")
    else:
        fmt, compressed = detected
    if explicit and not os.access(path, os.R_OK):
        raise SourceError(f"cannot read {name!r}: permission denied")
    return Source(path, name, fmt, compressed, relative)


#: Formats with many records a file; formats with one article a file.
RECORD_FORMATS = ("jsonl", "csv")
ARTICLE_FILE_FORMATS = ("txt", "md")


def _walk(root: Path, root_name: str, fmt: str | None) -> list[Source]:
    """The files of a folder to read: :func:`_walk_all`, less the text files that lie
    beside record files when no format is given.

    A dataset folder holds its records (``docs.jsonl``) and its documentation
    (``README.orig.txt``, ``classes.txt``); read as articles, the README would turn up
    in searches. A folder of text articles rarely holds JSON Lines or CSV, so when a
    walk finds record files its ``.txt``/``.md`` files are left out (and
    :func:`mixed_format_notes` names them); ``--format txt`` or naming them reads them.
    """
    found = _walk_all(root, root_name, fmt)
    if fmt is None and any(s.format in RECORD_FORMATS for s in found):
        found = [s for s in found if s.format not in ARTICLE_FILE_FORMATS]
    return found


def _walk_all(root: Path, root_name: str, fmt: str | None) -> list[Source]:
    found: list[tuple[tuple[str, ...], Source]] = []

    def fail(exc: OSError) -> None:
        raise SourceError(f"cannot read folder {exc.filename!r}: {exc.strerror}") from None

    for folder, dirs, files in os.walk(root, onerror=fail):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel_folder = os.path.relpath(folder, root)
        for file in files:
            if file.startswith("."):
                continue
            detected = detect_format(file)
            if detected is None and fmt is None:
                continue
            if fmt is not None and detected is not None and detected[0] != fmt:
                continue             # a README.txt beside docs.jsonl, with --format jsonl
            rel = file if rel_folder == "." else os.path.join(rel_folder, file)
            path = Path(folder, file)
            source = _file_source(path, os.path.join(root_name, rel), fmt,
                                  Path(rel).as_posix(), explicit=False)
            found.append((Path(rel).parts, source))
    if not found:
        kinds = "files" if fmt else f"{', '.join(sorted(EXTENSIONS))} files"
        raise SourceError(f"folder {root_name!r} contains no {kinds} to read")
    found.sort(key=lambda item: item[0])
    return [source for _, source in found]


def mixed_format_notes(sources: Iterable[str | os.PathLike[str]], format: str | None = None
                       ) -> list[str]:
    """A note for each folder whose files are of more than one format.

    A dataset folder often holds its records (``docs.jsonl``) beside a README or a
    label list (``.txt``): those text files are left out (see :func:`_walk`) and the
    note names them. Other mixes (JSON Lines and CSV) are read as each extension says,
    and the note says how to read only the main format. Nothing to say when
    ``format`` is given (only files of that format are read).
    """
    if format is not None:
        return []
    notes = []
    for given in sources:
        text = os.fspath(given)
        if text == STDIN or not Path(text).is_dir():
            continue
        everything = _walk_all(Path(text), text, None)
        read = {s.relative for s in _walk(Path(text), text, None)}
        left_out = [s.relative for s in everything if s.relative not in read]
        if left_out:
            shown = ", ".join(left_out[:3]) + (f", ... ({len(left_out) - 3} more)"
                                               if len(left_out) > 3 else "")
            noun = "file" if len(left_out) == 1 else "files"
            notes.append(f"folder {text!r} holds record files (JSON Lines/CSV): its "
                         f"{len(left_out)} text {noun} beside them ({shown}) are taken for "
                         f"documentation and not read; name them, or use --format txt, "
                         f"to index them as articles.")
        by_format: dict[str, list[str]] = {}
        size: dict[str, int] = {}
        for source in everything:
            if source.relative not in read:
                continue
            by_format.setdefault(source.format, []).append(source.relative)
            size[source.format] = size.get(source.format, 0) + _size(source.path)
        if len(by_format) < 2:
            continue
        # The format holding most of the bytes is the collection; the rest are extras.
        ranked = sorted(by_format.items(), key=lambda kv: (-size[kv[0]], kv[0]))
        main = ranked[0][0]
        others = []
        for fmt, files in ranked:
            shown = ", ".join(files[:3]) + (f", ... ({len(files) - 3} more)" if len(files) > 3 else "")
            noun = "file" if len(files) == 1 else "files"
            others.append(f"{len(files)} {fmt} {noun} ({shown})")
        notes.append(f"folder {text!r} mixes formats: {'; '.join(others)}. Each is read "
                     f"as its extension says; --format {main} reads only the {main} files.")
    return notes


def _size(path: Path | None) -> int:
    try:
        return path.stat().st_size if path is not None else 0
    except OSError:
        return 0


# -- opening -------------------------------------------------------------------------
def open_source(source: Source, stdin: IO[bytes] | None = None) -> IO[bytes]:
    """A binary stream over ``source`` (decompressed). Raises ``OSError``."""
    if source.path is None:
        stream = stdin if stdin is not None else _stdin_bytes()
        raw: IO[bytes] = stream
    else:
        raw = open(source.path, "rb")
    if source.compressed and source.format != "warc":    # fastwarc reads gzip itself
        return gzip.GzipFile(fileobj=raw, mode="rb") if source.path is None \
            else _GzipOwner(raw)
    return raw


def _stdin_bytes() -> IO[bytes]:
    stream = sys.stdin
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        return buffer
    # A text-only stdin (some embedding environments): re-encode what it gives.
    import io
    return io.BytesIO(stream.read().encode("utf-8"))


class _GzipOwner(gzip.GzipFile):
    """A GzipFile that also closes the file it reads from."""

    def __init__(self, raw: IO[bytes]) -> None:
        super().__init__(fileobj=raw, mode="rb")
        self._raw = raw

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._raw.close()


# -- reading -------------------------------------------------------------------------
def read_source(source: Source, *, csv_columns: Mapping[str, str | None] | None = None,
                boilerplate: frozenset[str] | Iterable[str] | None = None,
                encoding_errors: str = "strict", max_bytes: int | None = None,
                stdin: IO[bytes] | None = None,
                deferred: bool = False) -> Iterator[RawRecord | Skipped | PageJob]:
    """Raw records of one source; a file that breaks mid-way ends with ``unreadable``.

    ``max_bytes`` refuses a line (JSONL) or file (text) longer than that many bytes
    without parsing it: such a record cannot be under the article size limit.
    ``deferred=True`` yields web pages as :class:`~.web.pool.PageJob` for the caller
    to extract (in worker processes, :func:`~.web.pool.resolve`).
    """
    name = source.name
    line = 0
    try:
        stream = open_source(source, stdin)
    except OSError as exc:
        yield Skipped.make(name, "unreadable", f"cannot open: {exc.strerror or exc}")
        return
    try:
        if source.format == "jsonl":
            lines: Iterable[bytes] = stream
            first = 1
            if source.span is not None:
                lines, first = _span_lines(stream, *source.span[:2]), source.span[2]
            reader: Iterator[RawRecord | Skipped] = read_jsonl(
                lines, name, encoding_errors=encoding_errors, max_bytes=max_bytes,
                first_line=first)
        elif source.format == "csv":
            reader = read_csv(stream, name, csv_columns, encoding_errors=encoding_errors)
        elif source.format in ("html", "warc", "feed"):
            reader = _read_web(source, stream, max_bytes)
        else:
            reader = iter([read_text(stream, name, source.relative,
                                     markdown=source.format == "md",
                                     boilerplate=boilerplate,
                                     encoding_errors=encoding_errors,
                                     max_bytes=max_bytes)])
        for item in reader:
            line += 1
            yield item.run() if type(item) is PageJob and not deferred else item
    except (OSError, EOFError, zlib.error) as exc:
        where = f"after record {line:,}" if line else "at the start"
        yield Skipped.make(name, "unreadable", f"file is damaged {where}: {exc}")
    finally:
        if source.path is not None:
            stream.close()


def _read_web(source: Source, stream: IO[bytes],
              max_bytes: int | None) -> Iterator[PageJob | RawRecord | Skipped]:
    """The web formats' readers (imported here: they load trafilatura, fastwarc...)."""
    if source.format == "warc":
        from searchcore.index.web.warc import read_warc
        return read_warc(stream, source.name, max_bytes=max_bytes)
    if source.format == "feed":
        from searchcore.index.web.feeds import read_feed
        plain = source.relative.lower().removesuffix(".gz")
        return read_feed(stream, source.name, require_feed=not plain.endswith(".xml"),
                         max_bytes=max_bytes)
    data = stream.read(max_bytes + 1) if max_bytes is not None else stream.read()
    if max_bytes is not None and len(data) > max_bytes:
        return iter([Skipped.make(source.name, "too-large",
                                  f"file is over {max_bytes:,} bytes, too large for an "
                                  f"article under the size limit; not read", "body")])
    return iter([PageJob(data, source.name, extra={"path": source.relative})])


def _span_lines(stream: IO[bytes], start: int, end: int) -> Iterator[bytes]:
    """The lines of ``stream`` from byte ``start`` (a line start) up to byte ``end``."""
    stream.seek(start)
    position = start
    for line in stream:
        if position >= end:
            return
        position += len(line)
        yield line


def read_jsonl(stream: Iterable[bytes], name: str, *, encoding_errors: str = "strict",
               max_bytes: int | None = None,
               first_line: int = 1) -> Iterator[RawRecord | Skipped]:
    """One raw record per non-blank line; line numbers are 1-based (the first line of
    ``stream`` is ``first_line``: a piece of a file keeps the file's numbers).

    The fast path is one ``orjson.loads`` per line; only a line that fails is looked
    at again to tell blank lines (ignored), invalid UTF-8 and broken JSON apart.
    """
    loads = orjson.loads
    decode_error = orjson.JSONDecodeError
    for number, line in enumerate(stream, first_line):
        if number == 1 and line.startswith(_BOM):
            line = line[3:]
        if max_bytes is not None and len(line) > max_bytes:
            yield Skipped.make(f"{name}:{number}", "too-large",
                               f"line is {len(line):,} bytes, too large for an article "
                               f"under the size limit; not parsed")
            continue
        try:
            yield RawRecord(f"{name}:{number}", loads(line))
            continue
        except decode_error as exc:
            error = exc
        if line.startswith(_BOM):
            # Concatenated exports (cat a.jsonl b.jsonl) carry each file's BOM inside.
            try:
                yield RawRecord(f"{name}:{number}", loads(line[3:]))
                continue
            except decode_error:
                line = line[3:]
        if not line.strip():
            continue
        origin = f"{name}:{number}"
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as exc:
            if encoding_errors == "strict":
                yield _utf8_skip(origin, line, exc)
                continue
            try:
                yield RawRecord(origin, loads(line.decode("utf-8", errors=encoding_errors)))
                continue
            except decode_error as again:
                error = again
        if "end of data" in error.msg:
            detail = "broken JSON: the line ends before the object does"
        else:
            detail = f"broken JSON at column {error.colno}: {error.msg}"
        yield Skipped.make(origin, "broken-json", detail)


def _utf8_skip(origin: str, data: bytes, exc: UnicodeDecodeError,
               line: int | None = None, field: str | None = None) -> Skipped:
    """The message for invalid UTF-8: the byte, where it is, and the field if known."""
    where = f"line {line}, " if line is not None else ""
    start = data.rfind(b"\n", 0, exc.start) + 1
    column = len(data[start:exc.start].decode("utf-8", errors="replace")) + 1
    if field is None and line is None:
        field = _json_field_with_replacement(data)
    in_field = f"in field {field!r} " if field else ""
    return Skipped.make(origin, "invalid-utf8",
                        f"invalid UTF-8 byte 0x{data[exc.start]:02x} {in_field}at "
                        f"{where}column {column}", field)


def _json_field_with_replacement(line: bytes) -> str | None:
    """The top-level field of a JSON line whose text holds the undecodable bytes."""
    try:
        data = orjson.loads(line.decode("utf-8", errors="replace"))
    except orjson.JSONDecodeError:
        return None
    if isinstance(data, dict):
        for key, value in data.items():
            if "\ufffd" in orjson.dumps(value).decode("utf-8"):
                return str(key)
    return None


def read_csv(stream: IO[bytes], name: str,
             columns: Mapping[str, str | None] | None = None, *,
             encoding_errors: str = "strict") -> Iterator[RawRecord | Skipped]:
    """One raw record per row, keyed by the header row renamed through ``columns``.

    ``columns`` maps header names to article fields (``{"headline": "title"}``); a
    value of ``None`` drops the column. Unmapped columns keep their name, which
    ``normalize_article`` then matches against its aliases (``headline``, ``text``,
    ``date``...), so most exports need no mapping. Empty cells count as absent.
    Quoted fields may span lines; the origin is the line where the row starts.
    """
    # The default limit (128 KiB a field) is below a long article; the setting is
    # process-wide in the csv module, and raising it harms no other reader.
    csv.field_size_limit(_FIELD_LIMIT)
    bad_lines: dict[int, tuple[bytes, UnicodeDecodeError]] = {}

    def lines() -> Iterator[str]:
        for number, raw in enumerate(stream, 1):
            if number == 1 and raw.startswith(_BOM):
                raw = raw[3:]
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                if encoding_errors == "strict":
                    bad_lines[number] = (raw, exc)
                    yield raw.decode("utf-8", errors="replace")
                else:
                    yield raw.decode("utf-8", errors=encoding_errors)

    reader = csv.reader(lines())
    header: list[str | None] | None = None
    previous = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            start, previous = previous + 1, reader.line_num
            yield Skipped.make(f"{name}:{start}", "broken-csv", f"broken CSV: {exc}")
            continue
        start, previous = previous + 1, reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        origin = f"{name}:{start}"
        bad = [n for n in range(start, reader.line_num + 1) if n in bad_lines]
        if header is None:
            if bad:
                raw, exc = bad_lines[bad[0]]
                raise SourceError(f"{name}:{bad[0]}: the header row is not valid UTF-8 "
                                  f"(byte 0x{raw[exc.start]:02x})")
            header = _csv_header(row, name, columns or {})
            continue
        if bad:
            raw, exc = bad_lines[bad[0]]
            field = next((cell_name for cell_name, cell in zip(header, row)
                          if "\ufffd" in cell), None)
            yield _utf8_skip(origin, raw, exc, line=bad[0], field=field)
            continue
        if len(row) > len(header):
            yield Skipped.make(origin, "broken-csv",
                               f"row has {len(row)} fields but the header has "
                               f"{len(header)}")
            continue
        data: dict[str, Any] = {}
        for key, value in zip(header, row):
            if key is not None and value != "":
                # Quoted cells keep the file's line endings; text elsewhere uses "\n".
                data[key] = value.replace("\r\n", "\n") if "\r" in value else value
        yield RawRecord(origin, data)


def _csv_header(row: list[str], name: str,
                columns: Mapping[str, str | None]) -> list[str | None]:
    header = [cell.strip() for cell in row]
    missing = [col for col in columns if col not in header]
    if missing:
        raise SourceError(f"{name}: column(s) {', '.join(map(repr, missing))} of the "
                          f"column mapping are not in the header {header!r}")
    return [columns[cell] if cell in columns else cell for cell in header]


# -- text articles -------------------------------------------------------------------
def read_text(stream: IO[bytes], name: str, relative: str, *, markdown: bool = False,
              boilerplate: frozenset[str] | Iterable[str] | None = None,
              encoding_errors: str = "strict",
              max_bytes: int | None = None) -> RawRecord | Skipped:
    """One text file as one raw record (see :func:`parse_text_article`)."""
    data = stream.read(max_bytes + 1) if max_bytes is not None else stream.read()
    if max_bytes is not None and len(data) > max_bytes:
        return Skipped.make(name, "too-large",
                            f"file is over {max_bytes:,} bytes, too large for an article "
                            f"under the size limit; not read", "body")
    if data.startswith(_BOM):
        data = data[3:]
    assumed = None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if encoding_errors != "strict":
            text = data.decode("utf-8", errors=encoding_errors)
        elif b"\x00" in data:        # binary, not text in another encoding
            return _utf8_skip(name, data, exc, line=data.count(b"\n", 0, exc.start) + 1)
        else:
            text, assumed = decode_legacy(data)
    record = parse_text_article(text, markdown=markdown, boilerplate=boilerplate)
    record["extra"] = {"path": relative} | ({"encoding": assumed} if assumed else {})
    return RawRecord(name, record)


#: What a text file that is not UTF-8 is read as, in this order.
LEGACY_ENCODINGS = ("cp1252", "latin-1")


def decode_legacy(data: bytes) -> tuple[str, str]:
    """``(text, encoding)`` of a text file that is not valid UTF-8.

    A text article saved by an older Windows or Mac editor is Windows-1252 (curly
    quotes at 0x93/0x94, the euro at 0x80) or Latin-1, its subset but for the C1
    range; UTF-8 is tried first, so this only sees files that UTF-8 rejects, and
    short byte sequences that are valid UTF-8 by accident are vanishingly rare in
    real text. Windows-1252 leaves five bytes undefined; a file using them is Latin-1,
    which decodes every byte. The caller records which one was assumed.
    """
    for encoding in LEGACY_ENCODINGS[:-1]:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return data.decode(LEGACY_ENCODINGS[-1]), LEGACY_ENCODINGS[-1]


def parse_text_article(text: str, *, markdown: bool = False,
                       boilerplate: frozenset[str] | Iterable[str] | None = None,
                       ) -> dict[str, Any]:
    """Title and body of a plain-text or Markdown article.

    The first non-empty line is the headline (for Markdown without its ``#`` marks or
    ``===`` underline); the rest are paragraphs separated by blank lines, joined by
    one blank line, with trailing boilerplate removed (:mod:`.boilerplate`). Markdown
    front matter (``---`` lines around ``key: value`` pairs) supplies fields such as
    ``title``, ``date``, ``source``, ``url``, ``author`` and ``tags``.

    >>> parse_text_article("# Big news\\n\\nFirst.\\n\\nLeave a Comment", markdown=True)
    {'title': 'Big news', 'body': 'First.'}
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    record: dict[str, Any] = {}
    if markdown:
        fields, lines = _front_matter(lines)
        record.update(fields)
    lines = strip_trailing_boilerplate(lines, boilerplate)
    first = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    headline = lines[first].strip() if first < len(lines) else ""
    rest = lines[first + 1:]
    if markdown and headline:
        if rest and rest[0].strip() and set(rest[0].strip()) <= {"=", "-"}:
            rest = rest[1:]                       # setext underline
        headline = _markdown_heading(headline)
    if "title" in record:
        if headline and headline != str(record["title"]).strip():
            rest = lines[first:]                  # the first line is body text
    else:
        record["title"] = headline
    record["body"] = _paragraphs(rest)
    return record


def _markdown_heading(line: str) -> str:
    line = line.lstrip("#").strip()
    if line.endswith("#"):
        line = line.rstrip("#").rstrip()
    line = line.replace("**", "").replace("__", "").replace("`", "")
    if len(line) > 2 and line[0] == line[-1] and line[0] in "*_":
        line = line[1:-1].strip()
    return line


def _paragraphs(lines: list[str]) -> str:
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        line = line.strip()
        if line:
            current.append(line)
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return "\n\n".join(paragraphs)


def _front_matter(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    """``key: value`` pairs between a first ``---`` line and the next ``---``/``...``."""
    if not lines or lines[0].strip() != "---":
        return {}, lines
    for end in range(1, min(len(lines), 200)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        return {}, lines
    fields: dict[str, str] = {}
    for line in lines[1:end]:
        key, sep, value = line.partition(":")
        if not sep or not key.strip() or line[:1].isspace():
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif value.startswith("[") and value.endswith("]"):
            value = ",".join(v.strip().strip("'\"") for v in value[1:-1].split(","))
        if value:
            fields[key.strip().lower()] = value
    return fields, lines[end + 1:]


# -- counting --------------------------------------------------------------------------
def count_lines(path: Path, chunk: int = 1 << 20) -> int:
    """Lines in a plain file (a last line without newline counts), without parsing."""
    count = 0
    last = b"\n"
    with open(path, "rb") as f:
        while block := f.read(chunk):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")
