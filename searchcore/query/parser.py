"""The query language: a query string -> a whoosh ``Query``.

A small hand-written recursive-descent parser, not whoosh's ``QueryParser``: whoosh
turns mistakes silently into ``ErrorNode``\\ s, and we want every mistake reported
with what and where (strict mode) or read as plain words (lenient mode). Words are
analysed with each field's own analyzer, so query terms equal index terms.

Syntax
------

====================================================  ============================================================
query                                                 matches
====================================================  ============================================================
``iran missiles``                                     both words (``match="any"``: either), in title or body;
                                                      title weighted above body (``field_weights``)
``iran OR israel``, ``iran || israel``                either word
``iran AND israel``, ``iran && israel``               both (the same as juxtaposition in "all" mode)
``iran -israel``, ``iran NOT israel``                 iran without israel; also ``-"a phrase"``, ``-(a b)``,
                                                      ``-title:x``
``+iran israel``                                      ``+`` requires a word (useful with ``match="any"``)
``(iran OR israel) missiles``                         grouping
``"ballistic missiles"``                              the words next to each other, in this order
``"iran missiles"~3``                                 in this order with at most 3 other words between
``title:israel``                                      one field: ``title body source authors category id url
                                                      language published`` (``date:`` = ``published``)
``title:"a phrase"``, ``title:(iran OR israel)``      a phrase or a group in one field
``missil*``                                           words starting with ``missil`` (not stemmed; in title/body
                                                      the word's own stem also counts, so ``missile*`` finds
                                                      "missiles")
``missle~``, ``missle~1``, ``missle~2``               words within 0-2 edits of the analysed word (``~`` alone: 0
                                                      edits up to 2 letters, 1 up to 5, else 2); the first letter
                                                      must match
``israel^3``, ``"a b"^2``, ``(a b)^2``                boost a word, phrase or group
``published:2024-04``                                 a whole period: year, month, day, hour, minute (UTC unless
                                                      an offset is given)
``published:[2024-01-01 TO 2024-04-30]``              inclusive range, whole end day included; ``{`` ``}`` exclude
                                                      an end; ``*`` leaves it open
``published:>=2024-04``                               also ``>``, ``<``, ``<=``; ``>2024-04`` means from May on
``published:[now-7d TO now]``, ``published:>now-7d``  relative to ``now=``: ``now-7d``, ``now-1y-2mo``, ``now/d``
                                                      (rounded); units ``min h d w M|mo y``
``published:*``                                       every article that has a date
``*``                                                 every article (``* -sport``, or just ``-sport``: all but
                                                      sport)
``\\:``, ``\\(``, ``\\*``, ``\\"``                        a backslash makes the next character plain text
====================================================  ============================================================

Precedence, loosest first: juxtaposition (the default operator), ``OR``, ``AND``,
``NOT``/``-``/``+``. So ``iran israel OR lebanon`` means ``iran AND (israel OR
lebanon)`` as in web search, and ``a AND b OR c`` means ``(a AND b) OR c`` as in
Boolean logic. Operators must be upper case (``&&`` and ``||`` also work); a
lower-case ``and``/``or``/``not`` is an ordinary (stop) word. Dates without a time zone
are UTC; see ``searchcore.query.daterange`` for every accepted date form.

Details a user can see:

* A stop word on its own is dropped (``the missiles`` = ``missiles``); a query of
  nothing but stop words, or an empty one, matches nothing (``NullQuery``) and is not
  an error in either mode.
* Inside phrases stop words are dropped too, so ``"Bank of America"`` matches the text
  "Bank of America" (see ``searchcore.analysis``). A word the analyzer splits
  (``e-mail``, ``10:30``) becomes a phrase of its parts.
* ``source`` and ``authors`` match exact words (no stemming), ``category`` the whole
  lower-cased label (``category:"middle east"``), ``id``/``url``/``language`` the
  exact value.
* A query of only exclusions (``-sport``) matches everything else.

Errors. In strict mode (the default) a malformed query raises
:class:`~searchcore.errors.QuerySyntaxError` with the 0-based ``position`` and a
message saying what is wrong: unbalanced quotes, parentheses or range brackets, an
operator with nothing on one side, an unknown field (the message lists the valid
ones), a field with no value, a bad date (the message lists the accepted forms), a bad
``~``/``^`` number, a range or comparison on a field other than ``published``. No other
exception type escapes. With ``lenient=True`` (for text typed by end users, like
Elasticsearch's ``simple_query_string``) nothing is raised: a stray quote or bracket is
ignored, ``foo:bar`` with an unknown field reads as the words ``foo bar``, a bad date
as words, a dangling operator is dropped.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Iterable, Mapping, NamedTuple, Optional

from whoosh import query as wq
from whoosh.fields import DATETIME, ID, KEYWORD, Schema
import numpy as np
from whoosh.matching import AndNotMatcher, ListMatcher, NullMatcher
from whoosh.query import Query

from searchcore.distinct import distinct
from searchcore.analysis import NewsAnalyzer, fold_accents
from searchcore.execution.segment_arrays import deleted_docnums, field_lengths
from searchcore import multilingual
from searchcore.languages import normalize_language
from searchcore.query import budget
from searchcore.query.alternatives import QueryLanguages, combine, with_neutral
from searchcore.scoring.bm25f import CombinedPhrase, CombinedTerm, per_segment_matcher
from searchcore.scoring.ranking import UNDATED
from searchcore.query.daterange import ACCEPTED_FORMATS, DateValueError, bounds_for, parse_period
from searchcore.errors import QuerySyntaxError
from searchcore.query.fuzzy import WeightedFuzzyTerm
from searchcore.schema import QUERY_FIELDS, TEXT_FIELDS

#: Other names users may type for a field.
FIELD_ALIASES: dict[str, str] = {"date": "published"}
#: How deep parentheses and ``NOT``/``-`` chains may nest (guards the recursion).
MAX_DEPTH = 48
#: Prefix letters a fuzzy match must share with the word (whoosh scans less).
FUZZY_PREFIX = 1
MAX_FUZZY_EDITS = 2

# A ``(mod, query)`` pair: mod is "" (should/must by default), "+" (required) or
# "-" (excluded); query is None when the words analysed to nothing (stop words).
_Item = tuple[str, Optional[Query]]
_EMPTY: _Item = ("", None)


# -- fields ---------------------------------------------------------------------------
@dataclass(frozen=True)
class _Field:
    """What the parser needs to know about one schema field, computed once per schema."""

    name: str
    kind: str                                   # "text", "keyword", "id", "date"
    analyze: Callable[[str], list[str]]
    positions: bool
    stemmed: bool
    news: bool                                  # a NewsAnalyzer (lower-case + fold)
    analyzer: Any = None                        # the NewsAnalyzer of a stemmed field


#: Field infos by what a schema's fields are (not by ``id()``, which a new object may
#: reuse): schemas that read the same share them.
_SCHEMA_CACHE: dict[tuple[Any, ...], dict[str, _Field]] = {}


def _schema_key(schema: Schema) -> tuple[Any, ...]:
    """What the parser reads of ``schema``: each field's name, type, analyzer, positions."""
    return tuple((name, type(field), repr(getattr(field, "analyzer", None)),
                  bool(getattr(field, "indexed", False)),
                  bool(field.format and field.format.supports("positions")))
                 for name, field in schema.items())


