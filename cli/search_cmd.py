"""``searchcore search`` and ``searchcore show``: read-only commands over an index."""

from __future__ import annotations

import sys

import click

import searchcore
from searchcore.cli import output
from searchcore.cli.errors import SearchcoreCommand, UserError
from searchcore.news.facets import DEFAULT_FACET_LIMIT, FACETS
from searchcore.news.render import facets_text
from searchcore.cli.options import (color_option, common_options, filter_kwargs,
                                    filter_options, is_tty, json_option, paging_options,
                                    resolve_index_path, snippets_option, use_color)

FORMATS = ("text", "json", "jsonl", "html")
SORTS = ("relevance", "newest", "oldest")

SEARCH_HELP = """Search the index for QUERY and print the best hits.

\b
Query language (words are ANDed, like a web search engine):
  oil prices              both words (stemmed: "price" matches too)
  oil OR gas              either word;  --any makes every query an OR
  oil -opec               without a word (also: oil NOT opec)
  "central bank"          a phrase;  "bank rates"~3  words within 3 positions
  title:oil  source:reuters  category:crude
  published:[2024-01-01 TO 2024-04-30]
  inflat*  colour~        prefix, fuzzy
A query that starts with `-` goes after `--`, options before it:
  searchcore search -n 5 -- -opec oil

\b
Output formats (--format):
  text   for people: rank, title, source, date, id, snippets, then the total and
         time; matches in bold red on a terminal, between ** without colour
  json   one JSON document, the same as --json:
         {"query", "total", "total_is_exact", "page", "pages", "limit",
          "elapsed_ms", "hits": [{"rank", "id", "score", "title", "published",
          "source", "url", "authors", "category",
          "snippets": [{"field", "text", "spans": [[start, end], ...]}]}],
          "facets": {NAME: [{"value", "count"}]},
          "facet_stats": {NAME: {"other", "missing"}}, "next_cursor"}
         published is ISO 8601 or null; spans index into the snippet text;
         score is null when sorting by date; facets only with --facet
         ("missing": matches without a value, undated for dates). With
         --collapse, "total" counts stories, "total_articles" articles, and
         each hit has "copies": [{"id", "source", "published", "title"}].
         New keys may be added.

\b
Facets (--facet, repeat; counted over every match with its filters):
  source category language authors   most frequent first, --facet-limit each
  year month week day                every bucket in time order (UTC; ISO weeks)
  jsonl  one hit object (as above) per line
  html   a standalone page, matched words in <mark>

\b
Examples:
  searchcore search "ballistic missiles"
  searchcore search 'oil -opec' --since 1987-03-01 --sort newest
  searchcore search 'title:cocoa' --json | jq '.hits[].title'
  searchcore search opec --facet source --facet month
  searchcore search 'cocoa prices' --collapse
  searchcore search 'cocoa OR coffee' --exact-total
  searchcore search 'oil prices' --scheduler tcp://head:8786    # shards on a Dask cluster
"""


@click.command("search", cls=SearchcoreCommand, help=SEARCH_HELP,
               short_help="Search the index.")
@click.argument("query", nargs=-1, required=True)
@paging_options
@click.option("--after", metavar="CURSOR",
              help="The hits after a previous page's next_cursor (see --json), however deep.")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True,
              help="Best match first, or by publication date.")
@filter_options
@snippets_option
@click.option("--facet", "facets", multiple=True, type=click.Choice(FACETS), metavar="NAME",
              help="Count every match by NAME (repeat): " + ", ".join(FACETS) + ".")
@click.option("--facet-limit", type=click.IntRange(min=1), default=DEFAULT_FACET_LIMIT,
              show_default=True, help="Values shown per source/category/language/authors facet.")
@click.option("--collapse", is_flag=True,
              help="One hit per story: copies of one article are listed under the best one.")
@click.option("--exact-total", is_flag=True,
              help="Count every match. Without it an OR query may skip articles that cannot "
                   "make the page, and the total is then a lower bound (\"at least N hits\"; "
                   "total_is_exact false in --json).")
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True, help="Output format (see above).")
@click.option("--scheduler", metavar="ADDRESS",
              help="Search a sharded index's shards on this Dask scheduler's workers "
                   "(tcp://HOST:PORT) [default: in this process].")
