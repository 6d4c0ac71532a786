"""Dates as French readers write them: « 6 décembre 2026 à 08:12 » (the ``date_longue`` filter of the templates).

Times are shown as they are stored (UTC), like every other time on the agents' pages.
"""

from __future__ import annotations

import datetime as dt
import re

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
# An evaluation run's id starts with the time it was made: 20261206-081200-<question set>.
_RUN_STAMP = re.compile(r"^(\d{8})-(\d{6})\b")


def _parse(value: object) -> dt.date | None:
    """A date or date-time from a date, a datetime, an ISO text or a run id's stamp; None when it is none of them."""
    if isinstance(value, dt.date):
        return value
    text = str(value or "").strip()
    stamp = _RUN_STAMP.match(text)
    if stamp:
        text = f"{stamp[1]}T{stamp[2]}"
    for parse in (dt.date.fromisoformat, dt.datetime.fromisoformat):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def long_date(value: object) -> str:
    """« 6 décembre 2026 à 08:12 » (« 1er » for the first day), « 6 décembre 2026 » for a date without a time.

    Anything that is not a date is returned as it is (an empty value as an empty text).
    """
    when = _parse(value)
    if when is None:
        return "" if value is None else str(value)
    day = "1er" if when.day == 1 else str(when.day)
    text = f"{day} {MONTHS[when.month - 1]} {when.year}"
    return f"{text} à {when:%H:%M}" if isinstance(when, dt.datetime) else text
