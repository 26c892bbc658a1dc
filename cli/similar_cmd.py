"""``searchcore similar``: more like this, for an indexed article or for any text."""

from __future__ import annotations

import sys

import click

import searchcore
from searchcore.cli.errors import SearchcoreCommand
from searchcore.cli.options import (color_option, common_options, json_option, narrowing_options,
                                    paging_options, resolve_index_path, snippets_option)
from searchcore.cli.search_cmd import FORMATS, write_results

SIMILAR_HELP = """Articles about the same thing as article ID (or as --text).

\b
The query is the seed's most distinctive words (frequent in it, rare in the
index, as Elasticsearch's more_like_this picks them); the seed and every copy
of its story are left out. Output as in `searchcore search` (--json: the same
document; "query" lists the words used).

\b
Examples:
  searchcore similar 42
  searchcore similar 42 --since 1987-03-01 -n 5 --json
  searchcore similar --text "OPEC agrees to cut crude output"
  curl -s https://example.org/story.txt | searchcore similar --text -
"""


@click.command("similar", cls=SearchcoreCommand, help=SIMILAR_HELP,
               short_help="Find articles like one article (or like some text).")
@click.argument("article_id", metavar="[ID]", required=False)
@click.option("--text", metavar="TEXT", help="Find articles like TEXT instead ('-': stdin).")
@paging_options
@narrowing_options(language=False)
@snippets_option
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True, help="Output format (as in `searchcore search`).")
@json_option
@color_option
@common_options
def similar_command(article_id: str | None, text: str | None, limit: int, page: int,
                    source: tuple[str, ...], category: tuple[str, ...], since: str | None,
                    until: str | None, snippets: int, fmt: str, as_json: bool,
                    color: bool | None, index_path: str | None) -> None:
    if (article_id is None) == (text is None):
        raise click.UsageError("give an article ID or --text (one of them)")
    if text == "-":
        text = sys.stdin.read()
    if text is not None and not text.strip():
        raise click.UsageError("the text is empty")
    with searchcore.open_index(resolve_index_path(index_path)) as ix:
        results = ix.similar(article_id, text=text, limit=limit, page=page,
                             source=list(source) or None, category=list(category) or None,
                             since=since, until=until, snippets=snippets)
    write_results(results, "json" if as_json else fmt, color)
