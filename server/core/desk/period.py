"""A period of days that the supervisor's figures cover: parsed from "7d", "30d" or two ISO dates."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from server.core.errors import InputError

_RELATIVE = re.compile(r"^(\d{1,4})\s*(d|j)$")
MAX_DAYS = 3660


@dataclass(frozen=True)
class Period:
    """Days from ``since`` to ``until``, both included (UTC dates)."""

    since: dt.date
    until: dt.date

    @classmethod
    def last(cls, days: int, today: dt.date | None = None) -> Period:
        """The ``days`` days ending today."""
        end = today or dt.datetime.now(dt.UTC).date()
        return cls(end - dt.timedelta(days=max(days, 1) - 1), end)

    @classmethod
    def parse(cls, text: str, today: dt.date | None = None) -> Period:
        """ "7d" / "30j" (the last days) or "2026-11-01:2026-11-26"; a clear error otherwise."""
        text = text.strip().lower()
        match = _RELATIVE.match(text)
        if match:
            days = int(match.group(1))
            if not 1 <= days <= MAX_DAYS:
                raise InputError(f"Période de 1 à {MAX_DAYS} jours attendue, pas {days}.")
            return cls.last(days, today)
        since, sep, until = text.partition(":")
        try:
            period = cls(dt.date.fromisoformat(since), dt.date.fromisoformat(until if sep else since))
        except ValueError:
            raise InputError(f"Période illisible {text!r} : « 7d » ou « AAAA-MM-JJ:AAAA-MM-JJ » attendu.") from None
        return period.checked()

    @classmethod
    def between(cls, since: str | None, until: str | None, default_days: int = 30) -> Period:
        """From two optional ISO dates (a form's « du » and « au »); the last ``default_days`` days if absent."""
        fallback = cls.last(default_days)
        try:
            start = dt.date.fromisoformat(since) if since else fallback.since
            end = dt.date.fromisoformat(until) if until else fallback.until
        except ValueError:
            raise InputError("Date illisible : AAAA-MM-JJ attendu.") from None
        return cls(start, end).checked()

    def checked(self) -> Period:
        """The period itself, or InputError when it is reversed or too long."""
        if self.until < self.since:
            raise InputError("La fin de la période précède son début.")
        if (self.until - self.since).days >= MAX_DAYS:
            raise InputError(f"Période limitée à {MAX_DAYS} jours.")
        return self

    @property
    def start(self) -> dt.datetime:
        """First instant of the period (UTC)."""
        return dt.datetime.combine(self.since, dt.time.min, dt.UTC)

    @property
    def end(self) -> dt.datetime:
        """First instant after the period (UTC)."""
        return dt.datetime.combine(self.until + dt.timedelta(days=1), dt.time.min, dt.UTC)

    def days(self) -> list[dt.date]:
        """Every day of the period, in order."""
        return [self.since + dt.timedelta(days=i) for i in range((self.until - self.since).days + 1)]

    def label(self) -> str:
        """French label, e.g. "du 01/11/2026 au 26/11/2026"."""
        return f"du {self.since:%d/%m/%Y} au {self.until:%d/%m/%Y}"
