"""What the agent is told about a draft beside its text: the period it quotes, dates already past, sources to review.

Short French lines, shown above the draft on the request page and returned with the draft in the API; never part
of the reply sent to the resident.
"""

from __future__ import annotations

from datetime import date

from server.core.answer.chunk import PATH_SEPARATOR
from server.core.answer.draft import Selection, Unit
from server.core.answer.models import Citation
from server.core.answer.period import Period, find, french_day, latest_date
from server.core.answer.school_calendar import UNKNOWN, SchoolDay


def _label(unit: Unit, quoted: Period) -> str:
    """How the quoted period is named: its heading when the heading gives it (« horaires d'hiver (du 1er novembre au
    31 mars) »), else the words of the sentence (« du 1er avril au 31 octobre »)."""
    heading = unit.section.rsplit(PATH_SEPARATOR, 1)[-1]
    if heading and find(heading) is not None:
        return heading[:1].lower() + heading[1:]
    return quoted.text[:1].lower() + quoted.text[1:]


def period_note(units: list[Unit], asked: bool, chosen: bool, today: date, school: SchoolDay = UNKNOWN) -> str | None:
    """« Période citée : … » for a draft quoting a schedule of one part of the year, or None.

    ``asked``: the question named the period; ``chosen``: the draft's period was chosen among others of its
    document; ``school``: what the school calendar says of ``today``. A period only mentioned in passing (neither
    asked, chosen, given by a heading nor of a given year) gets no note. For the school holidays (or the days out of
    them), the note says what the calendar gives, or that no calendar is set.
    """
    unit = next((u for u in units if u.period is not None), None)
    if unit is None or unit.period is None:
        return None
    quoted = unit.period
    from_heading = find(unit.text) is None
    if not (asked or chosen or from_heading or quoted.dated):
        return None
    label = _label(unit, quoted)
    day = french_day(today)
    if quoted.holidays or quoted.school_days:
        if not school.known:
            day += " (aucun calendrier scolaire n'est réglé, ACCUEIL_SCHOOL_CALENDAR : vérifiez les vacances)"
        elif school.holidays is not None:
            day += f" ({school.holidays.name}, selon le calendrier scolaire)"
        else:
            day += " (hors vacances, selon le calendrier scolaire)"
    if quoted.applies(today, school.off):
        tail = "celle que nomme la question, " if asked else ""
        return f"Période citée : {label}, {tail}en vigueur le {day}."
    if asked:
        return f"Période citée : {label}, celle que nomme la question ; elle ne s'applique pas le {day}."
    if quoted.is_future(today):
        return f"Période citée : {label}, à venir (nous sommes le {day})."
    if quoted.is_past(today):
        return f"Période citée : {label}, déjà passée le {day} : vérifiez qu'une source plus récente existe."
    return f"Période citée : {label} ; elle ne s'applique pas le {day} : vérifiez la période en vigueur."


def source_notes(units: list[Unit], citations: list[Citation], today: date) -> list[str]:
    """For each cited document: a warning when the dates its quotes give are all past, or its review date is."""
    numbers = {c.doc_id: c.n for c in citations}
    notes: list[str] = []
    for doc_id, n in numbers.items():
        quoted = [u for u in units if u.chunk.doc_id == doc_id]
        dates = [d for u in quoted for d in (latest_date(u.text), latest_date(u.section, years=True)) if d]
        if dates and max(dates) < today:
            notes.append(
                f"Les dates citées de la source [{n}] sont passées (la dernière : {french_day(max(dates))}) : "
                "vérifiez qu'elle est à jour avant de répondre."
            )
        if quoted and quoted[0].chunk.is_stale(today.isoformat()):
            notes.append(
                f"La source [{n}] est à revérifier : sa date de révision "
                f"({french_day(date.fromisoformat(quoted[0].chunk.review_by))}) est dépassée."
            )
    return notes


def draft_notes(
    selection: Selection, units: list[Unit], citations: list[Citation], today: date, school: SchoolDay = UNKNOWN
) -> list[str]:
    """Every note of a draft: its period, then its sources' warnings."""
    first = period_note(units, selection.period_asked, selection.period_chosen, today, school)
    return ([first] if first else []) + source_notes(units, citations, today)
