"""``searchcore index check``: read every byte of the index that a search could need.

Opening an index reads only its manifest and table of contents; a truncated postings
file or a damaged stored-fields file shows up later, as a failed search. The check
walks each segment of the live generation: every stored document, every term of
every indexed field and every posting of each term, comparing document frequencies
and document numbers with the segment's own counts and the manifest's total. It
reports each problem in words (segment, field, term) and exits with 1 if there were
any, so it fits a cron job or a CI step after a rebuild.

This is the library-level work a check needs, kept next to its command until the
library grows an ``Index.check()``.
"""

from __future__ import annotations

import gc
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import click
import numpy as np

import searchcore
from searchcore.execution.blocks import verify_segment_blocks
from searchcore.execution.columns import verify_segment_columns
from searchcore.execution.postings import verify_segment_postings
from searchcore.execution.runs import verify_runs
from searchcore.whoosh_boundary.postings import TermPostings, field_postings
from searchcore.cli import output
from searchcore.cli.errors import SearchcoreCommand
from searchcore.cli.options import (common_options, is_tty, json_option, quiet_option,
                                    resolve_index_path)
from searchcore.cli.progress import PhasedProgress

#: Problems listed in full before "... and N more" (all are counted).
MAX_PROBLEMS = 50


@dataclass
class CheckReport:
    """What the check read and what was wrong."""

    path: str
    segments: int = 0
    documents: int = 0
    terms: int = 0
    postings: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0
    #: A sharded index: each shard's figures (name, segments, documents, terms, postings).
    shards: list[dict[str, Any]] = field(default_factory=list)

    def problem(self, message: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(message)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "ok": self.ok, "segments": self.segments,
                "documents": self.documents, "terms": self.terms, "postings": self.postings,
                "seconds": round(self.seconds, 3), "problem_count": self.problem_count,
                "problems": list(self.problems),
                **({"shards": list(self.shards)} if self.shards else {})}

    def format(self) -> str:
        lines = [f"Checked {self.path!r}: {self.segments:,} segment"
                 f"{'s' if self.segments != 1 else ''}, {self.documents:,} documents, "
                 f"{self.terms:,} terms, {self.postings:,} postings in {self.seconds:.1f} s."]
        lines.extend(f"  {s['name']}: {s['segments']:,} segments, {s['documents']:,} documents, "
                     f"{s['terms']:,} terms, {s['postings']:,} postings" for s in self.shards)
        if self.ok:
            lines.append("No problems found.")
        else:
            lines.append(f"{self.problem_count:,} problem{'s' if self.problem_count != 1 else ''}:")
            lines.extend(f"  {p}" for p in self.problems)
            if self.problem_count > len(self.problems):
                lines.append(f"  ... and {self.problem_count - len(self.problems):,} more")
        return "\n".join(lines) + "\n"


#: ``progress(phase, done, total, unit)``: what the check is reading, as it goes.
CheckProgress = Callable[[str, int, "int | None", str], None]
#: Report progress every this many documents or terms (a call per item would cost more
#: than the reporter's own throttle saves).
PROGRESS_EVERY = 256


def _no_progress(phase: str, done: int, total: int | None, unit: str) -> None:
    pass


