"""How often the citizen FAQ answers (#22): the outcome of each question of the public page, counted per day.

Only counts are kept, per local day, outcome and entry shown: never the question typed. The outcome names are
owned here (``Outcome``, with their French labels); ``outcome_of`` maps what ``public_answer.answer`` decided.
Counters older than ``KEEP_DAYS`` are deleted as new ones are written.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from server.core.answer.reasons import AbstainReason
from server.core.desk.public_answer import PublicAnswer
from server.core.desk.tables import FaqEntry, PublicQuestionCount

log = logging.getLogger(__name__)

KEEP_DAYS = 400
TOP_ENTRIES = 10


class Outcome(StrEnum):
    """What a citizen's question got on the public page; ``label`` is its French wording."""

    ENTRY = "entree"
    EXTRACTS = "extraits"
    SUGGESTIONS = "suggestions"
    NOTHING = "rien"
    REFUSED = "hors_champ"

    @property
    def label(self) -> str:
        """The French wording shown to supervisors."""
        return LABELS[self]


LABELS: dict[Outcome, str] = {
    Outcome.ENTRY: "Entrée de la FAQ montrée",
    Outcome.EXTRACTS: "Extraits de documents publics montrés",
    Outcome.SUGGESTIONS: "Seulement des suggestions (« Vouliez-vous dire… »)",
    Outcome.NOTHING: "Aucun résultat (formulaire proposé)",
    Outcome.REFUSED: "Hors champ (situation personnelle, hors sujet, consigne)",
}

_CODES = frozenset(o.value for o in Outcome)

# The reasons for which the public side hands the question to a person without looking for an answer: a question
# out of its scope (scope.out_of_scope, public_answer.PERSONAL) or one the assistant does not take (confidence.guard).
REFUSED_REASONS = frozenset(
    {
        AbstainReason.OTHER_COMMUNE,
        AbstainReason.DISPUTE,
        AbstainReason.ADVICE,
        AbstainReason.PERSONAL_CASE,
        AbstainReason.OUT_OF_ROLE,
        AbstainReason.FOREIGN_LANGUAGE,
    }
)


@dataclass
class Summary:
    """The public page's questions over the last ``days`` days: totals per outcome and the entries most shown."""

    days: int
    totals: dict[Outcome, int]
    # (question of the entry, times shown), most shown first.
    top_entries: list[tuple[str, int]] = field(default_factory=list)

    @property
    def asked(self) -> int:
        """Questions asked over the period."""
        return sum(self.totals.values())

    @property
    def shown_share(self) -> float:
        """Share of the questions that got a FAQ entry (0 when none was asked)."""
        return self.totals[Outcome.ENTRY] / self.asked if self.asked else 0.0


def outcome_of(found: PublicAnswer) -> Outcome:
    """The outcome of a public answer: refused, entry shown, extracts shown, only suggestions, or nothing."""
    if found.reason in REFUSED_REASONS:
        return Outcome.REFUSED
    if found.kind == "faq":
        return Outcome.ENTRY
    if found.kind == "extraits":
        return Outcome.EXTRACTS
    return Outcome.SUGGESTIONS if found.suggestions else Outcome.NOTHING


def today() -> dt.date:
    """The local date the counters are kept by."""
    return dt.date.today()


def record(session: Session, outcome: Outcome, entry_id: int | None, day: dt.date | None = None) -> None:
    """Count one question with ``outcome`` (and the entry shown) on ``day`` (today by default)."""
    day = day or today()
    same = (
        PublicQuestionCount.day == day,
        PublicQuestionCount.outcome == outcome.value,
        PublicQuestionCount.faq_id.is_(None) if entry_id is None else PublicQuestionCount.faq_id == entry_id,
    )
    # One atomic increment: two workers counting at once lose nothing (a duplicate row, at worst, is summed).
    done = session.execute(update(PublicQuestionCount).where(*same).values(count=PublicQuestionCount.count + 1))
    if getattr(done, "rowcount", 0):
        return
    # A new row at most once a day per outcome and entry: then, and only then, drop the counters past their age.
    session.execute(delete(PublicQuestionCount).where(PublicQuestionCount.day < day - dt.timedelta(days=KEEP_DAYS)))
    session.add(PublicQuestionCount(day=day, outcome=outcome.value, faq_id=entry_id, count=1))
    session.flush()


def record_answer(session: Session, found: PublicAnswer) -> None:
    """Count the outcome of the public answer ``found`` (the entry shown, if any); nothing of its text."""
    record(session, outcome_of(found), found.entry.id if found.kind == "faq" and found.entry else None)


def summary(session: Session, days: int = 30, day: dt.date | None = None) -> Summary:
    """Totals per outcome and the ``TOP_ENTRIES`` entries most shown over the ``days`` days up to ``day``."""
    since = (day or today()) - dt.timedelta(days=days - 1)
    recent = PublicQuestionCount.day >= since
    totals = dict.fromkeys(Outcome, 0)
    rows = session.execute(
        select(PublicQuestionCount.outcome, func.sum(PublicQuestionCount.count))
        .where(recent)
        .group_by(PublicQuestionCount.outcome)
    )
    for code, n in rows:
        if code in _CODES:
            totals[Outcome(code)] = int(n or 0)
        else:
            log.warning("unknown public question outcome left out: %s", code)
    shown = func.sum(PublicQuestionCount.count).label("shown")
    top = session.execute(
        select(FaqEntry.question, shown)
        .join(FaqEntry, FaqEntry.id == PublicQuestionCount.faq_id)
        .where(recent, PublicQuestionCount.outcome == Outcome.ENTRY.value)
        .group_by(FaqEntry.id, FaqEntry.question)
        .order_by(shown.desc(), FaqEntry.id)
        .limit(TOP_ENTRIES)
    )
    return Summary(days, totals, [(question, int(n)) for question, n in top])
