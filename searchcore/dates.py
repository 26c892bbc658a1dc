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

import email.utils
import re
import warnings
from datetime import date, datetime, timedelta, timezone

from dateutil import parser as dateutil_parser

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


def _parse_string(text: str) -> datetime:
    text = text.strip()
    if not text:
        raise DateError("empty date")
    if _DIGITS.match(text) and len(text) not in (4, 8):   # 2024 / 20240414 are dates
        return _from_epoch(float(text))
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(text)
        if parsed is not None:
            return parsed
    except (TypeError, ValueError, IndexError):
        pass
    try:
        # A fixed default fills missing parts (day, month) deterministically; an
        # unknown zone name makes dateutil warn, and we read it as UTC instead.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dateutil_parser.UnknownTimezoneWarning)
            return dateutil_parser.parse(text, default=datetime(2000, 1, 1),
                                         tzinfos=_TZINFOS)
    except (ValueError, OverflowError, dateutil_parser.ParserError) as exc:
        raise DateError(f"unrecognised date {text!r}") from exc


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
