"""Options shared by several commands, and the decisions behind them.

Kept in one place so every command spells ``--index``, ``--json`` or ``--no-color``
the same way and resolves them by the same rules:

* the index location: ``--index PATH`` on the command, else ``--index`` on the
  ``searchcore`` group, else ``$SEARCHCORE_INDEX``, else the per-user data directory
  (:data:`DEFAULT_INDEX_DIR` inside ``click.get_app_dir("searchcore")``);
* colour: ``--color``/``--no-color`` when given, else off when ``$NO_COLOR`` is set
  (https://no-color.org), else on when ``$CLICOLOR_FORCE`` is set, else on when
  standard output is a terminal.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

INDEX_ENV = "SEARCHCORE_INDEX"
APP_NAME = "searchcore"
DEFAULT_INDEX_DIR = "index"
#: Click settings for every command: ``-h`` as well as ``--help``, wider help text.
CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"],
                                    "max_content_width": 100}


def package_version() -> str:
    """The installed version, read from package metadata (no heavy imports)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("searchcore")
    except PackageNotFoundError:  # running from a source tree without an install
        from searchcore import __version__

        return __version__


def default_index_path() -> Path:
    """Where the index lives when neither ``--index`` nor ``$SEARCHCORE_INDEX`` says."""
    return Path(click.get_app_dir(APP_NAME)) / DEFAULT_INDEX_DIR


def resolve_index_path(value: str | os.PathLike[str] | None) -> Path:
    """Apply the lookup order: command option, group option, environment, default."""
    if value:
        return Path(value)
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        group_value = ctx.params.get("index_path")
        if group_value:
            return Path(group_value)
        ctx = ctx.parent
    return implicit_index_path()


def implicit_index_path() -> Path:
    """The index used when no ``--index`` is given: ``$SEARCHCORE_INDEX`` or the default."""
    env = os.environ.get(INDEX_ENV)
    return Path(env) if env else default_index_path()


def use_color(flag: bool | None, stream: Any = None) -> bool:
    """Whether to write ANSI colour to ``stream`` (standard output by default)."""
    if flag is not None:
        return flag
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("CLICOLOR_FORCE", "0") not in ("", "0"):
        return True
    return is_tty(stream if stream is not None else sys.stdout)


def is_tty(stream: Any) -> bool:
    """Whether ``stream`` is a terminal (False for pipes, files, test runners)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def version_option(f: F) -> F:
    """``--version``; the version is read only when asked (reading package metadata
    imports the email parser: ~5% of a cold search's start-up)."""
    def show(ctx: click.Context, param: click.Parameter, value: bool) -> None:
        if not value or ctx.resilient_parsing:
            return
        click.echo(f"{APP_NAME} {package_version()}")
        ctx.exit()

    return click.option("--version", is_flag=True, expose_value=False, is_eager=True,
                        callback=show, help="Show the version and exit.")(f)


def index_option(f: F) -> F:
    """``--index PATH``: which index this command reads or writes."""
    return click.option(
        "--index", "index_path", metavar="PATH", type=click.Path(file_okay=False),
        help=f"Index directory [default: ${INDEX_ENV}, else {default_index_path()}].")(f)


def common_options(f: F) -> F:
    """What every command has: ``--index`` and ``--version`` (``-h`` comes from click)."""
    return version_option(index_option(f))


def color_option(f: F) -> F:
    return click.option(
        "--color/--no-color", "color", default=None,
        help="Force colour on or off [default: on for a terminal, off if $NO_COLOR is set].")(f)


def json_option(f: F) -> F:
    return click.option("--json", "as_json", is_flag=True,
                        help="Print one JSON document (for programs).")(f)


def quiet_option(f: F) -> F:
    return click.option("-q", "--quiet", is_flag=True,
                        help="No progress bar and no summary; errors only.")(f)


def lock_timeout_option(f: F) -> F:
    return click.option(
        "--lock-timeout", type=click.FloatRange(min=0), default=10.0, show_default=True,
        metavar="SECONDS", help="How long to wait for another writer to finish.")(f)


def paging_options(f: F) -> F:
    """``-n/--limit`` and ``-p/--page``, as every command that lists hits takes them."""
    for decorator in reversed([
        click.option("-n", "--limit", type=click.IntRange(min=1), default=10, show_default=True,
                     help="Hits per page."),
        click.option("-p", "--page", type=click.IntRange(min=1), default=1, show_default=True,
                     help="Which page of hits."),
    ]):
        f = decorator(f)
    return f


def snippets_option(f: F) -> F:
    return click.option("--snippets", type=click.IntRange(min=0), default=3, show_default=True,
                        help="Snippets per hit (0 for none).")(f)


def narrowing_options(*, language: bool = True) -> Callable[[F], F]:
    """``--source``, ``--category``, (``--language``), ``--since``, ``--until``: what
    narrows the matches, shared by search, similar and the news commands so that the
    same words mean the same filters everywhere."""
    options = [
        click.option("--source", multiple=True, metavar="NAME",
                     help="Only articles from this source (repeat for several)."),
        click.option("--category", multiple=True, metavar="NAME",
                     help="Only articles in this category (repeat for several)."),
    ]
    if language:
        options.append(click.option(
            "--language", multiple=True, metavar="CODE",
            help="Only articles in this language: de, en, ja... (repeat for several)."))
    options += [
        click.option("--since", metavar="DATE", help="Only articles published on or after DATE."),
        click.option("--until", metavar="DATE", help="Only articles published on or before DATE."),
    ]

    def apply(f: F) -> F:
        for decorator in reversed(options):
            f = decorator(f)
        return f
    return apply


def filter_options(f: F) -> F:
    """The query options every search-like command shares: filters, ``--any``, ``--lenient``.

    The command receives ``source``, ``category``, ``language``, ``since``, ``until``,
    ``match_any`` and ``lenient``; :func:`filter_kwargs` turns them into the library's keywords.
    """
    f = click.option("--lenient", is_flag=True,
                     help="Never fail on query syntax: read what cannot be parsed as plain words.")(f)
    f = click.option("--any", "match_any", is_flag=True, help="Match any of the words, not all.")(f)
    return narrowing_options()(f)


def filter_kwargs(source: tuple[str, ...], category: tuple[str, ...], since: str | None,
                  until: str | None, match_any: bool, lenient: bool,
                  language: tuple[str, ...] = ()) -> dict[str, Any]:
    """The keywords of ``Index.search`` (and the news tools) for :func:`filter_options`."""
    return {"match": "any" if match_any else "all", "lenient": lenient,
            "source": list(source) or None, "category": list(category) or None,
            "language": list(language) or None, "since": since, "until": until}
