"""Writing results: text for people, JSON/JSON Lines for programs, HTML for pages.

The text form, per hit::

    1. Title of the article
       Source · 2024-04-14 · id 42
       ...snippet with the matched words highlighted...

then one summary line (hits shown, total, page, time). Matched words are bold red
when colour is on (see :func:`searchcore.cli.options.use_color`). On a terminal,
snippets are wrapped to its width and output taller than the screen goes through
the pager (``$PAGER``, else ``less``); when piped, each snippet is one line, so the
output greps well.

The JSON forms are :meth:`searchcore.results.Results.to_dict` (schema documented in
``searchcore.results`` and in ``searchcore search --help``), serialised with orjson.
"""

from __future__ import annotations

import html
import re
import shutil
import sys
from typing import Any, Iterable, Sequence

import click
import orjson

from searchcore.article import Article
from searchcore.cli.options import is_tty
from searchcore.results import Hit, Results, Snippet

SEPARATOR = " · "
INDENT = "   "
MAX_WIDTH = 100
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\S+")

MATCH_STYLE: dict[str, Any] = {"fg": "red", "bold": True}
TITLE_STYLE: dict[str, Any] = {"bold": True}
META_STYLE: dict[str, Any] = {"dim": True}


def _style(text: str, color: bool, style: dict[str, Any]) -> str:
    return click.style(text, **style) if color and text and style else text


# -- snippets as (text, is_match) pieces ------------------------------------------------
def pieces(text: str, spans: Sequence[Sequence[int]]) -> list[tuple[str, bool]]:
    """Split ``text`` at the match ``spans``, whitespace runs collapsed to one space."""
    out: list[tuple[str, bool]] = []
    pos = 0
    for start, end in sorted((max(0, s), min(len(text), e)) for s, e in spans):
        if start < pos or start >= end:
            continue  # overlapping or empty span
        out.append((text[pos:start], False))
        out.append((text[start:end], True))
        pos = end
    out.append((text[pos:], False))
    cleaned = [(_SPACE.sub(" ", part), match) for part, match in out if part]
    if cleaned:
        first, match = cleaned[0]
        cleaned[0] = (first.lstrip(), match)
        last, match = cleaned[-1]
        cleaned[-1] = (last.rstrip(), match)
    return [(p, m) for p, m in cleaned if p]


def _wrap(parts: list[tuple[str, bool]], width: int | None) -> list[list[tuple[str, bool]]]:
    """Greedy word wrap of styled pieces; ``width=None`` keeps one line."""
    if width is None:
        return [parts]
    text = "".join(p for p, _ in parts)
    flags = [m for p, m in parts for _ in p]
    lines: list[tuple[int, int]] = []
    start = end = None
    for word in _WORD.finditer(text):
        if start is None:
            start, end = word.start(), word.end()
        elif word.end() - start > width:
            lines.append((start, end))  # type: ignore[arg-type]
            start, end = word.start(), word.end()
        else:
            end = word.end()
    if start is not None:
        lines.append((start, end))  # type: ignore[arg-type]
    out = []
    for s, e in lines:
        line: list[tuple[str, bool]] = []
        for i in range(s, e):
            if line and line[-1][1] == flags[i]:
                line[-1] = (line[-1][0] + text[i], flags[i])
            else:
                line.append((text[i], flags[i]))
        out.append(line)
    return out


def _render_pieces(parts: Iterable[tuple[str, bool]], color: bool,
                   base: dict[str, Any] | None = None) -> str:
    base = base or {}
    return "".join(_style(p, color, {**base, **MATCH_STYLE} if m else base) for p, m in parts)


def hit_meta(hit: Hit) -> str:
    """``Source · 2024-04-14 · id 42`` (parts that are missing are left out)."""
    items = [hit.source, hit.published.date().isoformat() if hit.published else "",
             f"id {hit.id}"]
    return SEPARATOR.join(i for i in items if i)


def _title_pieces(hit: Hit) -> list[tuple[str, bool]]:
    for snip in hit.snippets:
        if snip.field == "title" and snip.text.strip() == hit.title.strip():
            return pieces(snip.text, snip.spans) or [(hit.title, False)]
    return [(_SPACE.sub(" ", hit.title).strip() or "(untitled)", False)]


def _body_snippets(hit: Hit) -> list[Snippet]:
    return [s for s in hit.snippets
            if not (s.field == "title" and s.text.strip() == hit.title.strip())]


def text_width(stream: Any = None) -> int | None:
    """The wrap width for snippets: the terminal's (capped), or None when piped."""
    if not is_tty(stream if stream is not None else sys.stdout):
        return None
    return max(40, min(MAX_WIDTH, shutil.get_terminal_size().columns) - len(INDENT))