#: The schema parsed for last (a weak reference: never keeps one alive), its field
#: objects and their infos: a search on the same open index finds them here.
_LAST_SCHEMA: tuple[Any, tuple[Any, ...], dict[str, _Field]] | None = None


def _field_infos(schema: Schema) -> dict[str, _Field]:
    """Per-field analysis info for ``schema``, cached (parse must stay well under 1 ms).

    The schema of the last parse is recognised by identity (the same object, holding
    the same field objects), so a search does not rebuild :func:`_schema_key` (a
    ``repr`` of every analyzer: 30 us). Nothing is stored on the schema: whoosh
    pickles it into the index's table of contents.
    """
    global _LAST_SCHEMA
    fields = tuple(schema)
    last = _LAST_SCHEMA
    if last is not None and last[0]() is schema and len(last[1]) == len(fields) \
            and all(a is b for a, b in zip(last[1], fields)):
        return last[2]
    infos = _shared_field_infos(schema)
    _LAST_SCHEMA = (weakref.ref(schema), fields, infos)
    return infos


def _shared_field_infos(schema: Schema) -> dict[str, _Field]:
    """:func:`_field_infos` shared by schemas whose fields read the same."""
    key = _schema_key(schema)
    found = _SCHEMA_CACHE.get(key)
    if found is not None:
        return found
    infos: dict[str, _Field] = {}
    names = [n for n in QUERY_FIELDS if n in schema.names()]
    names += sorted(n for n in schema.names() if n not in names)
    for name in names:
        field = schema[name]
        if not getattr(field, "indexed", False):
            continue
        analyzer = getattr(field, "analyzer", None)
        news = isinstance(analyzer, NewsAnalyzer)
        if isinstance(field, DATETIME):
            kind = "date"
        elif isinstance(field, KEYWORD):
            kind = "keyword"
        elif isinstance(field, ID):
            kind = "id"
        else:
            kind = "text"
        if news:
            analyze: Callable[[str], list[str]] = analyzer.terms
        else:
            def analyze(text: str, _field=field) -> list[str]:
                return [t for t in _field.process_text(text, mode="query") if t]
        infos[name] = _Field(name, kind, analyze, bool(field.format and field.format.supports("positions")),
                             news and analyzer.stem, news, analyzer if news and analyzer.stem else None)
    if len(_SCHEMA_CACHE) > 32:
        _SCHEMA_CACHE.clear()
    _SCHEMA_CACHE[key] = infos
    return infos


# -- lexer ----------------------------------------------------------------------------
class _Tok(NamedTuple):
    kind: str           # WORD URL PHRASE FIELD RANGE LPAREN RPAREN AND OR NOT MINUS PLUS EOF
    text: str           # WORD: raw text (escapes kept); PHRASE: content; FIELD: name
    pos: int
    end: int
    suffix: str = ""    # PHRASE/RPAREN: "~2^3" as typed
    extra: tuple = ()   # RANGE: (lo, lo_pos, hi, hi_pos, lo_excl, hi_excl); MINUS: (attached,)


_FIELD_PREFIX = re.compile(r"([A-Za-z_][A-Za-z0-9_]*):")
#: ``scheme://`` then something: a URL typed or pasted as a query word.
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/]")
_RANGE_BODY = re.compile(r'\s*("[^"]*"|[^\s"]+)\s+(?:TO|to)\s+("[^"]*"|[^\s"]+)\s*$')
_SUFFIX_CHARS = re.compile(r'[^\s()"]*')
#: A word's characters: up to a space, a parenthesis or a quote, each backslash with
#: the character after it (``re``'s ``\s`` is ``str.isspace``). One match, not a
#: Python step per character (a third of lexing a query).
_WORD_RUN = re.compile(r'(?:\\[\s\S]?|[^\s()"\\])*')
_QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u00ab": '"', "\u00bb": '"'})
_UNESCAPE = re.compile(r"\\(.)|\\$", re.DOTALL)


def _unescape(raw: str) -> str:
    return _UNESCAPE.sub(lambda m: m.group(1) or "", raw) if "\\" in raw else raw


def _escaped(raw: str, index: int) -> bool:
    """Is ``raw[index]`` preceded by an odd number of backslashes?"""
    count = 0
    while index - count - 1 >= 0 and raw[index - count - 1] == "\\":
        count += 1
    return count % 2 == 1


