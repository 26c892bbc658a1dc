"""The ``searchcore`` command: a thin click layer over the library.

Each command parses its options, calls one library function and prints the result;
no search or indexing logic lives here. Modules: ``options`` (shared options, index
location, colour), ``errors`` (library errors -> ``Error: ...`` and exit codes),
``output`` (text/JSON/HTML rendering, pager), ``progress`` (progress bar), and one
module per command family (``search_cmd``, ``index_cmd``, ``check_cmd``, ``demo_cmd``,
``timeline_cmd``, ``export_cmd``, ``terms_cmd``, ``serve_cmd``).
"""

from __future__ import annotations

import click

from searchcore.cli.demo_cmd import demo_command
from searchcore.cli.errors import SearchcoreGroup
from searchcore.cli.index_cmd import index_group
from searchcore.cli.options import CONTEXT_SETTINGS, INDEX_ENV, default_index_path, version_option
from searchcore.cli.search_cmd import search_command, show_command
from searchcore.cli.timeline_cmd import timeline_command
from searchcore.cli.export_cmd import export_command
from searchcore.cli.terms_cmd import terms_command
from searchcore.cli.serve_cmd import serve_command
from searchcore.cli.similar_cmd import similar_command

CLI_HELP = f"""Full-text search for news articles.

The index lives in --index PATH, else ${INDEX_ENV}, else {default_index_path()}.
Exit codes: 0 success, 1 error (message on stderr), 2 bad command line.

\b
Examples:
  searchcore demo "ballistic missiles"
  searchcore index build news.jsonl.gz articles/
  searchcore search '"central bank" -forecast' --since 2024-01-01
  searchcore show ID
"""


@click.group("searchcore", cls=SearchcoreGroup, context_settings=CONTEXT_SETTINGS,
             help=CLI_HELP)
@click.option("--index", "index_path", metavar="PATH", type=click.Path(file_okay=False),
              help=f"Index directory for every command [default: ${INDEX_ENV}, "
                   "else the user data directory].")
@version_option
def cli(index_path: str | None) -> None:
    # The value is read by searchcore.cli.options.resolve_index_path from this context.
    pass


# Listed in this order by `searchcore -h`: first run, daily use, maintenance.
cli.add_command(demo_command)
cli.add_command(search_command)
cli.add_command(show_command)
cli.add_command(timeline_command)
cli.add_command(export_command)
cli.add_command(terms_command)
cli.add_command(similar_command)
cli.add_command(index_group)
cli.add_command(serve_command)
