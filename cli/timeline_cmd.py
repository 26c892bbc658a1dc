"""``searchcore timeline``: how many articles match a query per day, week, month or year."""

from __future__ import annotations

import sys

import click

import searchcore
from searchcore.cli import output
from searchcore.cli.errors import SearchcoreCommand
from searchcore.cli.options import (common_options, filter_kwargs, filter_options, is_tty,
                                    json_option, resolve_index_path)
from searchcore.news.plot import write_plot
from searchcore.news.render import bar_chart
from searchcore.news.timeline import BUCKETS, Timeline

FORMATS = ("text", "json", "csv")

TIMELINE_HELP = """Count the articles matching QUERY per day, week, month or year.

Every period from the first match to the last is listed, the empty ones too, in
UTC; ISO weeks are written 1987-W11. Undated matches are counted apart. The
filters work as in `searchcore search`.

\b
Output (--format):
  text   a bar per period, then the total
  json   {"query", "by", "buckets": [{"value", "count"}], "total", "undated"}
  csv    a header line (the period name, count), then a row per period
--plot FILE also writes the chart as a picture: FILE.svg (always) or FILE.png
(needs matplotlib), with the query as title.

\b
Examples:
  searchcore timeline opec --by week
  searchcore timeline '"interest rates"' --since 1987-03 --json
  searchcore timeline cocoa --by day --plot cocoa.svg
"""


@click.command("timeline", cls=SearchcoreCommand, help=TIMELINE_HELP,
               short_help="Matches per day, week, month or year.")
@click.argument("query", nargs=-1, required=True)
@click.option("--by", type=click.Choice(BUCKETS), default="month", show_default=True,
              help="The length of one period.")
@filter_options
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True, help="Output format (see above).")
@click.option("--plot", "plot_file", metavar="FILE", type=click.Path(dir_okay=False),
              help="Also write the chart to FILE (.svg, or .png with matplotlib).")
@json_option
@common_options
def timeline_command(query: tuple[str, ...], by: str, source: tuple[str, ...],
                     category: tuple[str, ...], language: tuple[str, ...], since: str | None,
                     until: str | None,
                     match_any: bool, lenient: bool, fmt: str, plot_file: str | None,
                     as_json: bool, index_path: str | None) -> None:
    text = " ".join(query)
    if not text.strip():
        raise click.UsageError("the query is empty")
    with searchcore.open_index(resolve_index_path(index_path)) as ix:
        tl = ix.timeline(text, by=by, **filter_kwargs(source, category, since, until,
                                                      match_any, lenient, language))
    if plot_file:
        write_plot(tl, plot_file)
    fmt = "json" if as_json else fmt
    if fmt == "json":
        output.emit_bytes(output.format_json(tl.to_dict(), pretty=is_tty(sys.stdout)))
    elif fmt == "csv":
        click.echo(tl.to_csv(), nl=False)
    else:
        output.emit(timeline_text(tl, ascii=not output.draws_blocks()), color=False)


def timeline_text(tl: Timeline, *, ascii: bool = False) -> str:
    """The bars, then a line with the total (and the undated matches, if any)."""
    lines = bar_chart([(b.value, b.count) for b in tl.buckets], ascii=ascii)
    summary = f"{tl.total:,} {'match' if tl.total == 1 else 'matches'} for {tl.query!r} by {tl.by}"
    if tl.undated:
        summary += f", {tl.undated:,} undated (in no {tl.by})"
    return "\n".join(lines + ([""] if lines else []) + [summary]) + "\n"