def _check_segment(reader: Any, name: str, report: CheckReport, seen_ids: dict[str, str],
                   progress: CheckProgress = _no_progress, label: str = "") -> None:
    """Read all stored fields and postings of one segment's ``reader``."""
    total = reader.doc_count_all()
    live = 0
    phase = f"Checking {label or name}"
    for docnum in range(total):
        if docnum % PROGRESS_EVERY == 0:
            progress(phase, docnum, total, "documents")
        try:
            if reader.is_deleted(docnum):
                continue
            fields = reader.stored_fields(docnum)
        except Exception as exc:  # noqa: BLE001 - any failure here is damage to report
            report.problem(f"segment {name}: cannot read stored fields of document "
                           f"{docnum}: {exc!r}")
            continue
        live += 1
        article_id = fields.get("id")
        if not article_id:
            report.problem(f"segment {name}: document {docnum} has no id")
        elif article_id in seen_ids:
            report.problem(f"segment {name}: id {article_id!r} is also live in "
                           f"segment {seen_ids[article_id]}")
        else:
            seen_ids[article_id] = name
    progress(phase, total, total, "documents")
    terms = _TermChecks(report, name, total, progress, f"Checking {label or name},")
    # The side files are input too: a search trusts the arrays once they open. The
    # postings' comparison reads whoosh's postings, and hands each term to ``terms``.
    for verify in (verify_segment_columns, verify_segment_postings, verify_segment_blocks):
        try:
            problems = verify(reader, terms) if verify is verify_segment_postings \
                else verify(reader)
        except Exception as exc:  # noqa: BLE001 - whoosh's own files are damaged: say so
            problems = [f"cannot compare its side files with whoosh's records: {exc!r}"]
        for problem in problems:
            report.problem(f"segment {name}: {problem}")
    if live != reader.doc_count():
        report.problem(f"segment {name}: {live} live documents read, the segment "
                       f"says {reader.doc_count()}")
    report.documents += live
    # Every field the comparison did not read to its end (none, without side files).
    schema = reader.schema
    for fieldname in sorted(set(reader.indexed_field_names()) - terms.read):
        if fieldname not in schema:
            continue
        term = None
        try:
            for term in field_postings(reader, fieldname, with_positions=False):
                terms(fieldname, term)
            terms(fieldname, None)
        except Exception as exc:  # noqa: BLE001
            after = f" after {_term_repr(term.btext)}" if term is not None else ""
            report.problem(f"segment {name}: cannot read the postings of {fieldname}"
                           f"{after}: {exc!r}")


class _TermChecks:
    """whoosh's own postings against its term entries, term by term: a list as long
    as its entry says, of documents in range and in order. A field's figures and
    problems count once it has been read to its end (``(fieldname, None)``), so a
    field whose reading stopped early is read again, and counted once."""

    def __init__(self, report: CheckReport, segment: str, doc_count: int,
                 progress: CheckProgress, phase: str) -> None:
        self.report, self.segment, self.doc_count = report, segment, doc_count
        self.progress, self.phase = progress, phase
        #: Fields read to their end.
        self.read: set[str] = set()
        self._field: str | None = None
        self._terms = self._postings = 0
        self._problems: list[str] = []
        self._seen = 0

    def __call__(self, fieldname: str, term: TermPostings | None) -> None:
        if fieldname != self._field:
            self._field, self._terms, self._postings, self._problems = fieldname, 0, 0, []
        if term is None:
            if fieldname not in self.read:
                self.read.add(fieldname)
                self.report.terms += self._terms
                self.report.postings += self._postings
                for problem in self._problems:
                    self.report.problem(problem)
            self._field = None
            return
        self._seen += 1
        if self._seen % PROGRESS_EVERY == 0:
            self.progress(self.phase, self._seen, None, "terms")
        ids = term.ids
        self._terms += 1
        self._postings += len(ids)
        label = f"{fieldname}:{_term_repr(term.btext)}"
        if len(ids) != term.doc_frequency:
            self._problems.append(f"segment {self.segment}: {label} has {len(ids)} postings, "
                                  f"its entry says {term.doc_frequency}")
        if len(ids) and (ids[0] < 0 or ids[-1] >= self.doc_count
                         or (len(ids) > 1 and not bool(np.all(ids[1:] > ids[:-1])))):
            self._problems.append(f"segment {self.segment}: {label} has postings for "
                                  f"documents outside 0..{self.doc_count - 1} or out of order")


def _term_repr(btext: bytes) -> str:
    try:
        return repr(btext.decode("utf-8"))
    except UnicodeDecodeError:
        return repr(btext)


