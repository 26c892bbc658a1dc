"""``searchcore export``: every match of a query as whole articles, streamed to stdout."""

from __future__ import annotations

import sys
import time

import click

import searchcore
from searchcore.cli.errors import SearchcoreCommand
from searchcore.cli.options import (common_options, filter_kwargs, filter_options, quiet_option,
                                    resolve_index_path)
from searchcore.cli.progress import ProgressReporter
from searchcore.news.export import (ARTICLE_FIELDS, EXPORT_FORMATS, SCAN_SORTS, check_fields,
                                    csv_header)

EXPORT_HELP = f"""Write every article matching QUERY to standard output, in full.

Nothing is capped: all matches are streamed one at a time (memory stays flat
for a million of them), with a progress bar on standard error when it is a
terminal and a summary line at the end (-q: neither). Filters work as in
`searchcore search`; `*` exports the whole index.

\b
Formats (--format):
  jsonl  one JSON object per line with the keys of `searchcore show --json`:
         {", ".join(ARTICLE_FIELDS)}
  csv    a header, then one row per article; lists joined with "; ",
         extra as JSON
--fields id,title,... keeps only those keys, in that order.

\b
Examples:
  searchcore export '*' > archive.jsonl
  searchcore export opec --sort oldest --format csv --fields id,published,title > opec.csv
  searchcore export '"interest rates"' --since 1987-03 | jq -r .title
"""


@click.command("export", cls=SearchcoreCommand, help=EXPORT_HELP,
               short_help="Write every match as whole articles.")
@click.argument("query", nargs=-1, required=True)
@click.option("-f", "--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="jsonl",
              show_default=True, help="Output format (see above).")
@click.option("--sort", type=click.Choice(SCAN_SORTS), default="relevance", show_default=True,
              help="Best match first, or by publication date (undated last).")
@click.option("--fields", metavar="LIST", help="Comma-separated keys to keep [default: all].")
@filter_options
@quiet_option
@common_options
def export_command(query: tuple[str, ...], fmt: str, sort: str, fields: str | None,
                   source: tuple[str, ...], category: tuple[str, ...],
                   language: tuple[str, ...], since: str | None,
                   until: str | None, match_any: bool, lenient: bool, quiet: bool,
                   index_path: str | None) -> None:
    text = " ".join(query)
    if not text.strip():
        raise click.UsageError("the query is empty")
    keep = check_fields(fields)
    started = time.monotonic()
    out = sys.stdout.buffer if hasattr(sys.stdout, "buffer") else None
    exported = 0
    with searchcore.open_index(resolve_index_path(index_path)) as ix:
        filters = filter_kwargs(source, category, since, until, match_any, lenient, language)
        articles = ix.scan(text, sort=sort, fields=keep, **filters)
        total = len(articles)
        with ProgressReporter("exporting", enabled=not quiet) as progress:
            if fmt == "csv":
                _write(csv_header(keep).encode("utf-8"), out)
            for count, data in articles.encoded(fmt):
                _write(data, out)
                exported += count
                progress(exported, total)
    if not quiet:
        seconds = time.monotonic() - started
        click.echo(f"exported {exported:,} of {total:,} matching articles in {seconds:.1f} s "
                   f"({exported / max(seconds, 1e-6):,.0f}/s)", err=True)


def _write(data: bytes, out) -> None:  # type: ignore[no-untyped-def]
    """Write encoded lines to standard output's buffer (through click when it has none)."""
    if out is not None:
        out.write(data)
    else:
        click.echo(data.decode("utf-8"), nl=False)