class _Lexer:
    def __init__(self, text: str, lenient: bool, display: str | None = None) -> None:
        self.text = text
        self.lenient = lenient
        self.display = text if display is None else display

    def error(self, message: str, pos: int) -> QuerySyntaxError:
        return QuerySyntaxError(f"position {pos} in query {self.display!r}: {message}",
                                self.display, pos)

    def tokens(self) -> list[_Tok]:
        text, n = self.text, len(self.text)
        out: list[_Tok] = []
        i = 0
        after_field, field_end = False, -1
        while i < n:
            c = text[i]
            if c.isspace():
                i += 1
                continue
            start = i
            if c == "(":
                out.append(_Tok("LPAREN", c, i, i + 1))
                i += 1
            elif c == ")":
                i, suffix = self._suffix(i + 1)
                out.append(_Tok("RPAREN", c, start, i, suffix))
            elif c == '"':
                close = self._closing_quote(i + 1)
                if close < 0:
                    if not self.lenient:
                        raise self.error("unclosed quote '\"'", i)
                    i += 1                       # read the rest as plain words
                    continue
                content = _unescape(text[i + 1:close])
                i, suffix = self._suffix(close + 1)
                out.append(_Tok("PHRASE", content, start, i, suffix))
            elif c in "[{" and (tok := self._range(i)) is not None:
                out.append(tok)
                i = tok.end
            elif c in "-+":
                attached = i + 1 < n and not text[i + 1].isspace() and text[i + 1] != ")"
                out.append(_Tok("MINUS" if c == "-" else "PLUS", c, i, i + 1, extra=(attached,)))
                i += 1
            elif text.startswith(("&&", "||"), i) and (i + 2 == n or text[i + 2].isspace()):
                out.append(_Tok("AND" if c == "&" else "OR", text[i:i + 2], i, i + 2))
                i += 2
            else:
                # A backslash takes the next character with it (a space too).
                j = _WORD_RUN.match(text, i).end()
                raw = text[i:j]
                # Links and fields both need a colon: most words try neither pattern.
                link_or_field = not after_field and ":" in raw
                if link_or_field and _URL.match(raw):
                    # A pasted link: its "http:" is not a field (see _Parser.url).
                    out.append(_Tok("URL", raw, i, j))
                    i = j
                    continue
                m = _FIELD_PREFIX.match(raw) if link_or_field else None
                if m is not None:
                    out.append(_Tok("FIELD", m.group(1), i, i + m.end()))
                    i += m.end()
                    after_field, field_end = True, i
                    continue
                if raw in ("AND", "OR", "NOT") and not (after_field and i == field_end):
                    out.append(_Tok(raw, raw, i, j))
                else:
                    out.append(_Tok("WORD", raw, i, j))
                i = j
            after_field = False
        out.append(_Tok("EOF", "", n, n))
        return out

    def _closing_quote(self, i: int) -> int:
        text = self.text
        while i < len(text):
            if text[i] == "\\":
                i += 2
                continue
            if text[i] == '"':
                return i
            i += 1
        return -1

    def _suffix(self, i: int) -> tuple[int, str]:
        """``~N`` / ``^B`` right after a phrase or a closing parenthesis."""
        if i < len(self.text) and self.text[i] in "~^":
            m = _SUFFIX_CHARS.match(self.text, i)
            return m.end(), m.group()
        return i, ""

    def _range(self, i: int) -> _Tok | None:
        """``[lo TO hi]`` starting at ``i``; None (lenient) to read the bracket as text."""
        text = self.text
        j = i + 1
        while j < len(text) and text[j] not in "]}":
            if text[j] == '"':
                close = self._closing_quote(j + 1)
                if close < 0:
                    break
                j = close
            j += 1
        if j >= len(text) or text[j] not in "]}":
            if self.lenient:
                return None
            raise self.error(f"unclosed range bracket {text[i]!r}", i)
        m = _RANGE_BODY.match(text, i + 1, j)
        if m is None:
            if self.lenient:
                return None
            raise self.error(f"expected a range like [2024-01-01 TO 2024-04-30], not "
                             f"{text[i:j + 1]!r}", i)
        lo, hi = m.group(1), m.group(2)
        extra = (lo.strip('"'), m.start(1), hi.strip('"'), m.start(2), text[i] == "{", text[j] == "}")
        return _Tok("RANGE", text[i:j + 1], i, j + 1, extra=extra)


# -- parser ---------------------------------------------------------------------------
_PHRASE_SUFFIX = re.compile(r"^(?:~(?P<slop>\d*))?(?:\^(?P<boost>\d+(?:\.\d*)?|\.\d+))?$")
_NUMBER = re.compile(r"^(?:\d+(?:\.\d*)?|\.\d+)$")
_STOP_AT = ("EOF", "RPAREN", "AND", "OR")


