"""Dates in, timezone-aware datetimes out.

Articles arrive with dates in every shape news feeds use. We accept, in this order:

* ``datetime``/``date`` objects (naive ones are taken as UTC);
* epoch seconds as int/float or a string of digits (13-digit values are
  milliseconds, as JavaScript writes them);
* ISO 8601 (``2024-04-14``, ``2024-04-14T09:30:00+02:00``, ``...Z``);
* RFC 2822 as in RSS (``Sun, 14 Apr 2024 09:30:00 GMT``);
* written forms via python-dateutil (``April 14, 2024``, ``14 Apr 2024 9:30``).

Everything is returned in UTC so that range queries and sorting compare like with
like. A date before ``MIN_YEAR`` or more than a year in the future is almost always a
parsing accident (``0001-01-01`` placeholders, epoch milliseconds read as seconds),
so it is rejected with a message rather than indexed.
"""

from __future__ import annotations

import re
import warnings
from datetime import date, datetime, timedelta, timezone


MIN_YEAR = 1800
#: How far past "now" a publication date may lie (embargoed stories, time zones).
MAX_FUTURE = timedelta(days=366)

_DIGITS = re.compile(r"^-?\d+(?:\.\d+)?$")

# Zone abbreviations news feeds write, as UTC offsets in seconds. dateutil knows
# none of them by itself (it warns and returns a naive time); RFC 2822 parsing
# already covers the US ones. Abbreviations are ambiguous worldwide (IST, CST), so
# only the common, unambiguous-in-news readings are listed; an unknown name is read
# as UTC rather than refused: the date is still right to within hours.
_TZINFOS = {"UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "BST": 3600, "WEST": 3600,
            "CET": 3600, "CEST": 7200, "MET": 3600, "MEST": 7200, "EET": 7200,
            "EEST": 10800, "MSK": 10800, "EST": -18000, "EDT": -14400, "CST": -21600,
            "CDT": -18000, "MST": -25200, "MDT": -21600, "PST": -28800, "PDT": -25200,
            "AKST": -32400, "AKDT": -28800, "HST": -36000, "JST": 32400, "KST": 32400,
            "HKT": 28800, "SGT": 28800, "AEST": 36000, "AEDT": 39600, "NZST": 43200,
            "NZDT": 46800}


class DateError(ValueError):
    """A value that is not a usable date; the message says why."""


def to_utc(value: datetime) -> datetime:
    """Aware UTC version of ``value``; naive datetimes are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _from_epoch(seconds: float) -> datetime:
    if abs(seconds) >= 1e11:          # milliseconds since the epoch
        seconds /= 1000.0
    try:
        return datetime.fromtimestamp(seconds, tz=timezone.utc)
    except (OverflowError, OSError, ValueError) as exc:
        raise DateError(f"epoch value {seconds!r} is out of range") from exc


#: The units a date string can be precise to, coarsest first.
PRECISIONS = ("year", "month", "day", "hour", "minute", "second")
# dateutil fills what a text leaves out from a default; parsing again with a default
# that differs in every field shows which fields the text gave.
_DEFAULT = datetime(2000, 1, 1)
_PROBE = datetime(2001, 2, 2, 1, 1, 1)


def _dateutil(text: str, default: datetime) -> datetime:
    # Imported on first use: python-dateutil (and email.utils below) cost a cold CLI
    # search ~30 ms of imports, and ISO dates, the common case, need neither.
    from dateutil import parser as dateutil_parser

    # An unknown zone name makes dateutil warn; we read it as UTC instead.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", dateutil_parser.UnknownTimezoneWarning)
        return dateutil_parser.parse(text, default=default, tzinfos=_TZINFOS)


def _clock_precision(text: str) -> str:
    """``"minute"`` for ``... 09:30``, ``"second"`` for ``... 09:30:15``, else ``"day"``."""
    colons = text.count(":")
    return "second" if colons >= 2 else "minute" if colons == 1 else "day"


def parse_date_text(text: str, *, require_year: bool = False) -> tuple[datetime, str | None]:
    """A date string in any form the importer reads, and the finest unit it states.

    The one date grammar, shared by the importer and by the query language's date
    values (``searchcore.query.daterange`` tries its exact ISO forms first, then this):
    epoch digits, ISO 8601, RFC 2822, written forms (``April 1, 1987``, ``April
    1987``, ``1 Apr 1987 9:30``). The unit is ``"day"`` for ``April 1, 1987``,
    ``"month"`` for ``April 1987``, None for an exact instant (epoch values).
    ``require_year``: refuse a text without a year (``April 1``) rather than fill it
    from a fixed default; the importer and the query filters both ask for that. Raises
    :class:`DateError`.
    """
    text = text.strip()
    if not text:
        raise DateError("empty date")
    if _DIGITS.match(text) and len(text) not in (4, 8):   # 2024 / 20240414 are dates
        return _from_epoch(float(text)), None
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        return parsed, _clock_precision(text) if any(c in text for c in "T ") else "day"
    except ValueError:
        pass
    try:
        import email.utils      # here, not at the top: see _dateutil
        rfc = email.utils.parsedate_to_datetime(text)
        if rfc is not None:
            return rfc, _clock_precision(text)
    except (TypeError, ValueError, IndexError):
        pass
    try:
        parsed = _dateutil(text, _DEFAULT)
    except (ValueError, OverflowError) as exc:   # dateutil's ParserError is a ValueError
        raise DateError(f"unrecognised date {text!r}") from exc
    try:
        probe = _dateutil(text, _PROBE)
    except (ValueError, OverflowError):
        probe = parsed          # e.g. "29 February": only the default year fits
    given = [getattr(parsed, unit) == getattr(probe, unit) for unit in PRECISIONS]
    if require_year and not given[0]:
        raise DateError(f"no year in {text!r}")
    precision = "year"
    for unit, ok in zip(PRECISIONS, given):
        if not ok:
            break
        precision = unit
    return parsed, precision


def _parse_string(text: str) -> datetime:
    # An article date without a year ("March 14", "9:30") would be filled from
    # dateutil's default and land every such article in the same wrong year, where
    # timelines and date filters would count it silently; refusing it names the record.
    return parse_date_text(text, require_year=True)[0]


def parse_datetime(value: object, now: datetime | None = None) -> datetime:
    """Parse ``value`` into an aware UTC datetime, or raise :class:`DateError`.

    ``now`` (default: the current time) bounds how far in the future a date may be.
    """
    if isinstance(value, bool):
        raise DateError(f"expected a date, got a boolean {value!r}")
    if isinstance(value, datetime):
        result = value
    elif isinstance(value, date):
        result = datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float)):
        result = _from_epoch(float(value))
    elif isinstance(value, str):
        result = _parse_string(value)
    else:
        raise DateError(f"expected a date string or number, got {type(value).__name__}")
    result = to_utc(result)
    if result.year < MIN_YEAR:
        raise DateError(f"date {result.isoformat()} is before {MIN_YEAR}")
    limit = (now or datetime.now(timezone.utc)) + MAX_FUTURE
    if result > limit:
        raise DateError(f"date {result.isoformat()} is more than a year in the future")
    return result