def format_hit(hit: Hit, *, color: bool, width: int | None) -> str:
    rank = f"{hit.rank}."
    lines = [_style(rank, color, TITLE_STYLE) + " "
             + _render_pieces(_title_pieces(hit), color, TITLE_STYLE)]
    lines.append(INDENT + _style(hit_meta(hit), color, META_STYLE))
    for snip in _body_snippets(hit):
        for line in _wrap(pieces(snip.text, snip.spans), width):
            if line:
                lines.append(INDENT + _render_pieces(line, color))
    return "\n".join(lines)


def summary_line(results: Results) -> str:
    """``3 hits in 1.2 ms`` or ``11-20 of 42 hits, page 2 of 5, in 3.1 ms`` (or no hits)."""
    elapsed = f"{results.elapsed_ms:.1f} ms"
    total = f"{results.total:,}" if results.total_is_exact else f"at least {results.total:,}"
    if results.total == 0:
        return f"No hits for {results.query!r} ({elapsed})."
    if not results.hits:
        return (f"No hits on page {results.page}: {total} hits on {results.pages} "
                f"page{'s' if results.pages != 1 else ''} ({elapsed}).")
    first, last = results.hits[0].rank, results.hits[-1].rank
    noun = "hit" if results.total == 1 and results.total_is_exact else "hits"
    if results.pages == 1 and first == 1 and results.total_is_exact:
        return f"{total} {noun} in {elapsed}."
    shown = f"{first}" if first == last else f"{first}-{last}"
    return f"{shown} of {total} {noun}, page {results.page} of {results.pages}, in {elapsed}."


def format_text(results: Results, *, color: bool, width: int | None = None) -> str:
    blocks = [format_hit(hit, color=color, width=width) for hit in results.hits]
    blocks.append(_style(summary_line(results), color, META_STYLE))
    return "\n\n".join(blocks) + "\n"


# -- machine formats ---------------------------------------------------------------------
def format_json(data: Any, *, pretty: bool = False) -> bytes:
    option = orjson.OPT_INDENT_2 if pretty else 0
    return orjson.dumps(data, option=option | orjson.OPT_APPEND_NEWLINE)


def format_jsonl(results: Results) -> bytes:
    return b"".join(orjson.dumps(hit.to_dict(), option=orjson.OPT_APPEND_NEWLINE)
                    for hit in results.hits)


# -- HTML --------------------------------------------------------------------------------
def _html_pieces(parts: Iterable[tuple[str, bool]]) -> str:
    return "".join(f"<mark>{html.escape(p)}</mark>" if m else html.escape(p) for p, m in parts)


HTML_HEAD = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; }}
.meta, .summary {{ color: #666; font-size: 0.9em; }}
mark {{ background: #ffe066; }}
</style>
</head>
<body>
"""


def format_html(results: Results) -> str:
    """A standalone page: one ``<li>`` per hit, matched words in ``<mark>``."""
    out = [HTML_HEAD.format(title=html.escape(f"searchcore: {results.query}"))]
    start = results.hits[0].rank if results.hits else 1
    out.append(f'<ol class="hits" start="{start}">\n')
    for hit in results.hits:
        title = _html_pieces(_title_pieces(hit))
        if hit.url:
            title = f'<a href="{html.escape(hit.url)}">{title}</a>'
        out.append(f'<li id="{html.escape(hit.id)}">\n<h2>{title}</h2>\n'
                   f'<p class="meta">{html.escape(hit_meta(hit))}</p>\n')
        for snip in _body_snippets(hit):
            out.append(f'<p class="snippet">{_html_pieces(pieces(snip.text, snip.spans))}</p>\n')
        out.append("</li>\n")
    out.append("</ol>\n")
    out.append(f'<p class="summary">{html.escape(summary_line(results))}</p>\n</body>\n</html>\n')
    return "".join(out)


# -- articles ----------------------------------------------------------------------------
def format_article(article: Article, *, color: bool) -> str:
    """The whole article: title, a field per line, then the body as stored."""
    lines = [_style(article.title or "(untitled)", color, TITLE_STYLE)]
    fields = [("id", article.id), ("source", article.source),
              ("published", article.published.isoformat() if article.published else ""),
              ("url", article.url), ("authors", ", ".join(article.authors)),
              ("category", ", ".join(article.category)), ("language", article.language)]
    for name, value in fields:
        if value:
            lines.append(_style(f"{name + ':':<11}", color, META_STYLE) + value)
    return "\n".join(lines) + "\n\n" + article.body.rstrip() + "\n"


# -- writing -----------------------------------------------------------------------------
def emit(text: str, *, color: bool) -> None:
    """Write ``text`` to stdout, through the pager when it is taller than the terminal."""
    if is_tty(sys.stdout) and text.count("\n") > shutil.get_terminal_size().lines - 2:
        click.echo_via_pager(text, color=color)
    else:
        click.echo(text, nl=False, color=color)


def emit_bytes(data: bytes) -> None:
    click.echo(data, nl=False)