class _Parser:
    def __init__(self, text: str, tokens: list[_Tok], fields: dict[str, _Field],
                 default: list[tuple[_Field, float]], match: str, lenient: bool,
                 now: datetime, display: str | None = None,
                 langs: QueryLanguages | None = None) -> None:
        self.text = text
        self.langs = langs
        self.display = text if display is None else display
        self.toks = tokens
        self.i = 0
        self.fields = fields
        self.default = default
        self.any = match == "any"
        self.lenient = lenient
        self.now = now
        self.depth = 0

    # -- helpers ----------------------------------------------------------------------
    def error(self, message: str, pos: int) -> QuerySyntaxError:
        return QuerySyntaxError(f"position {pos} in query {self.display!r}: {message}",
                                self.display, pos)

    def fail(self, message: str, pos: int) -> None:
        """Raise in strict mode; in lenient mode return so the caller can recover."""
        if not self.lenient:
            raise self.error(message, pos)

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
        tok = self.toks[self.i]
        if tok.kind != "EOF":
            self.i += 1
        return tok

    # -- grammar ----------------------------------------------------------------------
    def parse(self) -> Query:
        items: list[_Item] = []
        while True:
            tok = self.peek()
            if tok.kind == "EOF":
                break
            if tok.kind == "RPAREN":
                self.fail("unmatched ')'", tok.pos)
                self.take()
                continue
            items.append(self.parse_or(self.default))
        mod, q = self.combine_default(items)
        if q is None:
            return wq.NullQuery
        if mod == "-":
            return AndNot(wq.Every(), q)
        return q

    def parse_seq(self, ctx: list[tuple[_Field, float]]) -> list[_Item]:
        """Items up to the closing parenthesis (not consumed)."""
        items: list[_Item] = []
        while self.peek().kind not in ("EOF", "RPAREN"):
            items.append(self.parse_or(ctx))
        return items

    def parse_or(self, ctx: list[tuple[_Field, float]]) -> _Item:
        items = [self.parse_and(ctx)]
        while self.peek().kind == "OR":
            op = self.take()
            if self.peek().kind in _STOP_AT:
                self.fail("'OR' has nothing after it", op.pos)
                continue
            items.append(self.parse_and(ctx))
        if len(items) == 1:
            return items[0]
        subs = [wq.Not(q) if mod == "-" else q for mod, q in items if q is not None]
        if not subs:
            return _EMPTY
        if len(subs) == 1:
            return next((m, q) for m, q in items if q is not None)
        return ("", wq.Or(subs))

    def parse_and(self, ctx: list[tuple[_Field, float]]) -> _Item:
        items = [self.parse_unary(ctx)]
        while self.peek().kind == "AND":
            op = self.take()
            if self.peek().kind in _STOP_AT:
                self.fail(f"{op.text!r} has nothing after it", op.pos)
                continue
            items.append(self.parse_unary(ctx))
        if len(items) == 1:
            return items[0]
        return _combine_all(items)

    def parse_unary(self, ctx: list[tuple[_Field, float]]) -> _Item:
        tok = self.peek()
        if tok.kind in ("NOT", "MINUS", "PLUS"):
            self.take()
            name = "NOT" if tok.kind == "NOT" else tok.text
            nxt = self.peek()
            if nxt.kind in _STOP_AT:
                self.fail(f"{name!r} has nothing after it", tok.pos)
                return _EMPTY
            if tok.kind != "NOT" and not tok.extra[0]:
                self.fail(f"{name!r} must be written right before a word, as in -word", tok.pos)
                return _EMPTY                   # lenient: a lone '-' is punctuation
            if self.depth >= MAX_DEPTH:
                self.fail("query nests too deeply", tok.pos)
                return _EMPTY
            self.depth += 1
            try:
                mod, q = self.parse_unary(ctx)
            finally:
                self.depth -= 1
            if tok.kind == "PLUS":
                return ("+" if mod != "-" else "-", q)
            return ("" if mod == "-" else "-", q)
        return self.parse_primary(ctx)

    def parse_primary(self, ctx: list[tuple[_Field, float]]) -> _Item:
        tok = self.take()
        kind = tok.kind
        if kind in ("AND", "OR"):
            self.fail(f"{tok.text!r} has nothing before it", tok.pos)
            return _EMPTY
        if kind in ("EOF", "RPAREN"):            # callers check; kept for safety
            self.fail("expected a word", tok.pos)
            return _EMPTY
        if kind == "LPAREN":
            return self.parse_group(tok, ctx)
        if kind == "FIELD":
            return self.parse_field(tok, ctx)
        date_ctx = len(ctx) == 1 and ctx[0][0].kind == "date"
        if kind == "RANGE":
            if date_ctx:
                return ("", self.date_range(tok, ctx[0][0]))
            name = ctx[0][0].name if len(ctx) == 1 else "the default fields"
            self.fail(f"ranges work only on published, not on {name} "
                      f"(write published:{tok.text})", tok.pos)
            return ("", self.words(tok.text, self.default))
        if kind == "PHRASE":
            if date_ctx:
                return ("", self.date_value(tok.text, tok.pos + 1, ctx[0][0]))
            return ("", self.phrase(tok, ctx))
        if date_ctx:
            return ("", self.date_word(tok, ctx[0][0]))
        if kind == "URL":
            return ("", self.url(tok, ctx))
        return ("", self.word(tok, ctx))

    def parse_group(self, tok: _Tok, ctx: list[tuple[_Field, float]]) -> _Item:
        if self.depth >= MAX_DEPTH:
            self.fail("query nests too deeply", tok.pos)
            return _EMPTY
        self.depth += 1
        try:
            items = self.parse_seq(ctx)
        finally:
            self.depth -= 1
        close = self.peek()
        boost = None
        if close.kind == "RPAREN":
            self.take()
            boost = self.suffix_boost(close)
        else:
            self.fail("unclosed '('", tok.pos)
        if not items and close.kind == "RPAREN":
            self.fail("empty parentheses '()'", tok.pos)
        mod, q = self.combine_default(items)
        if q is not None and boost is not None:
            q = _boosted(q, boost)
        return mod, q

    def parse_field(self, tok: _Tok, ctx: list[tuple[_Field, float]]) -> _Item:
        name = tok.text.lower()
        name = FIELD_ALIASES.get(name, name)
        info = self.fields.get(name)
        nxt = self.peek()
        if info is None:
            valid = ", ".join(list(self.fields) + [f"{a} (= {t})" for a, t in FIELD_ALIASES.items()
                                                   if t in self.fields])
            self.fail(f"unknown field {tok.text!r} (valid fields: {valid}); to search for "
                      f"the text itself, quote it (\"{tok.text}:...\") or write {tok.text}\\:",
                      tok.pos)
            name_item = ("", self.words(tok.text, ctx))
            if nxt.kind in _STOP_AT:
                return name_item
            return self.combine_default([name_item, self.parse_unary(ctx)])
        if nxt.kind in _STOP_AT or nxt.kind == "FIELD":
            self.fail(f"field '{tok.text}:' has no value", tok.pos)
            return ("", self.words(tok.text, ctx))
        return self.parse_unary([(info, 1.0)])

    # -- combining --------------------------------------------------------------------
    def combine_default(self, items: list[_Item]) -> _Item:
        """Juxtaposed items: AND in "all" mode, OR (with + and - honoured) in "any" mode."""
        if len(items) == 1:
            return items[0]
        if not self.any:
            return _combine_all(items)
        req = [q for m, q in items if m == "+" and q is not None]
        opt = [q for m, q in items if m == "" and q is not None]
        neg = [q for m, q in items if m == "-" and q is not None]
        if req and opt:
            q: Query | None = wq.AndMaybe(_and(req), _or(opt))
        elif req:
            q = _and(req)
        elif opt:
            q = _or(opt)
        else:
            q = None
        if q is None:
            return ("-", _or(neg)) if neg else _EMPTY
        return ("", AndNot(q, _or(neg)) if neg else q)

    # -- leaves -----------------------------------------------------------------------
    def suffix_boost(self, tok: _Tok) -> float | None:
        if not tok.suffix:
            return None
        m = re.match(r"^\^(\d+(?:\.\d*)?|\.\d+)$", tok.suffix)
        if m is None:
            self.fail(f"expected ^number after ')', not {tok.suffix!r}", tok.end - len(tok.suffix))
            return None
        return float(m.group(1))

    def words(self, text: str, ctx: list[tuple[_Field, float]]) -> Query | None:
        """``text`` as plain words (lenient recovery): each word ANDed or ORed by mode."""
        return _each_word(text.split(), ctx, "any" if self.any else "all", self.langs)

    def phrase(self, tok: _Tok, ctx: list[tuple[_Field, float]]) -> Query | None:
        slop, boost = 1, 1.0
        if tok.suffix:
            m = _PHRASE_SUFFIX.match(tok.suffix)
            if m is None:
                self.fail(f"expected ~N or ^number after a phrase, not {tok.suffix!r}",
                          tok.end - len(tok.suffix))
            else:
                if m.group("slop"):
                    slop = min(int(m.group("slop")), 1000) + 1    # Lucene's N words between
                if m.group("boost"):
                    boost = float(m.group("boost"))
        q = _terms_query(tok.text, ctx, slop=slop, langs=self.langs)
        return _boosted(q, boost) if q is not None and boost != 1.0 else q

    def url(self, tok: _Tok, ctx: list[tuple[_Field, float]]) -> Query | None:
        """A URL: its words as a phrase (``http www.reuters.com``) where it is quoted in
        text, or, searching the default fields, the exact ``url`` of an article."""
        text = _unescape(tok.text)
        q = _terms_query(text, ctx, langs=self.langs)
        url_field = self.fields.get("url")
        if ctx is self.default and url_field is not None:
            exact = _terms_query(text, [(url_field, 1.0)])
            q = exact if q is None else q if exact is None else wq.Or([q, exact])
        return q

    def word(self, tok: _Tok, ctx: list[tuple[_Field, float]]) -> Query | None:
        raw = tok.text
        boost = 1.0
        cut = raw.rfind("^")
        if cut >= 0 and not _escaped(raw, cut) and re.fullmatch(r"[0-9.]*", raw[cut + 1:]):
            number = raw[cut + 1:]
            if _NUMBER.match(number):
                boost = float(number)
            else:
                self.fail(f"expected a number after '^', not {number!r}", tok.pos + cut)
            raw = raw[:cut]
        fuzzy: str | None = None
        cut = raw.rfind("~")
        if cut >= 0 and not _escaped(raw, cut) and re.fullmatch(r"[0-9.]*", raw[cut + 1:]):
            fuzzy = raw[cut + 1:]
            raw = raw[:cut]
        star = raw.endswith("*") and not _escaped(raw, len(raw) - 1)
        if star:
            raw = raw[:-1]
        body = _unescape(raw)
        if not body:
            if star and fuzzy is None and raw == "":
                q: Query | None = (wq.Every() if ctx is self.default
                                   else _or([FieldPresent(f.name) for f, _ in ctx]))
            else:
                self.fail(f"{tok.text!r} has no word before its '~', '*' or '^'", tok.pos)
                q = None
        elif fuzzy is not None:
            edits = None
            if fuzzy:
                if fuzzy.isdigit() and int(fuzzy) <= MAX_FUZZY_EDITS:
                    edits = int(fuzzy)
                else:
                    self.fail(f"fuzzy edit distance must be 0, 1 or 2, not {fuzzy!r}",
                              tok.pos + len(raw) + 1)
            q = _fuzzy_query(body, ctx, edits, self.langs)
        elif star:
            q = _prefix_query(body, ctx, self.langs)
        else:
            q = _terms_query(body, ctx, langs=self.langs)
        return _boosted(q, boost) if q is not None and boost != 1.0 else q

    # -- dates ------------------------------------------------------------------------
    def period(self, value: str, pos: int) -> tuple[datetime, datetime] | None:
        try:
            return parse_period(value, self.now)
        except DateValueError as exc:
            detail = "" if str(exc) == "not a date" else f": {exc}"
            self.fail(f"invalid date {value!r}{detail} (accepted: {ACCEPTED_FORMATS})", pos)
            return None

    def date_value(self, value: str, pos: int, info: _Field, op: str = "") -> Query | None:
        if value.strip() == "*" and not op:
            return FieldPresent(info.name)
        period = self.period(value, pos)
        if period is None:                      # lenient: the text as words
            return self.words(value, self.default)
        start, end = bounds_for(op, period)
        return _date_range(info.name, start, end)

    def date_word(self, tok: _Tok, info: _Field) -> Query | None:
        raw = _unescape(tok.text)
        op = next((o for o in (">=", "<=", ">", "<") if raw.startswith(o)), "")
        value, pos = raw[len(op):], tok.pos + len(op)
        if op and not value:
            nxt = self.peek()
            if nxt.kind in ("WORD", "PHRASE"):
                self.take()
                value, pos = (_unescape(nxt.text) if nxt.kind == "WORD" else nxt.text), nxt.pos
            else:
                self.fail(f"{op!r} needs a date after it", tok.pos)
                return None
        if raw.lower().startswith("now") and not op and "/" not in raw:
            self.fail(f"a relative date like {raw!r} is an instant: write {info.name}:>{raw} or "
                      f"a range like {info.name}:[{raw} TO now]", tok.pos)
            return self.words(raw, self.default)
        return self.date_value(value, pos, info, op)

    def date_range(self, tok: _Tok, info: _Field) -> Query | None:
        lo, lo_pos, hi, hi_pos, lo_excl, hi_excl = tok.extra
        start = end = None
        if lo != "*":
            period = self.period(lo, lo_pos)
            if period is None:
                return self.words(tok.text, self.default)
            start = period[1] if lo_excl else period[0]
        if hi != "*":
            period = self.period(hi, hi_pos)
            if period is None:
                return self.words(tok.text, self.default)
            end = period[0] if hi_excl else period[1]
        if start is None and end is None:
            return FieldPresent(info.name)
        if start is not None and end is not None and end <= start:
            # A silent "0 hits" reads as "no such articles"; say the range is empty.
            hint = f" (did you mean [{hi} TO {lo}]?)" if not (lo_excl or hi_excl) else ""
            self.fail(f"the range {tok.text} is empty: it starts after it ends{hint}", tok.pos)
            return wq.NullQuery
        return _date_range(info.name, start, end)


