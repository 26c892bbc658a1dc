r"""Output forms of snippets and results: plain text, ANSI terminal text, HTML.

Pure functions from :class:`~searchcore.results.types.Snippet` / ``Results`` to ``str``;
the CLI chooses one and prints it. The fourth form, JSON, is ``Snippet.to_dict()``
(and ``Results.to_dict()``): the text and its ``[start, end)`` spans, unmarked.

Choices a reader sees:

* **Plain** marks matches with ``**`` on both sides (``PLAIN_MARKS``): readable in a
  pager, survives copy-paste into Markdown (where it turns bold), and unlike ``[...]``
  or ``«...»`` it is rare in news text (French quotes with « »). Pass ``marks=("", "")``
  for no markers at all. Rare is not never (Markdown articles carry ``**bold**``):
  a marker that occurs in the text itself is backslash-escaped there (``\*\*bold\*\*``,
  as Markdown escapes it), so every unescaped marker is ours.
* **ANSI** marks matches bold red (like ``grep --color``) and closes each style with its
  own reset (``22`` bold off, ``39`` default colour) rather than ``0``, so a match
  inside a bold title leaves the title bold. Nothing stays open at the end.
* **HTML** escapes every piece of text (``&``, ``<``, ``>``, quotes) and wraps matches
  in ``<mark>``; spans are applied to the raw text first, so escaping never shifts them.
  Links are only made for ``http``/``https`` URLs.
* **Terminal safety**: text printed to a terminal has control characters (an article
  may contain ``ESC``) and bidirectional overrides replaced by U+FFFD or a space, one
  character for one, so spans stay valid.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Callable, Sequence

from searchcore.results.types import Hit, Results, Snippet

#: Plain-text markers put before and after each match.
PLAIN_MARKS: tuple[str, str] = ("**", "**")
#: ANSI styles: (start, end) pairs. Each end undoes exactly what its start set.
ANSI_MATCH = ("\x1b[1;31m", "\x1b[22;39m")        # bold red
ANSI_TITLE = ("\x1b[1m", "\x1b[22m")              # bold
ANSI_TITLE_MATCH = ("\x1b[31m", "\x1b[39m")       # red (the title is bold already)
ANSI_META = ("\x1b[36m", "\x1b[39m")              # cyan
ANSI_FOOTER = ("\x1b[2m", "\x1b[22m")             # dim

_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
# C0/C1 controls become U+FFFD, whitespace controls a space, bidi overrides U+FFFD.
_UNSAFE = {c: "\ufffd" for c in [*range(0x00, 0x20), *range(0x7F, 0xA0),
                                 *range(0x202A, 0x202F), *range(0x2066, 0x206A)]}
_UNSAFE.update({ord(c): " " for c in "\t\n\r\x0b\x0c"})


def strip_ansi(text: str) -> str:
    """``text`` without the SGR escape codes this module writes."""
    return _ANSI_ESCAPE.sub("", text)


def terminal_safe(text: str) -> str:
    """Replace characters that could drive a terminal, one for one (spans stay valid)."""
    return text.translate(_UNSAFE)


def mark(text: str, spans: Sequence[tuple[int, int]], before: str, after: str,
         escape: Callable[[str], str] | None = None) -> str:
    """``text`` with ``before``/``after`` around each span; ``escape`` applied to text only.

    Spans out of order, overlapping or outside ``text`` are skipped rather than
    producing garbled output.
    """
    esc = escape or (lambda s: s)
    out = []
    cursor = 0
    for start, end in spans:
        if start < cursor or end > len(text) or start >= end:
            continue
        out.append(esc(text[cursor:start]))
        out.append(before + esc(text[start:end]) + after)
        cursor = end
    out.append(esc(text[cursor:]))
    return "".join(out)


def marker_escape(marks: tuple[str, str]) -> Callable[[str], str] | None:
    r"""A function that backslash-escapes ``marks`` where the text itself contains them
    (``**bold**`` -> ``\*\*bold\*\*``), or None when there are no markers."""
    found = sorted({m for m in marks if m}, key=len, reverse=True)
    if not found:
        return None
    pattern = re.compile("|".join(map(re.escape, found)))

    def escape(text: str) -> str:
        return pattern.sub(lambda m: "".join("\\" + c for c in m.group()), text)

    return escape


def snippet_plain(snippet: Snippet, marks: tuple[str, str] = PLAIN_MARKS) -> str:
    """The snippet with matches between ``marks`` (``**missiles**`` by default)."""
    return mark(snippet.text, snippet.spans, *marks, marker_escape(marks))


def snippet_ansi(snippet: Snippet, style: tuple[str, str] = ANSI_MATCH) -> str:
    """The snippet for a colour terminal: matches bold red, control characters defused."""
    return mark(terminal_safe(snippet.text), snippet.spans, *style)


def snippet_html(snippet: Snippet, tag: str = "mark") -> str:
    """The snippet as an HTML fragment: escaped text, matches in ``<mark>``."""
    return mark(snippet.text, snippet.spans, f"<{tag}>", f"</{tag}>", _escape)


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


# -- whole results ------------------------------------------------------------------

def footer(results: Results) -> str:
    """``"12 hits in 3.4 ms"``, with "at least" for a lower bound and the page if several."""
    total = results.total
    count = f"{'at least ' if not results.total_is_exact else ''}{total} hit{'' if total == 1 else 's'}"
    if results.total_articles is not None:          # collapsed: total counts stories
        articles = results.total_articles
        count = (f"{total} stor{'y' if total == 1 else 'ies'} ({articles} "
                 f"article{'' if articles == 1 else 's'})")
    text = f"{count} in {results.elapsed_ms:.1f} ms"
    if results.pages > 1:
        text += f", page {results.page} of {results.pages}"
    return text


def _date(value: datetime | None) -> str:
    return value.date().isoformat() if value else ""


def _title_snippet(hit: Hit) -> Snippet:
    for snippet in hit.snippets:
        if snippet.field == "title":
            return snippet
    return Snippet("title", " ".join(hit.title.split()))


def _body_snippets(hit: Hit) -> list[Snippet]:
    return [s for s in hit.snippets if s.field != "title"]


#: Shown beside a hit whose body lead carries no match because only its title matched.
TITLE_ONLY = "matched in the title"


def title_only(hit: Hit) -> bool:
    """Whether the query matched ``hit``'s title and nothing in the body snippets: its
    body snippet is then the unmarked lead, and the reader should be told why."""
    body = _body_snippets(hit)
    return (bool(body) and not any(s.spans for s in body)
            and any(s.spans for s in hit.snippets if s.field == "title"))


def render_text(results: Results, *, color: bool = False, marks: tuple[str, str] = PLAIN_MARKS,
                show_score: bool = False) -> str:
    """A page of results for a terminal: one block per hit, then a footer.

    ::

        1. US Informs **Israel**: No Participation in Retaliatory Strikes Against Iran
           Seed Wire · 2024-04-14 · seed
           …about 100 ballistic **missiles** were simultaneously heading towards Israel.

        1 hit in 3.2 ms

    ``color=True`` uses ANSI styles instead of ``marks``. The text ends with a newline.
    """
    def style(pair: tuple[str, str], text: str) -> str:
        return f"{pair[0]}{text}{pair[1]}" if color and text else text

    if not results.hits:
        return style(ANSI_FOOTER, footer(results)) + "\n"
    plain_escape = marker_escape(marks)
    width = len(str(results.hits[-1].rank))
    indent = " " * (width + 2)
    blocks = []
    for hit in results.hits:
        title = _title_snippet(hit)
        safe_title = terminal_safe(title.text) or "(untitled)"
        if color:
            title_line = style(ANSI_TITLE, mark(safe_title, title.spans, *ANSI_TITLE_MATCH))
        else:
            title_line = mark(safe_title, title.spans, *marks, plain_escape)
        meta = [terminal_safe(" ".join(hit.source.split())), _date(hit.published),
                terminal_safe(hit.id)]
        if show_score and hit.score is not None:
            meta.append(f"score {hit.score:.2f}")
        if title_only(hit):
            meta.append(TITLE_ONLY)
        lines = [f"{hit.rank:>{width}}. {title_line}",
                 indent + style(ANSI_META, " · ".join(m for m in meta if m))]
        if hit.copies:
            shown = ", ".join(terminal_safe(c.id) + (f" ({detail})" if (detail := " ".join(
                terminal_safe(p) for p in (c.source, _date(c.published)) if p)) else "")
                for c in hit.copies[:3])
            more = f" and {len(hit.copies) - 3} more" if len(hit.copies) > 3 else ""
            n = len(hit.copies)
            lines.append(indent + style(ANSI_META, f"+ {n} other cop{'y' if n == 1 else 'ies'}: "
                                        f"{shown}{more}"))
        for snippet in _body_snippets(hit):
            text = snippet_ansi(snippet) if color else mark(terminal_safe(snippet.text),
                                                            snippet.spans, *marks, plain_escape)
            if text:
                lines.append(indent + text)
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n\n" + style(ANSI_FOOTER, footer(results)) + "\n"


def _safe_href(url: str) -> str | None:
    return url if re.match(r"(?i)https?://", url or "") else None


def render_html(results: Results) -> str:
    """A page of results as an HTML fragment (no ``<html>``/``<head>``): a list of hits.

    Classes are prefixed ``searchcore-`` for styling; every value is escaped.
    """
    out = ['<div class="searchcore-results">']
    if results.hits:
        out.append(f'<ol class="searchcore-hits" start="{results.hits[0].rank}">')
        for hit in results.hits:
            title = _title_snippet(hit)
            title_html = snippet_html(title) if title.text else "(untitled)"
            href = _safe_href(hit.url)
            if href:
                title_html = f'<a href="{_escape(href)}">{title_html}</a>'
            out.append(f'<li class="searchcore-hit" data-id="{_escape(hit.id)}">')
            out.append(f'<h3 class="searchcore-title">{title_html}</h3>')
            meta = []
            if hit.source:
                meta.append(f'<span class="searchcore-source">{_escape(hit.source)}</span>')
            if hit.published:
                meta.append(f'<time datetime="{_escape(hit.published.isoformat())}">'
                            f"{_date(hit.published)}</time>")
            if title_only(hit):
                meta.append(f'<span class="searchcore-why">{TITLE_ONLY}</span>')
            if meta:
                out.append(f'<p class="searchcore-meta">{" · ".join(meta)}</p>')
            for snippet in _body_snippets(hit):
                out.append(f'<p class="searchcore-snippet">{snippet_html(snippet)}</p>')
            out.append("</li>")
        out.append("</ol>")
    out.append(f'<p class="searchcore-footer">{_escape(footer(results))}</p>')
    out.append("</div>")
    return "\n".join(out) + "\n"
