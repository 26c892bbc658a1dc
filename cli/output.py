"""Writing results and articles to standard output, in the form the user asked for.

The forms themselves come from the library: text and HTML from
:mod:`searchcore.results.render` (matches bold red on a colour terminal, between ``**`` without
colour; control characters in article text defused), JSON from
:meth:`searchcore.results.types.Results.to_dict` (schema documented in
``searchcore.results.types`` and in ``searchcore search --help``), serialised with orjson.
This module adds what belongs to a command line: a standalone page around the HTML
fragment, JSON pretty-printed for a terminal, and the pager for long text on a
terminal (``$PAGER``, else ``less``) — never when piped, so scripts and ``grep`` see
plain lines.
"""

from __future__ import annotations

import html
import re
import shutil
import sys
from typing import Any

import click
import orjson

from searchcore.article import Article
from searchcore.cli.options import is_tty
from searchcore.results.render import ANSI_META, ANSI_TITLE, render_html, render_text, terminal_safe
from searchcore.results.types import Results


def format_text(results: Results, *, color: bool) -> str:
    """Hits for people: rank, title, source, date, id, snippets; a footer with the time."""
    return render_text(results, color=color)


def format_json(data: Any, *, pretty: bool = False) -> bytes:
    option = orjson.OPT_INDENT_2 if pretty else 0
    return orjson.dumps(data, option=option | orjson.OPT_APPEND_NEWLINE)


def format_jsonl(results: Results) -> bytes:
    """One ``Hit.to_dict()`` per line."""
    return b"".join(orjson.dumps(hit.to_dict(), option=orjson.OPT_APPEND_NEWLINE)
                    for hit in results.hits)


HTML_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; }}
.searchcore-meta, .searchcore-footer {{ color: #666; font-size: 0.9em; }}
mark {{ background: #ffe066; }}
</style>
</head>
<body>
{body}</body>
</html>
"""


def format_html(results: Results) -> str:
    """A standalone page around :func:`searchcore.results.render.render_html`'s fragment."""
    return HTML_PAGE.format(title=html.escape(f"searchcore: {results.query}"),
                            body=render_html(results))


def _safe_lines(text: str) -> str:
    """Defuse control characters but keep the line breaks of an article body."""
    return "\n".join(terminal_safe(line) for line in text.split("\n"))


def format_article(article: Article, *, color: bool) -> str:
    """The whole article: title, a ``name: value`` line per field, a blank line, the body."""
    def style(pair: tuple[str, str], text: str) -> str:
        return f"{pair[0]}{text}{pair[1]}" if color and text else text

    lines = [style(ANSI_TITLE, terminal_safe(article.title) or "(untitled)")]
    fields = [("id", article.id), ("source", article.source),
              ("published", article.published.isoformat() if article.published else ""),
              ("url", article.url), ("authors", ", ".join(article.authors)),
              ("category", ", ".join(article.category)), ("language", article.language)]
    for name, value in fields:
        if value:
            lines.append(style(ANSI_META, f"{name + ':':<11}") + terminal_safe(value))
    return "\n".join(lines) + "\n\n" + _safe_lines(article.body.rstrip()) + "\n"


def did_you_mean(suggestion: str) -> str:
    """``Did you mean: ...`` and the command that runs the corrected query."""
    import shlex

    command = "searchcore search " + (suggestion if re.fullmatch(r"[\w ]+", suggestion)
                                      else shlex.quote(suggestion))
    return f"Did you mean: {terminal_safe(suggestion)}\n  {terminal_safe(command)}\n"


def emit_copies(article_id: str, story: str, copies: list[Article], *, as_json: bool) -> None:
    """``show --copies``: the story (its leader's id) and its articles, one line each
    (or one JSON document)."""
    rows = [{"id": a.id, "source": a.source,
             "published": a.published.isoformat() if a.published else None,
             "title": a.title} for a in copies]
    if as_json:
        emit_bytes(format_json({"id": article_id, "story": story, "copies": rows},
                               pretty=is_tty(sys.stdout)))
        return
    lines = [f"story {story}: {len(rows)} cop{'y' if len(rows) == 1 else 'ies'}"]
    for row in rows:
        date = (row["published"] or "")[:10]
        parts = [row["id"], row["source"], date, row["title"]]
        lines.append("  " + " · ".join(terminal_safe(p) for p in parts if p))
    emit("\n".join(lines) + "\n", color=False)


def draws_blocks(stream: Any = None) -> bool:
    """Whether ``stream`` (stdout) can encode the block characters of bar charts."""
    encoding = getattr(stream or sys.stdout, "encoding", None) or "ascii"
    try:
        "█▏".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def emit(text: str, *, color: bool) -> None:
    """Write ``text`` to stdout, through the pager when it is taller than the terminal."""
    if is_tty(sys.stdout) and text.count("\n") > shutil.get_terminal_size().lines - 2:
        click.echo_via_pager(text, color=color)
    else:
        click.echo(text, nl=False, color=color)


def emit_bytes(data: bytes) -> None:
    click.echo(data, nl=False)