# -- query builders -------------------------------------------------------------------
class _AndNotMatcher(AndNotMatcher):
    """whoosh 2.7.4's ``AndNotMatcher`` checks the excluded side only when both sides
    *start* on the same document: if the excluded matcher starts earlier, the first
    positive document is returned even when it is excluded (``missiles -israel``
    found the one article about Israel's missiles). Always align them."""

    def _find_first(self) -> None:
        if self.a.is_active() and self.b.is_active():
            self._find_next()

    def _find_next(self):  # type: ignore[no-untyped-def]
        """whoosh's ``_find_next`` reads the positive side's id without checking that
        it is still active: after ``skip_to`` ran it off its end (``film (-oil 0)``,
        ``(-w 0)V`` on Reuters) a matcher that raises on an exhausted ``id()``, as
        BM25F's does, raised ``ReadTooFar``."""
        if not self.a.is_active():
            return False
        return super()._find_next()


class AndNot(wq.AndNot):
    """``a ANDNOT b`` with the fixed matcher above; otherwise whoosh's ``AndNot``."""

    def matcher(self, searcher, context=None):  # type: ignore[no-untyped-def]
        return _AndNotMatcher(self.a.matcher(searcher, context),
                              self.b.matcher(searcher, searcher.boolean_context()))


def _charged(query: "wq.MultiTerm", kind: str, reader: Any, words: Any,
             df: Callable[[bytes], int] | None = None) -> list[bytes]:
    """``words`` (a prefix's or fuzzy word's expansions) charged to the search's budget;
    ``df(word)`` (default: the reader's) ranks them where a lenient search cuts."""
    spend = budget.current()
    if spend is None:
        return list(words)
    field = query.fieldname
    return spend.expand(kind, field, query.text, words,
                        df or (lambda word: reader.doc_frequency(field, word)))


