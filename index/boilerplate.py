"""Trailing site boilerplate in plain-text articles.

Articles saved from news sites end with the page's furniture: "Leave a Comment",
"Share this article", "Related Posts". Indexed, those words would match every query
for "comment" or "share" and appear in snippets. The text reader removes them, but
only from the *end* of the text, and only whole lines that match an entry of the list
below: a sentence in the middle of a story that says "leave a comment" is the story.

Matching ignores case, repeated spaces and surrounding punctuation or arrows
(``"Related Posts:"``, ``"» Read more"``), so each entry is written once, plainly.
Pass your own list to :func:`searchcore.index.ingest.iter_articles` as
``boilerplate=[...]`` (it replaces the default; ``boilerplate=()`` keeps every line).

>>> strip_trailing_boilerplate(["Headline text.", "", "Share this article", "Leave a Comment  "])
['Headline text.']

Limitation: a trailing block such as "Related Posts" followed by three linked
headlines is not recognised, because those headlines are not in the list; only the
lines after the last real paragraph that all match are removed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

#: Lines removed from the end of text articles (case and punctuation ignored).
DEFAULT_BOILERPLATE: tuple[str, ...] = (
    "Leave a Comment",
    "Leave a Reply",
    "Post a Comment",
    "Add a Comment",
    "Comments",
    "No Comments",
    "Share",
    "Share this",
    "Share this article",
    "Share this story",
    "Share this post",
    "Share on Facebook",
    "Share on Twitter",
    "Tweet",
    "Print",
    "Email",
    "Related",
    "Related Posts",
    "Related Articles",
    "Related Stories",
    "Read more",
    "Read More Stories",
    "Continue reading",
    "Advertisement",
    "Subscribe",
    "Subscribe to our newsletter",
    "Back to top",
)

# Whitespace, punctuation and arrows that decorate boilerplate lines.
_DECORATION = " \t\u00a0:;.,!?|-\u2013\u2014\u00bb\u00ab\u203a\u2039>\u2192#*_[]()"
_SPACES = re.compile(r"\s+")


def boilerplate_key(line: str) -> str:
    """The form a line is compared in: casefolded, single spaces, no decoration."""
    return _SPACES.sub(" ", line.strip(_DECORATION)).casefold()


def boilerplate_keys(entries: Iterable[str] | None) -> frozenset[str]:
    """The comparison set for ``entries`` (``None`` means :data:`DEFAULT_BOILERPLATE`)."""
    if entries is None:
        entries = DEFAULT_BOILERPLATE
    if isinstance(entries, str):            # a lone string would become its letters
        entries = (entries,)
    return frozenset(k for k in (boilerplate_key(e) for e in entries) if k)


def strip_trailing_boilerplate(lines: Sequence[str],
                               entries: Iterable[str] | frozenset[str] | None = None,
                               ) -> list[str]:
    """``lines`` without trailing blank lines and trailing boilerplate lines.

    ``entries`` is a list of boilerplate lines (default :data:`DEFAULT_BOILERPLATE`)
    or a set already made by :func:`boilerplate_keys`.
    """
    keys = entries if isinstance(entries, frozenset) else boilerplate_keys(entries)
    end = len(lines)
    while end > 0:
        line = lines[end - 1]
        if line.strip() and boilerplate_key(line) not in keys:
            break
        end -= 1
    return list(lines[:end])
