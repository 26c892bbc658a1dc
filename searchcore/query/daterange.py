"""Date values in queries: absolute (possibly partial) dates and relative ``now`` math.

Every date value a query can hold is read as a *period*, a half-open interval
``[start, end)`` of naive UTC datetimes (whoosh stores ``published`` as naive UTC):

==========================  ==========================================================
value                       period
==========================  ==========================================================
``2024``                    the whole year 2024
``2024-04``                 the whole of April 2024
``2024-04-14``              that day (UTC)
``2024-04-14T09:30``        that minute; ``...:15`` that second; with ``Z`` or
                            ``+02:00`` the time is converted to UTC first
``now``                     the instant ``now`` (one microsecond wide)
``now-7d``, ``now+1h``      an instant relative to ``now``; units ``min`` (minutes),
                            ``h``, ``d``, ``w``, ``M`` or ``mo`` (months), ``y``;
                            steps chain (``now-1y-2mo``)
``now/d``, ``now-1M/M``     rounded: the whole day/month/... that instant falls in
``April 1, 1987``           any other form the importer reads (``searchcore.dates``):
                            that day; ``April 1987`` that month; a year is required
==========================  ==========================================================

Why periods: with them every comparison has one obvious meaning, the one
Elasticsearch gives partial dates and rounded date math. ``>= v`` starts at the
period's start, ``> v`` after its end, ``<= v`` ends with it, ``< v`` before it, and a
bare ``v`` means "inside it" — so ``published:2024-04`` is all of April and
``published:[2024-01 TO 2024-03]`` runs to the end of March.

A lone ``m`` is refused on purpose: Elasticsearch reads it as minutes, most people
writing ``now-3m`` about news mean months. The error says to write ``mo`` or ``min``.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import datetime, timedelta, timezone

from searchcore.dates import DateError, parse_date_text

#: One-line summary of what a date value may look like, for error messages.
ACCEPTED_FORMATS = ("YYYY, YYYY-MM, YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM], "
                    "written dates such as 'April 1, 1987', "
                    "now, now-7d, now+2h, now/d (units min h d w M|mo y), or * for open")

_ONE_US = timedelta(microseconds=1)

_ABSOLUTE = re.compile(
    r"^(?P<y>\d{4})(?:-(?P<mo>\d{1,2})(?:-(?P<d>\d{1,2})"
    r"(?:[T ](?P<h>\d{1,2})(?::(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.(?P<f>\d{1,6}))?)?)?"
    r"(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?)?)?)?$", re.IGNORECASE)
_STEP = re.compile(r"([+-])(\d{1,6})([A-Za-z]+)")
_UNITS = {"min": "minute", "mins": "minute", "minute": "minute", "minutes": "minute",
          "h": "hour", "hour": "hour", "hours": "hour",
          "d": "day", "day": "day", "days": "day",
          "w": "week", "week": "week", "weeks": "week",
          "M": "month", "mo": "month", "month": "month", "months": "month",
          "y": "year", "year": "year", "years": "year"}


class DateValueError(ValueError):
    """A date value that cannot be read; the message says why (no position)."""


def _unit(name: str) -> str:
    unit = _UNITS.get(name) or (_UNITS.get(name.lower()) if name not in ("m",) else None)
    if unit is None:
        if name == "m":
            raise DateValueError("unit 'm' is ambiguous: write 'mo' (months) or 'min' (minutes)")
        raise DateValueError(f"unknown time unit {name!r} (use min, h, d, w, M or mo, y)")
    return unit


def _add_months(value: datetime, months: int) -> datetime:
    total = value.year * 12 + (value.month - 1) + months
    year, month = divmod(total, 12)
    if not 1 <= year <= 9999:
        raise DateValueError("date is out of range")
    day = min(value.day, monthrange(year, month + 1)[1])
    return value.replace(year=year, month=month + 1, day=day)


def _shift(value: datetime, amount: int, unit: str) -> datetime:
    try:
        if unit == "month":
            return _add_months(value, amount)
        if unit == "year":
            return _add_months(value, 12 * amount)
        return value + timedelta(**{unit + "s": amount})
    except OverflowError:
        raise DateValueError("date is out of range") from None


def _floor(value: datetime, unit: str) -> datetime:
    if unit == "minute":
        return value.replace(second=0, microsecond=0)
    if unit == "hour":
        return value.replace(minute=0, second=0, microsecond=0)
    day = value.replace(hour=0, minute=0, second=0, microsecond=0)
    if unit == "day":
        return day
    if unit == "week":                        # ISO weeks start on Monday
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value
    return value.astimezone(timezone.utc).replace(tzinfo=None)


def _relative(text: str, now: datetime) -> tuple[datetime, datetime]:
    rest = text[3:]
    rounding = None
    if "/" in rest:
        rest, rounding = rest.split("/", 1)
        rounding = _unit(rounding)
    value = _naive_utc(now)
    pos = 0
    while pos < len(rest):
        step = _STEP.match(rest, pos)
        if step is None:
            raise DateValueError(f"cannot read {rest[pos:]!r} as a step like -7d or +2h")
        sign, amount, unit = step.groups()
        value = _shift(value, int(amount) * (-1 if sign == "-" else 1), _unit(unit))
        pos = step.end()
    if rounding is None:
        return value, value + _ONE_US
    start = _floor(value, rounding)
    return start, _shift(start, 7 if rounding == "week" else 1,
                         "day" if rounding == "week" else rounding)


def _absolute(text: str) -> tuple[datetime, datetime]:
    m = _ABSOLUTE.match(text)
    if m is None:
        raise DateValueError("not a date")
    g = m.groupdict()
    try:
        start = datetime(int(g["y"]), int(g["mo"] or 1), int(g["d"] or 1), int(g["h"] or 0),
                         int(g["mi"] or 0), int(g["s"] or 0), int((g["f"] or "0").ljust(6, "0")))
    except ValueError as exc:
        raise DateValueError(str(exc)) from None
    if g["f"]:
        unit = None
    else:
        unit = ("second" if g["s"] else "minute" if g["mi"] else "hour" if g["h"]
                else "day" if g["d"] else "month" if g["mo"] else "year")
    if g["tz"]:
        tz = g["tz"].upper()
        offset = timedelta(0)
        if tz != "Z":
            digits = tz[1:].replace(":", "")
            offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
            if offset >= timedelta(hours=24):
                raise DateValueError("time zone offset out of range")
            if tz[0] == "-":
                offset = -offset
        try:
            start = start - offset
        except OverflowError:
            raise DateValueError("date is out of range") from None
    if unit is None:
        return start, start + _ONE_US
    if unit == "second":
        return start, start + timedelta(seconds=1)
    try:
        return start, _shift(start, 1, unit)
    except DateValueError:
        return start, datetime.max      # the last year/month we can represent


def parse_period(text: str, now: datetime) -> tuple[datetime, datetime]:
    """The period ``[start, end)`` (naive UTC) that the date value ``text`` names.

    ``now`` anchors relative values; naive means UTC. Raises :class:`DateValueError`.

    >>> parse_period("2024-04", datetime(2024, 5, 1))
    (datetime.datetime(2024, 4, 1, 0, 0), datetime.datetime(2024, 5, 1, 0, 0))
    """
    text = text.strip()
    if text[:3].lower() == "now":
        return _relative(text, now)
    try:
        return _absolute(text)
    except OverflowError:
        raise DateValueError("date is out of range") from None
    except DateValueError as exc:
        if str(exc) != "not a date" or not text or not any(c.isdigit() for c in text):
            raise
    return _written(text)


def _written(text: str) -> tuple[datetime, datetime]:
    """The importer's other forms (``April 1, 1987``), as the period they state."""
    try:
        value, unit = parse_date_text(text, require_year=True)
    except DateError as exc:
        raise DateValueError("not a date" if str(exc).startswith("unrecognised") else str(exc)) \
            from None
    start = _naive_utc(value)
    if unit is None:
        return start, start + _ONE_US
    start = _floor(start, unit) if unit not in ("second", "year") else start
    if unit == "second":
        return start, start + timedelta(seconds=1)
    try:
        return start, _shift(start, 1, unit)
    except DateValueError:
        return start, datetime.max


#: Comparison operators and the bound each one makes from a period.
COMPARISONS = (">=", "<=", ">", "<")


def bounds_for(op: str, period: tuple[datetime, datetime]) -> tuple[datetime | None, datetime | None]:
    """``(start, end)`` for whoosh's ``DateRange(start, end, endexcl=True)``.

    ``start`` is inclusive, ``end`` exclusive, ``None`` open.
    """
    start, end = period
    if op == ">=":
        return start, None
    if op == ">":
        return end, None
    if op == "<":
        return None, start
    if op == "<=":
        return None, end
    return start, end