class Prefix(wq.Prefix):
    """``missil*``: the documents having any word with the prefix, scored as a constant.

    Its expansions count against the query budget. Like Lucene's constant-score
    rewrite of a prefix, the matching documents are gathered once into one sorted
    list: whoosh's union of one matcher per word costs per document and word (8 s
    for ``co*`` on Reuters, even cut to 100 words); the list costs milliseconds.
    """

    def _btexts(self, ixreader):  # type: ignore[no-untyped-def]
        return _charged(self, "prefix", ixreader, super()._btexts(ixreader))

    def expansions(self, segment_reader: Any, words: Iterable[bytes],
                   df: Callable[[bytes], int]) -> list[bytes]:
        """``words`` (one segment's with the prefix, and their frequencies: the array
        executor reads both from the side term dictionary) charged to the search's
        budget, as here."""
        return _charged(self, "prefix", segment_reader, words, df)

    def matcher(self, searcher, context=None):  # type: ignore[no-untyped-def]
        if not searcher.is_atomic():
            return per_segment_matcher(self, searcher, context)
        reader = searcher.reader()
        name = self.fieldname
        if name not in reader.schema:
            return NullMatcher()
        spend = budget.current()
        lists = []
        for word in self._btexts(reader):
            if (name, word) in reader:
                lists.append(np.fromiter(reader.postings(name, word).all_ids(), dtype=np.int64))
                if spend is not None and len(lists) % 64 == 0:
                    spend.check_time()
        if not lists:
            return NullMatcher()
        docs = distinct(np.concatenate(lists))
        return ListMatcher([int(d) for d in docs], all_weights=self.boost)


class FuzzyTerm(WeightedFuzzyTerm):
    """A fuzzy word (expansions weighted by similarity and frequency, transpositions
    found: :mod:`searchcore.query.fuzzy`) whose expansions count against the query budget."""

    def _btexts(self, ixreader):  # type: ignore[no-untyped-def]
        return _charged(self, "fuzzy", ixreader, super()._btexts(ixreader))


class FieldPresent(wq.Every):
    """Documents with something in one field (``title:*``), from the field's column.

    whoosh's ``Every(field)`` reads the posting list of every word of the field (4 s
    for ``body:*`` on Reuters); the length column (text fields) or the value column
    (``published``) answers the same in milliseconds.
    """

    def matcher(self, searcher, context=None):  # type: ignore[no-untyped-def]
        if not searcher.is_atomic():
            return per_segment_matcher(self, searcher, context)
        reader = searcher.reader()
        name = self.fieldname
        field = reader.schema[name] if name in reader.schema else None
        if field is not None and getattr(field, "scorable", False):
            present = field_lengths(reader, name) > 0
        elif field is not None and reader.has_column(name) and isinstance(field, DATETIME):
            values = reader.column_reader(name, translate=False)
            present = np.fromiter((v != UNDATED for v in values), dtype=bool,
                                  count=reader.doc_count_all())
        else:
            return super().matcher(searcher, context)
        docs = np.flatnonzero(present)
        if reader.has_deletions():
            docs = np.setdiff1d(docs, deleted_docnums(reader), assume_unique=True)
        if not len(docs):
            return NullMatcher()
        return ListMatcher([int(d) for d in docs], all_weights=self.boost)


def _and(qs: list[Query]) -> Query:
    if len(qs) > 1:
        qs = with_neutral(qs)       # a word some languages drop (searchcore.query.alternatives)
    return qs[0] if len(qs) == 1 else wq.And(qs)


def _or(qs: list[Query]) -> Query:
    return qs[0] if len(qs) == 1 else wq.Or(qs)


def _combine_all(items: list[_Item]) -> _Item:
    pos = [q for m, q in items if m != "-" and q is not None]
    neg = [q for m, q in items if m == "-" and q is not None]
    if not pos:
        return ("-", _or(neg)) if neg else _EMPTY
    q = _and(pos)
    return ("", AndNot(q, _or(neg)) if neg else q)


def _boosted(q: Query, boost: float) -> Query:
    if q is wq.NullQuery:
        return q
    q.boost = getattr(q, "boost", 1.0) * boost
    return q


def _date_range(name: str, start: datetime | None, end: datetime | None) -> Query:
    if end is not None and start is not None and end <= start:
        return wq.NullQuery                      # an empty period: nothing can match
    return wq.DateRange(name, start, end, endexcl=end is not None)


def _terms_query(text: str, ctx: list[tuple[_Field, float]], slop: int = 1,
                 langs: QueryLanguages | None = None) -> Query | None:
    """``text`` analysed per field: a Term, or a Phrase when it yields several terms.

    A word (a phrase) in several text fields is one :class:`CombinedTerm`
    (:class:`CombinedPhrase`), scored by BM25F over the fields together rather than
    field by field. With ``langs`` (an index of several languages) ``text`` is analysed
    in each and the results combined (:mod:`searchcore.query.alternatives`)."""
    profiles = _profiles(ctx, langs)
    if profiles is not None:
        analyzer_language = profiles[0][1]
        return combine([(profile, _terms_query_in(text, ctx, slop, profile))
                        for profile, _ in profiles], langs, analyzer_language)  # type: ignore[arg-type]
    return _terms_query_in(text, ctx, slop, None)


