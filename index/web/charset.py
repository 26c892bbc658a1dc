"""A web page's bytes as text, in the encoding the page itself declares.

Order, as browsers do it (WHATWG "encoding sniffing", simplified): a byte-order
mark; the charset of the HTTP ``Content-Type`` (a WARC record's, when there is
one); a ``<meta charset>`` / ``<meta http-equiv="Content-Type">`` or XML declaration
in the first :data:`SNIFF_BYTES` bytes; else UTF-8 if the bytes are valid UTF-8; else
charset-normalizer's guess. Never a blind UTF-8 decode: a Shift_JIS or windows-1251
page read as UTF-8 becomes replacement characters and is lost for search.

Labels follow the WHATWG table where it differs from Python's: ``iso-8859-1``,
``latin1`` and ``ascii`` mean windows-1252 (what servers that say so really send),
``shift_jis`` means cp932, ``gb2312``/``gbk`` mean gb18030, ``euc-kr`` means cp949.
A declared encoding that the bytes contradict (a page saying ``utf-8`` that is
really windows-1252) falls through to the next rule. Only when nothing decodes
cleanly are a few bad bytes replaced; a page that is mostly undecodable is refused
(:class:`UndecodablePage`).
"""

from __future__ import annotations

import codecs
import re

__all__ = ["SNIFF_BYTES", "UndecodablePage", "decode_page", "declared_charset"]

#: How far into a page a charset declaration is looked for (HTML says 1024; real
#: pages put it after long scripts, so further).
SNIFF_BYTES = 8192
#: Most replaced characters allowed, as a share of the text, before refusing a page.
MAX_REPLACED = 0.001

_META = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""")
_HEADER = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:\-]+)""", re.IGNORECASE)
_WHATWG = {
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252",
    "latin-1": "cp1252", "l1": "cp1252", "ascii": "cp1252", "us-ascii": "cp1252",
    "windows-1252": "cp1252", "iso-8859-9": "cp1254", "latin5": "cp1254",
    "iso-8859-11": "cp874", "tis-620": "cp874",
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
    "ms_kanji": "cp932", "windows-31j": "cp932",
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "gb_2312-80": "gb18030",
    "euc-kr": "cp949", "ks_c_5601-1987": "cp949",
    "x-mac-roman": "mac-roman", "unicode": "utf-16le", "utf-16": "utf-16le",
}
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16le"),
         (codecs.BOM_UTF16_BE, "utf-16be"))


class UndecodablePage(ValueError):
    """The bytes are not text in any encoding tried; ``str`` says what was tried."""


def _codec(label: str | bytes | None) -> str | None:
    """Python's codec name for an encoding label, or None if unknown."""
    if not label:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", "ignore")
    label = label.strip().strip("\"'").lower()
    label = _WHATWG.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def declared_charset(data: bytes, content_type: str | None = None) -> str | None:
    """The codec a BOM, ``content_type`` or the page's own declaration names."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    if content_type:
        match = _HEADER.search(content_type)
        if match and (name := _codec(match.group(1))):
            return name
    head = data[:SNIFF_BYTES]
    match = _XML_DECL.match(head) or _META.search(head)
    if match:
        name = _codec(match.group(1))
        # A page served as bytes cannot really be UTF-16 if it says so in ASCII.
        if name and not name.startswith("utf-16"):
            return name
    return None


def decode_page(data: bytes, content_type: str | None = None) -> tuple[str, str]:
    """``(text, codec)`` of a page's bytes; raises :class:`UndecodablePage`.

    >>> decode_page('<meta charset="windows-1251"><p>Привет'.encode("cp1251"))[1]
    'cp1251'
    """
    declared = declared_charset(data, content_type)
    tried = []
    for name in dict.fromkeys(filter(None, (declared, "utf-8"))):
        try:
            text = data.decode(name)
        except (UnicodeDecodeError, LookupError):
            tried.append(name)
            continue
        return _strip_bom(text), name
    guess = _guess(data)
    if guess and guess not in tried:
        try:
            return _strip_bom(data.decode(guess)), guess
        except (UnicodeDecodeError, LookupError):
            tried.append(guess)
    name = declared or guess or "utf-8"
    text = data.decode(name, errors="replace")
    replaced = text.count("\ufffd")
    if replaced > MAX_REPLACED * max(1, len(text)):
        raise UndecodablePage(
            f"not text in {name} ({replaced:,} undecodable bytes; tried "
            f"{', '.join(dict.fromkeys(tried))})")
    return _strip_bom(text), name


def _strip_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def _guess(data: bytes) -> str | None:
    from charset_normalizer import from_bytes
    best = from_bytes(data[:200_000]).best()
    return _codec(best.encoding) if best is not None else None
