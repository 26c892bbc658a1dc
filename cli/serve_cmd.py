"""``searchcore serve``: the JSON API and the search page on a port (``searchcore.web``)."""

from __future__ import annotations

import click

import searchcore
from searchcore.cli.errors import SearchcoreCommand
from searchcore.cli.options import common_options, resolve_index_path

TOKEN_ENV = "SEARCHCORE_TOKEN"
LOOPBACK = ("127.0.0.1", "localhost", "::1")

SERVE_HELP = f"""Serve the index over HTTP: a search page at / and a JSON API.

\b
Endpoints (JSON of the same shapes as --json on the command line):
  GET  /api/search?q=...      limit, page, sort, match, since, until, source,
                              category, language, facet, facet_limit, collapse,
                              after, snippets, lenient
  GET  /api/articles/ID       the whole article (as `searchcore show ID --json`)
  GET  /api/timeline?q=...    matches per day/week/month/year (by=)
  GET  /api/stats             as `searchcore index stats --json`
  GET  /healthz               status, live generation, features, limits
  POST /api/articles, DELETE /api/articles/ID
                              only with --allow-writes, and the header
                              'Authorization: Bearer TOKEN'
Errors answer 4xx with {{"error": ..., ("position"|"limit"): ...}}.

It binds 127.0.0.1 unless --host says otherwise, is read-only unless
--allow-writes, and answers browsers from other origins only for --cors-origin.
Searches keep answering while `searchcore index build` rebuilds the index.
The token may come from ${TOKEN_ENV} instead of the command line.

\b
Examples:
  searchcore serve                                  # http://127.0.0.1:8080/
  searchcore serve --index news-index --port 9000
  SEARCHCORE_TOKEN=s3cret searchcore serve --allow-writes
  curl 'http://127.0.0.1:8080/api/search?q=oil&limit=5' | jq '.hits[].title'
"""


@click.command("serve", cls=SearchcoreCommand, help=SERVE_HELP,
               short_help="Serve a search page and a JSON API.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind (0.0.0.0 exposes the index to the network).")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True,
              help="Port to listen on.")
@click.option("--allow-writes", is_flag=True,
              help="Accept POST /api/articles and DELETE /api/articles/ID (needs --token).")
@click.option("--token", envvar=TOKEN_ENV, metavar="TOKEN",
              help=f"Bearer token that writes must send [env: ${TOKEN_ENV}].")
@click.option("--cors-origin", "cors_origins", multiple=True, metavar="ORIGIN",
              help="Let pages from ORIGIN (e.g. https://dash.example.org) call the API; "
                   "repeat for several.")
@click.option("--readers", type=click.IntRange(min=1), default=None,
              help="Searches that run at once, each with its own reader [default: CPUs].")
@click.option("--log-level", type=click.Choice(["critical", "error", "warning", "info", "debug"]),
              default="info", show_default=True, help="uvicorn's log level.")
@common_options
def serve_command(host: str, port: int, allow_writes: bool, token: str | None,
                  cors_origins: tuple[str, ...], readers: int | None, log_level: str,
                  index_path: str | None) -> None:
    if allow_writes and not token:
        raise click.UsageError(f"--allow-writes needs --token TOKEN (or ${TOKEN_ENV})")
    path = resolve_index_path(index_path)
    with searchcore.open_index(path):      # fail now, with the library's message
        pass
    import uvicorn

    from searchcore.web import create_app

    app = create_app(path, allow_writes=allow_writes, token=token if allow_writes else None,
                     cors_origins=cors_origins, readers=readers)
    if host not in LOOPBACK:
        click.echo(f"Note: binding {host}: anyone who can reach this machine can search "
                   f"{str(path)!r}.", err=True)
    click.echo(f"Serving {str(path)!r} on http://{host}:{port}/ "
               f"({'writes allowed with the token' if allow_writes else 'read-only'}); "
               "Ctrl-C stops.", err=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level, server_header=False)
