"""How the indexed documents are used and kept: stale ones, the most cited, those never cited.

A document is stale when its ``review_by`` date is past, or when its last update is older than
``stale_months``. Citations are counted from the drafts recorded in the audit trail (one per request and document).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.desk.activity import events_of, requests_in
from server.core.desk.period import Period
from server.core.desk.states import TrailAction
from server.core.desk.tables import AuditEvent
from server.core.desk.tabular import Table


@dataclass
class Doc:
    """One indexed document as the supervisor sees it."""

    doc_id: str
    title: str
    url: str
    updated: str
    review_by: str
    audience: str
    theme: str
    cited: int = 0
    cited_ever: int = 0
    why_stale: str = ""


@dataclass
class SourceUsage:
    """Stale, most cited and never cited documents."""

    period: Period
    documents: int = 0
    stale: list[Doc] = field(default_factory=list)
    most_cited: list[Doc] = field(default_factory=list)
    never_cited: list[Doc] = field(default_factory=list)

    def tables(self) -> list[Table]:
        """The three lists as exportable tables."""
        head = ["document", "titre", "mis à jour", "à revoir le", "public", "thème"]

        def row(d: Doc) -> list[object]:
            return [d.doc_id, d.title, d.updated, d.review_by, d.audience, d.theme]

        return [
            Table(
                "sources-a-revoir",
                "Documents à revoir",
                [*head, "raison"],
                [[*row(d), d.why_stale] for d in self.stale],
            ),
            Table(
                "sources-plus-citees",
                "Documents les plus cités",
                [*head, "citations"],
                [[*row(d), d.cited] for d in self.most_cited],
            ),
            Table("sources-jamais-citees", "Documents jamais cités", head, [row(d) for d in self.never_cited]),
        ]


def _months_between(earlier: dt.date, later: dt.date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month - (later.day < earlier.day)


def stale_reason(doc: dict[str, Any], today: dt.date, stale_months: int) -> str:
    """Why a document must be reviewed ("" when it need not)."""
    review_by = str(doc.get("review_by") or "")
    if review_by and review_by < today.isoformat():
        return f"date de révision dépassée ({review_by})"
    try:
        updated = dt.date.fromisoformat(str(doc.get("updated") or "")[:10])
    except ValueError:
        return "date de mise à jour inconnue"
    months = _months_between(updated, today)
    return f"pas mis à jour depuis {months} mois" if months >= stale_months else ""


def _citations(events: list[AuditEvent]) -> Counter[str]:
    """Documents cited per request (a request's redrafts count once)."""
    pairs = {(e.request_id, c["doc_id"]) for e in events for c in e.data.get("citations", [])}
    return Counter(doc_id for _, doc_id in pairs)


def compute(
    session: Session,
    docs: dict[str, dict[str, Any]],
    period: Period,
    stale_months: int,
    today: dt.date | None = None,
    top: int = 20,
) -> SourceUsage:
    """Usage of the indexed documents ``docs`` (the index manifest's) during the period and since the start."""
    today = today or dt.datetime.now(dt.UTC).date()
    drafted = TrailAction.DRAFT_GENERATED
    in_period = _citations(events_of(session, [r.id for r in requests_in(session, period)], (drafted,)))
    ever = _citations(list(session.scalars(select(AuditEvent).where(AuditEvent.action == drafted))))
    rows = [
        Doc(
            doc_id=doc_id,
            title=str(d.get("title", "")),
            url=str(d.get("url", "")),
            updated=str(d.get("updated", "")),
            review_by=str(d.get("review_by", "")),
            audience=str(d.get("audience", "")),
            theme=str(d.get("theme", "")),
            cited=in_period.get(doc_id, 0),
            cited_ever=ever.get(doc_id, 0),
            why_stale=stale_reason(d, today, stale_months),
        )
        for doc_id, d in docs.items()
    ]
    rows.sort(key=lambda d: d.title.lower())
    out = SourceUsage(period=period, documents=len(rows))
    out.stale = [d for d in rows if d.why_stale]
    out.most_cited = sorted((d for d in rows if d.cited), key=lambda d: (-d.cited, d.title.lower()))[:top]
    out.never_cited = [d for d in rows if not d.cited_ever]
    return out
