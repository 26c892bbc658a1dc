"""``searchcore index ...``: build, add, delete, stats (``check`` is in check_cmd).

Writers (build, add, delete) take the index-wide write lock; when another writer holds
it they wait ``--lock-timeout`` seconds, then fail with ``Error: the index is locked
...`` and exit code 1, leaving the index as it was.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, TypeVar

import click

import searchcore
from searchcore.cli import output
from searchcore.cli.check_cmd import check_command
from searchcore.cli.errors import SearchcoreGroup
from searchcore.cli.options import (CONTEXT_SETTINGS, common_options, is_tty, json_option,
                                    lock_timeout_option, quiet_option, resolve_index_path,
                                    version_option)
from searchcore.cli.progress import ProgressReporter

F = TypeVar("F", bound=Callable[..., Any])

SOURCE_FORMATS = ("jsonl", "csv", "txt", "md", "html", "warc", "feed")


@click.group("index", cls=SearchcoreGroup, context_settings=CONTEXT_SETTINGS,
             short_help="Build, update and inspect the index.")
@version_option
def index_group() -> None:
    """Build, update and inspect the index.

    \b
    Examples:
      searchcore index build news/*.jsonl.gz archive/ --index ./news-index
      searchcore index add today.jsonl
      searchcore index stats
    """


def _csv_columns(ctx: click.Context, param: click.Parameter,
                 values: tuple[str, ...]) -> dict[str, str | None] | None:
    columns: dict[str, str | None] = {}
    for value in values:
        name, sep, target = value.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected COLUMN=FIELD (e.g. headline=title), got {value!r}")
        columns[name.strip()] = target.strip() or None
    return columns or None


def ingest_options(f: F) -> F:
    """Options shared by ``build`` and ``add``: how to read the sources."""
    decorators = [
        click.argument("sources", nargs=-1, required=True, metavar="SOURCE..."),
        click.option("--format", "fmt", type=click.Choice(SOURCE_FORMATS),
                     help="Read every source as this format [default: from the extension; "
                          "jsonl for -]."),
        click.option("--csv-column", "csv_columns", multiple=True, metavar="COLUMN=FIELD",
                     callback=_csv_columns,
                     help="Map a CSV column to an article field (headline=title); "
                          "COLUMN= drops it. Repeatable."),
        click.option("--boilerplate", multiple=True, metavar="LINE",
                     help="A trailing line to remove from text articles (repeatable; "
                          "replaces the default list)."),
        click.option("--keep-boilerplate", is_flag=True,
                     help="Remove no trailing lines from text articles."),
        click.option("--strict", is_flag=True,
                     help="Stop at the first bad record and change nothing "
                          "(default: skip it and report it)."),
        click.option("--errors", "errors_file", type=click.Path(dir_okay=False, writable=True),
                     metavar="FILE",
                     help="Write every skipped record to FILE as a JSON line {file, line, "
                          "reason, message, field} (the summary shows the first 20)."),
        click.option("--language", metavar="NAME", help="Language of the articles (stemming, stop words) "
                                        "[default: the index's, else english]."),
        json_option,
        quiet_option,
        lock_timeout_option,
        common_options,
    ]
    for decorator in reversed(decorators):
        f = decorator(f)
    return f


def _ingest_setup(sources: tuple[str, ...], fmt: str | None,
                  csv_columns: dict[str, str | None] | None, boilerplate: tuple[str, ...],
                  keep_boilerplate: bool, strict: bool, lock_timeout: float, quiet: bool,
                  index_path: str | None) -> tuple[Path, dict[str, Any]]:
    """What build and add share before reading: the index path, the ingestion
    options, and the note about folders that mix formats."""
    path = resolve_index_path(index_path)
    kwargs: dict[str, Any] = {"format": fmt, "csv_columns": csv_columns, "strict": strict,
                              "lock_timeout": lock_timeout}
    if keep_boilerplate:
        kwargs["boilerplate"] = ()
    elif boilerplate:
        kwargs["boilerplate"] = list(boilerplate)
    _note_mixed_formats(sources, fmt, quiet)
    return path, kwargs


def _note_mixed_formats(sources: tuple[str, ...], fmt: str | None, quiet: bool) -> None:
    """Say before reading when a folder mixes formats (a README.txt read as an article)."""
    if quiet:
        return
    from searchcore.errors import SearchcoreError
    from searchcore.index.readers import mixed_format_notes

    try:
        notes = mixed_format_notes(sources, fmt)
    except SearchcoreError:
        return                       # the build itself reports a bad source
    for note in notes:
        click.echo(f"Note: {note}", err=True)


def _report(summary: Any, as_json: bool, quiet: bool, path: Any, verb: str) -> None:
    """The ingestion summary: JSON on stdout with --json, else lines on stderr."""
    if as_json:
        output.emit_bytes(output.format_json(summary.to_dict(), pretty=is_tty(sys.stdout)))
    elif not quiet:
        click.echo(summary.format(), err=True)
        click.echo(f"{verb} {str(path)!r}.", err=True)


BUILD_HELP = """Build the index from SOURCE... (files, folders, or - for standard input).

Replaces the whole index: the new one is built beside the old, which keeps answering
searches until the switch. Formats: JSON Lines (.jsonl, .jsonl.gz), CSV (.csv), plain
text and Markdown articles (.txt, .md: headline on the first line), web pages (.html,
.htm, .html.gz: the article text and metadata), web archives (.warc, .warc.gz: the
2xx HTML responses; other records are left out and counted by reason) and RSS/Atom
feeds (.rss, .atom, .xml: one article per entry). Folders are read
recursively; with --format, only a folder's files of that format. Bad records are
skipped with a message naming file and line (--errors FILE writes every one as a JSON
line); --strict stops at the first one instead.
A progress bar (on a terminal) and a summary go to stderr; -q prints neither.

\b
--json prints the summary on stdout instead: {"read", "indexed", "skipped":
{reason: count}, "skipped_total", "duplicates", "seconds", "docs_per_sec",
"messages": [the first skip messages], "errors_file"}.

\b
Examples:
  searchcore index build news.jsonl.gz
  searchcore index build articles/ --format txt --index ./news-index
  searchcore index build CC-NEWS-20240101.warc.gz saved-pages/ feeds/
  zcat dump.jsonl.gz | searchcore index build - --language german
  searchcore index build archive/ --shards 8                      # Dask LocalCluster here
  searchcore index build /shared/archive/ --shards 32 --scheduler tcp://head:8786 \
      --index /shared/news-index                                # an existing Dask cluster

--shards N builds N shards as Dask tasks (pip install 'searchcore[dask]'), on a
LocalCluster of --workers processes, or on the cluster of --scheduler; the sources
and the index must then be on storage every worker shares (checked).
"""


@index_group.command("build", help=BUILD_HELP, short_help="Build the index from sources.")
@ingest_options
@click.option("-w", "--workers", type=click.IntRange(min=1), metavar="N",
              help="Worker processes [default: one per CPU].")
@click.option("--shards", type=click.IntRange(min=1), metavar="N",
              help="Build a sharded index of N shards with Dask (see above).")
@click.option("--scheduler", metavar="ADDRESS",
              help="A running Dask scheduler (tcp://HOST:PORT) for --shards "
                   "[default: a LocalCluster here].")
def build_command(sources: tuple[str, ...], fmt: str | None,
                  csv_columns: dict[str, str | None] | None, boilerplate: tuple[str, ...],
                  keep_boilerplate: bool, strict: bool, language: str | None, as_json: bool,
                  quiet: bool, lock_timeout: float, index_path: str | None,
                  errors_file: str | None, workers: int | None, shards: int | None,
                  scheduler: str | None) -> None:
    from searchcore.index.build import build_index

    if scheduler and not shards:
        raise click.UsageError("--scheduler runs a sharded build: give --shards N too")
    path, kwargs = _ingest_setup(sources, fmt, csv_columns, boilerplate, keep_boilerplate,
                                 strict, lock_timeout, quiet, index_path)
    kwargs["errors"] = errors_file
    if shards:
        kwargs.update(shards=shards, scheduler=scheduler)
    with ProgressReporter("Indexing", enabled=not quiet) as progress:
        summary = build_index(list(sources), path, language=language, workers=workers,
                              progress=progress, **kwargs)
    _report(summary, as_json, quiet, path, "Built")


ADD_HELP = """Add articles from SOURCE... to the index, replacing those with the same id.

Sources and options are as for `searchcore index build`. The whole batch is read and
checked first, then written in one commit: searches see all of it or none of it.
Creates the index if there is none.

\b
Examples:
  searchcore index add today.jsonl
  searchcore index add new-articles/ --format md
"""


@index_group.command("add", help=ADD_HELP, short_help="Add or replace articles.")
@ingest_options
def add_command(sources: tuple[str, ...], fmt: str | None,
                csv_columns: dict[str, str | None] | None, boilerplate: tuple[str, ...],
                keep_boilerplate: bool, strict: bool, language: str | None, as_json: bool,
                quiet: bool, lock_timeout: float, index_path: str | None,
                errors_file: str | None) -> None:
    from searchcore.index.build import add_sources

    path, kwargs = _ingest_setup(sources, fmt, csv_columns, boilerplate, keep_boilerplate,
                                 strict, lock_timeout, quiet, index_path)
    kwargs["errors"] = errors_file
    with ProgressReporter("Adding", enabled=not quiet) as progress:
        summary = add_sources(list(sources), path, language=language, progress=progress,
                              **kwargs)
    _report(summary, as_json, quiet, path, "Updated")


DELETE_HELP = """Delete articles by ID, or every article matching --query.

\b
Examples:
  searchcore index delete 42 43
  searchcore index delete --query 'source:reuters published:<1987-03-01'
"""


@index_group.command("delete", help=DELETE_HELP, short_help="Delete articles.")
@click.argument("ids", nargs=-1, metavar="[ID]...")
@click.option("--query", "query", metavar="QUERY",
              help="Delete every article matching QUERY (search syntax, all words).")
@quiet_option
@lock_timeout_option
@common_options
def delete_command(ids: tuple[str, ...], query: str | None, quiet: bool, lock_timeout: float,
                   index_path: str | None) -> None:
    if ids and query:
        raise click.UsageError("give either IDs or --query, not both")
    if not ids and not query:
        raise click.UsageError("nothing to delete: give the IDs of the articles (searchcore "
                               "index delete ID...) or --query QUERY")
    with searchcore.open_index(resolve_index_path(index_path)) as ix:
        if query:
            deleted = ix.delete_by_query(query, timeout=lock_timeout)
        else:
            deleted = ix.delete(list(ids), timeout=lock_timeout)
    if not quiet:
        noun = "article" if deleted == 1 else "articles"
        missing = len(set(ids)) - deleted if ids else 0
        extra = f" ({missing} of the ids not found)" if missing > 0 else ""
        click.echo(f"Deleted {deleted:,} {noun}{extra}.", err=True)


STATS_HELP = """Show what the index holds: documents, terms, size, sources, dates.

\b
--json prints {"path", "documents", "deleted", "terms": {"title", "body"},
"size_bytes", "segments", "sources": {name: count}, "languages": {code: count}
(the articles' own; "" none), "date_range": [first, last] or null, "language" (the
analysis of articles without one), "format_version", "generation", "created", "updated",
"analyzer"}; a sharded index adds "shards": [{"name", "documents", "deleted",
"terms", "size_bytes", "segments"}] (its "terms" are the largest shard's).

\b
Examples:
  searchcore index stats
  searchcore index stats --json | jq .documents
"""


@index_group.command("stats", help=STATS_HELP, short_help="Show index statistics.")
@json_option
@common_options
def stats_command(as_json: bool, index_path: str | None) -> None:
    with searchcore.open_index(resolve_index_path(index_path)) as ix:
        stats = ix.stats()
    if as_json:
        output.emit_bytes(output.format_json(stats, pretty=is_tty(sys.stdout)))
    else:
        click.echo(format_stats(stats), nl=False)


#: How many sources ``index stats`` lists before "... and N more".
MAX_SOURCES_SHOWN = 10


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    raise AssertionError("unreachable")


def format_stats(stats: dict[str, Any]) -> str:
    """``index stats`` for people: one ``Label  value`` line per fact."""
    def counted(values: dict[str, int]) -> str:
        shown = [f"{name or '(none)'} {count:,}"
                 for name, count in list(values.items())[:MAX_SOURCES_SHOWN]]
        if len(values) > MAX_SOURCES_SHOWN:
            shown.append(f"... and {len(values) - MAX_SOURCES_SHOWN:,} more")
        return ", ".join(shown) or "(none)"

    terms = stats.get("terms") or {}
    date_range = stats.get("date_range")
    rows = [
        ("Index", stats["path"]),
        ("Documents", f"{stats['documents']:,}"
         + (f" ({stats['deleted']:,} deleted, not yet merged)" if stats.get("deleted") else "")),
        ("Terms", ", ".join(f"{name} {count:,}" for name, count in terms.items()) or "0"),
        ("Size", f"{_size(stats['size_bytes'])} in {stats['segments']:,} "
                 f"segment{'s' if stats['segments'] != 1 else ''}"),
        ("Sources", counted(stats.get("sources") or {})),
        ("Dates", f"{date_range[0][:10]} to {date_range[1][:10]}" if date_range
         else "(no dates)"),
        ("Languages", f"{counted(stats.get('languages') or {})} (articles without one are "
                      f"analysed as {stats['language']})"),
        ("Format", f"version {stats['format_version']}, {stats['generation']}"),
        ("Updated", stats.get("updated") or "?"),
    ]
    if stats.get("shards"):
        rows.insert(2, ("Shards", f"{len(stats['shards'])}: " + ", ".join(
            f"{s['name']} {s['documents']:,}" for s in stats["shards"])))
    return "".join(f"{label:<10} {value}\n" for label, value in rows)


index_group.add_command(check_command)
