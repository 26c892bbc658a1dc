"""``searchcore demo``: the first command a new user runs.

It needs nothing but the installed package: the sample corpus ships inside it
(``searchcore.sample``: the product's seed article and 300 Reuters-21578 articles,
with their citation in the README next to them). On the first run the corpus is
indexed into the default index location (or ``--index`` / ``$SEARCHCORE_INDEX``) and
the command says where on standard error; later runs reuse that index, so
``searchcore search`` works straight after the demo too.
"""

from __future__ import annotations

import contextlib
from importlib import resources
from pathlib import Path
from typing import Iterator

import click

import searchcore
from searchcore.cli.errors import SearchcoreCommand
from searchcore.cli.options import (color_option, common_options, implicit_index_path,
                                    json_option, resolve_index_path)
from searchcore.cli.search_cmd import write_results

SAMPLE_PACKAGE = "searchcore.sample"
#: The sample sources, in the order they are indexed.
SAMPLE_FILES = ("000_08f5dd3932140497.txt", "reuters-sample.jsonl")
DEFAULT_QUERY = "oil prices"


@contextlib.contextmanager
def sample_sources() -> Iterator[list[Path]]:
    """Real file paths of the bundled sample (extracted if the package is zipped)."""
    root = resources.files(SAMPLE_PACKAGE)
    with contextlib.ExitStack() as stack:
        yield [stack.enter_context(resources.as_file(root / name)) for name in SAMPLE_FILES]


def build_sample_index(path: Path) -> int:
    """Index the bundled sample at ``path``; returns the number of articles indexed."""
    from searchcore.index.build import build_index

    with sample_sources() as sources:
        summary = build_index([str(s) for s in sources], path, language="english")
    return int(summary.indexed)


def is_old_sample_index(path: Path) -> bool:
    """Whether ``path`` holds the demo's own sample index in a format too old to read.

    Then the demo rebuilds it (the user never chose its sources); any other index that
    is too old gets the library's rebuild message instead.
    """
    import orjson

    from searchcore import layout

    try:
        manifest = orjson.loads(layout.manifest_path(path).read_bytes())
        version = manifest["format_version"]
        names = tuple(Path(s["path"]).name for s in manifest["sources"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return isinstance(version, int) and version < layout.MIN_FORMAT_VERSION and names == SAMPLE_FILES


DEMO_HELP = f"""Search a bundled sample of news articles: try searchcore in one command.

The first run indexes the sample (300 Reuters-21578 articles from 1987 and one 2024
article) into the index location (see --index) and says where; then it searches
QUERY there (default: "{DEFAULT_QUERY}"). Later runs reuse the index, and
`searchcore search` searches it too.

\b
Examples:
  searchcore demo
  searchcore demo "ballistic missiles"
  searchcore demo 'cocoa OR coffee' --limit 3
"""


@click.command("demo", cls=SearchcoreCommand, help=DEMO_HELP,
               short_help="Index a bundled sample and search it.")
@click.argument("query", nargs=-1)
@click.option("-n", "--limit", type=click.IntRange(min=1), default=5, show_default=True,
              help="Hits to show.")
@json_option
@color_option
@common_options
def demo_command(query: tuple[str, ...], limit: int, as_json: bool, color: bool | None,
                 index_path: str | None) -> None:
    path = resolve_index_path(index_path)
    text = " ".join(query).strip() or DEFAULT_QUERY
    try:
        ix = searchcore.open_index(path)
    except (searchcore.IndexNotFoundError, searchcore.IndexFormatError) as exc:
        if isinstance(exc, searchcore.IndexFormatError) and not is_old_sample_index(path):
            raise
        click.echo(f"Indexing the bundled sample corpus into {str(path)!r} "
                   + ("(first run only)..." if isinstance(exc, searchcore.IndexNotFoundError)
                      else "(again: it was built by an older searchcore)..."), err=True)
        count = build_sample_index(path)
        click.echo(f"Indexed {count:,} articles. Search them with: searchcore search WORDS"
                   + ("" if path == implicit_index_path() else f" --index {path}"),
                   err=True)
        ix = searchcore.open_index(path)
    with ix:
        results = ix.search(text, limit=limit)
    write_results(results, "json" if as_json else "text", color)