def _profiles(ctx: list[tuple[_Field, float]],
              langs: QueryLanguages | None) -> list[tuple[multilingual.Profile, str]] | None:
    """``(profile, analyzer language)`` to analyse ``ctx``'s stemmed fields with, or
    None when there is only the index's own language."""
    if langs is None:
        return None
    analyzer = next((info.analyzer for info, _ in ctx if info.analyzer is not None), None)
    if analyzer is None:
        return None
    profiles = langs.profiles(analyzer.language)
    if len(profiles) == 1 and not profiles[0].tag:
        return None
    return [(p, analyzer.language) for p in profiles]


def _analyze(info: _Field, text: str, profile: multilingual.Profile | None) -> list[str]:
    if profile is None or info.analyzer is None:
        return info.analyze(text)
    if not profile.tag:
        return info.analyze(text)
    return multilingual.terms(info.analyzer, text, profile)


def _terms_query_in(text: str, ctx: list[tuple[_Field, float]], slop: int,
                    profile: multilingual.Profile | None) -> Query | None:
    """:func:`_terms_query` in one language (``profile``; None: the fields' own)."""
    parts: list[Query] = []
    words: list[wq.Term] = []
    phrases: list[wq.Phrase] = []
    # Title and body share one analyzer (one object in the schema): analysed once.
    analysed: list[tuple[Any, list[str]]] = []
    for info, boost in ctx:
        if info.kind == "date":
            continue
        owner = getattr(info.analyze, "__self__", None)
        terms = next((list(t) for o, t in analysed if o is owner), None) \
            if owner is not None else None
        if terms is None:
            terms = _analyze(info, text, profile)
            if owner is not None:
                analysed.append((owner, list(terms)))
        if not terms:
            continue
        combinable = info.kind == "text" and boost > 0
        if len(terms) == 1:
            (words if combinable else parts).append(wq.Term(info.name, terms[0], boost=boost))
        elif info.positions:
            phrase = wq.Phrase(info.name, terms, slop=slop, boost=boost)
            (phrases if combinable else parts).append(phrase)
        else:
            parts.append(wq.And([wq.Term(info.name, t) for t in terms], boost=boost))
    if len(words) > 1:
        words = [CombinedTerm(words)]
    if len(phrases) > 1 and all(p.words == phrases[0].words for p in phrases):
        phrases = [CombinedPhrase(phrases)]
    parts[:0] = words + phrases
    return _or(parts) if parts else None


def _prefix_norm(info: _Field, text: str) -> str:
    if info.news:
        return fold_accents(text.lower().replace("\u2019", "'"))
    if info.kind == "id":
        return text
    terms = info.analyze(text)
    return terms[0] if len(terms) == 1 else text.lower()


def _prefix_query(text: str, ctx: list[tuple[_Field, float]],
                  langs: QueryLanguages | None = None) -> Query | None:
    """Terms starting with ``text`` as typed; in stemmed fields also the word's own stem,
    so ``missile*`` finds "missiles" although the index holds the stem ``missil``.
    In an index of several languages, also each other language's tagged terms."""
    parts: list[Query] = []
    profiles = _profiles(ctx, langs) or [(None, "")]
    for info, boost in ctx:
        if info.kind == "date":
            continue
        prefix = _prefix_norm(info, text)
        if not prefix:
            continue
        for profile, _ in (profiles if info.stemmed else [(None, "")]):
            tag = profile.tag if profile is not None else ""
            parts.append(Prefix(info.name, tag + prefix, boost=boost))
            if info.stemmed:
                stems = _analyze(info, text, profile)
                if len(stems) == 1 and not stems[0].startswith(tag + prefix):
                    parts.append(wq.Term(info.name, stems[0], boost=boost))
    return _or(parts) if parts else None


def _auto_edits(term: str) -> int:
    """Elasticsearch's ``fuzziness: AUTO``: exact up to 2 letters, 1 edit up to 5, else 2."""
    return 0 if len(term) <= 2 else 1 if len(term) <= 5 else 2


def _fuzzy_query(text: str, ctx: list[tuple[_Field, float]], edits: int | None,
                 langs: QueryLanguages | None = None) -> Query | None:
    """Fuzzy match on the *analysed* term (``missles`` -> ``missl`` ~ ``missil``); in an
    index of several languages, on each language's analysis (the tag never fuzzed)."""
    parts: list[Query] = []
    profiles = _profiles(ctx, langs) or [(None, "")]
    for info, boost in ctx:
        if info.kind == "date":
            continue
        for profile, _ in (profiles if info.stemmed else [(None, "")]):
            tag = profile.tag if profile is not None else ""
            terms = _analyze(info, text, profile) or [tag + _prefix_norm(info, text)]
            subs: list[Query] = []
            for term in terms:
                if not term or term == tag:
                    continue
                bare = term[len(tag):] if tag and term.startswith(tag) else term
                own = tag if bare is not term else ""
                dist = _auto_edits(bare) if edits is None else edits
                subs.append(FuzzyTerm(info.name, term, boost=boost, maxdist=dist,
                                      prefixlength=FUZZY_PREFIX + len(own)) if dist
                            else wq.Term(info.name, term, boost=boost))
            if subs:
                sub = _and(subs)
                if sub not in parts:
                    parts.append(sub)
    return _or(parts) if parts else None


# -- entry point ----------------------------------------------------------------------
def _default_fields(fields: dict[str, _Field],
                    field_weights: Mapping[str, float] | None) -> list[tuple[_Field, float]]:
    weights = dict(field_weights or {})
    names = [n for n in TEXT_FIELDS if n in fields]
    names += [n for n in weights if n not in names and n in fields and fields[n].kind != "date"]
    return [(fields[n], float(weights.get(n, 1.0))) for n in names]


def _each_word(words: Iterable[str], ctx: list[tuple[_Field, float]], match: str,
               langs: QueryLanguages | None) -> Query | None:
    """Every one of ``words`` in the fields of ``ctx``, ANDed (``match="all"``) or ORed:
    what the grammar makes of juxtaposed plain words. None when no word is left (all
    stop words, or none)."""
    parts = [q for w in words if w
             for q in [_terms_query(w, ctx, langs=langs)] if q is not None]
    if not parts:
        return None
    return _or(parts) if match == "any" else _and(parts)


