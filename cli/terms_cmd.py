"""``searchcore terms``: the words and phrases that characterise the matches of a query."""

from __future__ import annotations

import sys

import click

import searchcore
from searchcore.cli import output
from searchcore.cli.errors import SearchcoreCommand
from searchcore.cli.options import (common_options, filter_kwargs, filter_options, is_tty,
                                    json_option, resolve_index_path)
from searchcore.news.terms import DEFAULT_LIMIT, DEFAULT_MIN_COUNT, DEFAULT_SAMPLE, SignificantTerms

TERMS_HELP = f"""Show the words and two-word phrases that characterise the articles matching
QUERY, compared with the whole index.

Scored by log-likelihood (G2): how unlikely the difference between the matches and
the rest of the index is by chance; only terms more frequent in the matches count.
Stop words, numbers and the query's own words are left out; each term is shown
as it is most often written. Above --sample matches an evenly spaced sample is
read, and the output says so.

\b
--json prints {{"query", "total", "read", "sampled", "documents", "measure",
"terms": [{{"text", "term", "kind", "matches", "index", "index_estimated", "score"}}]}}
(matches: articles of those read that use the term; index: in the whole index).

\b
Examples:
  searchcore terms opec
  searchcore terms '"interest rates"' --since 1987-03 -n 30
  searchcore terms cocoa --json | jq -r '.terms[].text'
"""


@click.command("terms", cls=SearchcoreCommand, help=TERMS_HELP,
               short_help="Words and phrases typical of the matches.")
@click.argument("query", nargs=-1, required=True)
@click.option("-n", "--limit", type=click.IntRange(min=1), default=DEFAULT_LIMIT,
              show_default=True, help="How many terms.")
@click.option("--sample", type=click.IntRange(min=1), default=DEFAULT_SAMPLE, show_default=True,
              help="Read at most this many matching articles.")
@click.option("--min-count", type=click.IntRange(min=1), default=DEFAULT_MIN_COUNT,
              show_default=True, help="Ignore terms in fewer matching articles than this.")
@click.option("--words-only", is_flag=True, help="No two-word phrases.")
@filter_options
@json_option
@common_options
def terms_command(query: tuple[str, ...], limit: int, sample: int, min_count: int,
                  words_only: bool, source: tuple[str, ...], category: tuple[str, ...],
                  language: tuple[str, ...],
                  since: str | None, until: str | None, match_any: bool, lenient: bool,
                  as_json: bool, index_path: str | None) -> None:
    text = " ".join(query)
    if not text.strip():
        raise click.UsageError("the query is empty")
    with searchcore.open_index(resolve_index_path(index_path)) as ix:
        result = ix.significant_terms(text, limit=limit, sample=sample, min_count=min_count,
                                      phrases=not words_only,
                                      **filter_kwargs(source, category, since, until,
                                                      match_any, lenient, language))
    if as_json:
        output.emit_bytes(output.format_json(result.to_dict(), pretty=is_tty(sys.stdout)))
    else:
        output.emit(terms_text(result), color=False)


def terms_text(result: SignificantTerms) -> str:
    """A table: term, articles in the matches, in the index, score; then what was read."""
    rows = [(t.text, f"{t.matches:,}", f"{t.index:,}", f"{t.score:,.1f}") for t in result.terms]
    head = ("term", "matches", "index", "G2")
    lines = []
    if rows:
        widths = [max(len(r[i]) for r in rows + [head]) for i in range(4)]
        fmt = lambda r: (f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  "  # noqa: E731
                         f"{r[3]:>{widths[3]}}")
        lines = [fmt(head)] + [fmt(r) for r in rows] + [""]
    else:
        lines = ["no term is more frequent in the matches than in the rest of the index", ""]
    read = (f"a sample of {result.read:,} of the {result.total:,} matching articles"
            if result.sampled else f"all {result.total:,} matching articles")
    lines.append(f"{read}, against the {result.documents:,} articles of the index "
                 f"({result.measure})")
    return "\n".join(lines) + "\n"