def check_index(ix: searchcore.Index, progress: CheckProgress = _no_progress) -> CheckReport:
    """Read every segment of ``ix``'s live generation; the problems found, in words.

    ``progress(phase, done, total, unit)`` is called as each segment's documents, then
    its terms, are read (``total`` None where it is not known in advance). A sharded
    index is checked shard by shard (``report.shards``: each one's figures), every
    article must be in the shard its id routes to, and the stories across shards
    must agree with the shards'.
    """
    started = time.perf_counter()
    report = CheckReport(path=str(ix.path))
    seen_ids: dict[str, str] = {}
    shards = getattr(ix, "shards", None)
    if shards is None:
        opened = _check_generation(ix, "", report, seen_ids, progress)
    else:
        from searchcore.sharding.routing import shard_of

        opened = True
        counts = ix.manifest["shards"]["documents"]
        for k, shard in enumerate(ix.live_shards()):
            before = (report.segments, report.documents, report.terms, report.postings)
            ids_before = set(seen_ids)
            opened &= _check_generation(shard, f"{shard.shard} ", report, seen_ids, progress)
            figures = {"name": shard.shard, "segments": report.segments - before[0],
                       "documents": report.documents - before[1],
                       "terms": report.terms - before[2], "postings": report.postings - before[3]}
            report.shards.append(figures)
            if figures["documents"] != counts[k]:
                report.problem(f"{shard.shard}: the manifest says {counts[k]:,} documents, "
                               f"the shard holds {figures['documents']:,}")
            for article_id in set(seen_ids) - ids_before:
                if shard_of(article_id, len(shards)) != k:
                    report.problem(f"{shard.shard}: id {article_id!r} belongs in shard "
                                   f"{shard_of(article_id, len(shards))}")
        from searchcore.sharding import stories

        for problem in stories.verify(ix.path / ix.manifest["generation"],
                                      ix.manifest["shards"]["names"]):
            report.problem(problem)
    expected = ix.manifest.get("documents")
    if opened and isinstance(expected, int) and expected != report.documents:
        report.problem(f"the manifest says {expected:,} documents, the segments hold "
                       f"{report.documents:,}")
    report.seconds = time.perf_counter() - started
    return report


def _check_generation(ix: searchcore.Index, label: str, report: CheckReport,
                      seen_ids: dict[str, str], progress: CheckProgress) -> bool:
    """Check every segment of one whoosh index (a generation or a shard); False if it
    would not open."""
    # whoosh leaks the file of a segment it fails to open; its ResourceWarning would
    # only repeat the problem reported here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            reader = ix.whoosh_index.reader()
        except Exception as exc:  # noqa: BLE001 - a segment that will not open is damage
            report.problem(f"cannot open the segments of {label}{ix.manifest['generation']}: "
                           f"{exc!r}")
            gc.collect()  # free the half-built reader (it sits in a cycle) while warnings are off
            return False
        with reader:
            leaves = reader.leaf_readers()
            for number, (leaf, _offset) in enumerate(leaves, 1):
                segment = getattr(leaf, "segment", lambda: None)()
                name = segment.segment_id() if segment is not None else f"#{number}"
                report.segments += 1
                _check_segment(leaf, f"{label}{name}", report, seen_ids, progress,
                               f"{label}segment {number}/{len(leaves)}")
            try:
                run_problems = verify_runs(reader)
            except Exception as exc:  # noqa: BLE001 - unreadable run files are damage
                run_problems = [f"cannot compare its runs with their segments: {exc!r}"]
            for problem in run_problems:
                report.problem(f"{label}{problem}")
            from searchcore.news.stories import verify_store

            for problem in verify_store(Path(ix.whoosh_index.storage.folder),
                                        reader.generation(), reader.doc_count()):
                report.problem(f"{label}{problem}")
    return True


CHECK_HELP = """Read the whole index and report damage; exit code 1 if there is any.

Reads every stored document and every posting list of every segment, and checks them
against the segments' own counts and the manifest. Progress goes to stderr on a
terminal (-q: none). Fix a damaged index by rebuilding
it with `searchcore index build`.

\b
--json prints {"path", "ok", "segments", "documents", "terms", "postings",
"seconds", "problem_count", "problems": [message, ...]}.

\b
Examples:
  searchcore index check
  searchcore index check --index ./news-index || echo "rebuild needed"
"""


@click.command("check", cls=SearchcoreCommand, help=CHECK_HELP,
               short_help="Verify every segment of the index.")
@json_option
@quiet_option
@common_options
def check_command(as_json: bool, quiet: bool, index_path: str | None) -> None:
    with searchcore.open_index(resolve_index_path(index_path)) as ix, \
            PhasedProgress(enabled=not quiet) as progress:
        report = check_index(ix, progress)
    if as_json:
        output.emit_bytes(output.format_json(report.to_dict(), pretty=is_tty(sys.stdout)))
    else:
        click.echo(report.format(), nl=False)
    if not report.ok:
        raise click.exceptions.Exit(1)