def _plain_words(text: str, schema: Schema, match: str,
                 field_weights: Mapping[str, float] | None,
                 langs: QueryLanguages | None = None) -> Query:
    """Last-resort lenient reading: every word of ``text`` in the default fields."""
    try:
        default = _default_fields(_field_infos(schema), field_weights)
        q = _each_word(re.split(r'[\s()"\[\]{}:~^*+\\]+', text), default, match, langs)
    except Exception:  # noqa: BLE001 - lenient mode must never raise
        return wq.NullQuery
    return wq.NullQuery if q is None else q


#: Anything the lexer or a word reads as syntax: brackets, quotes (typographic ones
#: too), escapes, suffixes, colons (fields, links), a leading sign, an operator. A text
#: without any is plain words (:func:`_plain_text`).
_SYNTAX = re.compile(r'[()"\\^~*:\[\]{}\u201c\u201d\u201e\u00ab\u00bb]'
                     r'|(?:^|\s)[-+]|(?:^|\s)(?:AND|OR|NOT|&&|\|\|)(?=\s|$)')


def _plain_text(text: str, default: list[tuple[_Field, float]], match: str,
                langs: QueryLanguages | None) -> Query | None:
    """The query of a text of plain words, made without the lexer and the grammar (the
    same tree they make: every word in the default fields, combined by ``match``), or
    None when ``text`` has any syntax. Most queries typed are plain words; the grammar
    costs them about half of parsing (16 of 33 µs for three words)."""
    if _SYNTAX.search(text) is not None:
        return None
    q = _each_word(text.split(), default, match, langs)
    return wq.NullQuery if q is None else q


def parse_query(text: str, schema: Schema, *, match: str = "all", lenient: bool = False,
                field_weights: Mapping[str, float] | None = None,
                now: datetime | None = None, languages: QueryLanguages | None = None) -> Query:
    """Parse ``text`` in searchcore's query language (see the module docstring).

    ``match="all"`` joins juxtaposed clauses with AND, ``"any"`` with OR.
    ``field_weights`` boosts the default fields (``{"title": 2.0, "body": 1.0}``); a
    text field named there besides title/body is searched by default too. ``now``
    anchors relative dates (aware; naive is taken as UTC; default: the current time).
    Strict mode raises :class:`QuerySyntaxError`; ``lenient=True`` never raises.
    ``languages`` (:func:`searchcore.query.alternatives.index_languages`): analyse each
    word in every language of the index, not only the fields' own.

    >>> from searchcore.schema import build_schema
    >>> parse_query('title:"ballistic missiles"', build_schema())
    Phrase('title', ['ballist', 'missil'], slop=1, boost=1.000000)
    """
    if match not in ("all", "any"):
        raise ValueError(f"match must be 'all' or 'any', not {match!r}")
    if not isinstance(text, str):
        raise TypeError(f"query must be a string, not {type(text).__name__}")
    if not text or text.isspace():
        return wq.NullQuery
    if now is None:
        now = datetime.now(timezone.utc)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    text = _without_surrogates(text, lenient)
    try:
        q = _parse(text, schema, match, lenient, field_weights, now, languages)
        # Over the search's max_clauses: strict raises, lenient keeps the first words.
        while (shorter := budget.trim_clauses(text, q, lenient)) is not None:
            text = shorter
            q = _parse(text, schema, match, lenient, field_weights, now, languages)
        return q
    except QuerySyntaxError:
        if lenient:
            return _plain_words(text, schema, match, field_weights, languages)
        raise
    except Exception as exc:  # noqa: BLE001 - never let a whoosh/internal traceback out
        if lenient:
            return _plain_words(text, schema, match, field_weights, languages)
        raise QuerySyntaxError(f"internal error while parsing {text!r}: {type(exc).__name__}: {exc}",
                               text, None) from exc


_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_surrogates(text: str, lenient: bool) -> str:
    """Lone surrogates (``\\udcff``: a byte of a non-UTF-8 terminal, via Python's
    surrogateescape) are not text and cannot be encoded to look a word up: strict mode
    says where, lenient reads them as spaces."""
    found = _SURROGATE.search(text)
    if found is None:
        return text
    if lenient:
        return _SURROGATE.sub(" ", text)
    shown = _SURROGATE.sub("\ufffd", text)
    raise QuerySyntaxError(
        f"position {found.start()} in query {shown!r}: {found.group()!r} is not a character "
        "(a lone surrogate; was the query typed in a terminal that is not UTF-8?)",
        shown, found.start())


def _language_hint(tokens: list[_Tok], langs: QueryLanguages) -> QueryLanguages:
    """``language:de`` required at the top level of an AND query: analyse the words in
    German only, as ``language="de"`` does (the same hits, the same scores)."""
    codes: list[str] = []
    depth = 0
    for i, tok in enumerate(tokens):
        if tok.kind == "LPAREN":
            depth += 1
        elif tok.kind == "RPAREN":
            depth -= 1
        elif tok.kind in ("OR", "NOT"):
            if depth == 0:
                return langs                    # not a plain conjunction: leave it
        elif (tok.kind == "FIELD" and depth == 0 and tok.text.lower() == "language"
              and tokens[i + 1].kind == "WORD"
              and not (i and tokens[i - 1].kind == "MINUS")):
            codes.append(normalize_language(_unescape(tokens[i + 1].text)))
    if not codes:
        return langs
    return QueryLanguages(tuple(dict.fromkeys(codes)), langs.present)


def _parse(text: str, schema: Schema, match: str, lenient: bool,
           field_weights: Mapping[str, float] | None, now: datetime,
           langs: QueryLanguages | None = None) -> Query:
    """The parse itself, without :func:`parse_query`'s safety net (the fuzz tests call
    this to see internal errors that lenient mode would otherwise hide)."""
    text = _without_surrogates(text, lenient)
    fields = _field_infos(schema)
    default = _default_fields(fields, field_weights)
    plain = _plain_text(text, default, match, langs)
    if plain is not None:
        return plain
    return _grammar(text, fields, default, match, lenient, now, langs)


def _grammar(text: str, fields: dict[str, _Field], default: list[tuple[_Field, float]],
             match: str, lenient: bool, now: datetime,
             langs: QueryLanguages | None = None) -> Query:
    """``text`` through the lexer and the grammar (whatever it holds)."""
    straight = text.translate(_QUOTES)          # typographic quotes read as '"'
    tokens = _Lexer(straight, lenient, text).tokens()
    if langs is not None and match == "all":
        langs = _language_hint(tokens, langs)
    parser = _Parser(straight, tokens, fields, default, match, lenient, now, display=text,
                     langs=langs)
    return parser.parse()