@json_option
@color_option
@common_options
def search_command(query: tuple[str, ...], limit: int, page: int, after: str | None, sort: str,
                   source: tuple[str, ...], category: tuple[str, ...],
                   language: tuple[str, ...], since: str | None,
                   until: str | None, match_any: bool, lenient: bool, snippets: int,
                   facets: tuple[str, ...], facet_limit: int, collapse: bool,
                   exact_total: bool, scheduler: str | None, fmt: str,
                   as_json: bool, color: bool | None, index_path: str | None) -> None:
    text = " ".join(query)
    if not text.strip():
        raise click.UsageError("the query is empty")
    if as_json and fmt != "json" and _given(click.get_current_context(), "fmt"):
        raise click.UsageError(f"--json and --format {fmt} ask for two different outputs; "
                               "give one (--json is --format json)")
    fmt = "json" if as_json else fmt
    with searchcore.open_index(resolve_index_path(index_path), scheduler=scheduler) as ix:
        results = ix.search(text, limit=limit, page=page, sort=sort, snippets=snippets, after=after,
                            facets=list(facets) or None, facet_limit=facet_limit,
                            collapse=collapse, exact_total=exact_total,
                            **filter_kwargs(source, category, since, until, match_any, lenient,
                                            language))
    write_results(results, fmt, color)


def _given(ctx: click.Context, name: str) -> bool:
    """Whether the user typed option ``name`` (not just its default)."""
    return ctx.get_parameter_source(name) not in (None, click.core.ParameterSource.DEFAULT)


def write_results(results: searchcore.Results, fmt: str, color: bool | None) -> None:
    """Print ``results`` in ``fmt`` (shared with ``searchcore demo``)."""
    if fmt == "json":
        output.emit_bytes(output.format_json(results.to_dict(),
                                             pretty=is_tty(sys.stdout)))
    elif fmt == "jsonl":
        output.emit_bytes(output.format_jsonl(results))
    elif fmt == "html":
        output.emit(output.format_html(results), color=False)
    else:
        on = use_color(color)
        text = output.format_text(results, color=on)
        if results.suggestion:
            text = output.did_you_mean(results.suggestion) + "\n" + text
        if results.facets:
            text += "\n" + facets_text(results.facets.values(), ascii=not output.draws_blocks())
        output.emit(text, color=on)


SHOW_HELP = """Print the whole article with id ID.

\b
--json prints {"id", "title", "body", "published", "source", "url",
"authors", "category", "language", "extra"}; extra holds the source's other fields.
--copies lists every copy of the article's story instead (--json: {"id",
"story", "copies": [{"id", "source", "published", "title"}]}).

\b
Examples:
  searchcore show 42
  searchcore show 42 --json | jq -r .body
  searchcore show 42 --copies
"""


@click.command("show", cls=SearchcoreCommand, help=SHOW_HELP,
               short_help="Print one article in full.")
@click.argument("article_id", metavar="ID")
@click.option("--copies", "list_copies", is_flag=True,
              help="List every copy of the article's story (itself included).")
@json_option
@color_option
@common_options
def show_command(article_id: str, list_copies: bool, as_json: bool, color: bool | None,
                 index_path: str | None) -> None:
    path = resolve_index_path(index_path)
    with searchcore.open_index(path) as ix:
        article = ix.get(article_id)
        copies = ix.copies(article_id) if list_copies and article is not None else []
        story = ix.story_id(article_id) if copies else None
    if article is None:
        raise UserError(f"no article with id {article_id!r} in {str(path)!r}")
    if list_copies:
        output.emit_copies(article.id, story or article.id, copies, as_json=as_json)
    elif as_json:
        output.emit_bytes(output.format_json(article.to_dict(), pretty=is_tty(sys.stdout)))
    else:
        on = use_color(color)
        output.emit(output.format_article(article, color=on), color=on)
