"""The desk's activity over a period, computed from the requests and their audit trail (the one record of truth).

Each figure is defined (French label, definition, unit) in ``server.core.metric_registry.DESK`` and its definition is
shown beside it: the supervisor must know what is counted.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core.desk.period import Period
from server.core.desk.states import CLOSED_STATES, RequestState, TrailAction
from server.core.desk.tables import CHANNELS, REJECT_REASONS, AuditEvent, Request
from server.core.desk.tabular import Table
from server.core.metric_registry import DESK, definitions, labels

# Each figure's label and definition is the metric registry's (one owner for the pages, the summary and the exports).
DEFINITIONS = definitions(DESK)
LABELS = labels(DESK)
CHANNEL_NAMES = {"guichet": "Guichet", "telephone": "Téléphone", "courrier": "Courrier", "web": "Web"}
REASON_NAMES = {
    "incorrect": "Incorrect",
    "incomplet": "Incomplet",
    "obsolete": "Obsolète",
    "hors_sujet": "Hors sujet",
    "autre": "Autre",
}
CLOSED = CLOSED_STATES


@dataclass
class Decile:
    """First drafts whose confidence falls in one tenth of [0, 1], and how their requests ended."""

    low: float
    drafts: int = 0
    abstained: int = 0
    validated_unedited: int = 0
    validated_edited: int = 0
    rejected: int = 0

    @property
    def label(self) -> str:
        """« 0,3 – 0,4 »."""
        return f"{self.low:.1f} – {self.low + 0.1:.1f}".replace(".", ",")


def deciles(first: dict[int, tuple[float, bool]], validated: dict[int, float], rejected: set[int]) -> list[Decile]:
    """Ten rows, one per decile of the first draft's confidence (1.0 counts in the last), with how each ended.

    ``first`` maps a request to its first draft's (confidence, abstained); ``validated`` to its edit ratio.
    """
    rows = [Decile(low=i / 10) for i in range(10)]
    for rid, (value, abstained) in first.items():
        row = rows[min(9, max(0, int(value * 10)))]
        row.drafts += 1
        row.abstained += abstained
        if rid in validated:
            row.validated_unedited += validated[rid] == 0
            row.validated_edited += validated[rid] != 0
        row.rejected += rid in rejected
    return rows


@dataclass
class Activity:
    """Every activity figure of one period."""

    period: Period
    requests: int = 0
    by_day: list[tuple[dt.date, int]] = field(default_factory=list)
    by_channel: dict[str, int] = field(default_factory=dict)
    by_theme: list[tuple[str, int]] = field(default_factory=list)
    by_state: dict[str, int] = field(default_factory=dict)
    validated: int = 0
    validation_minutes_median: float | None = None
    validation_minutes_p90: float | None = None
    validated_unedited: float | None = None
    mean_edit_ratio: float | None = None
    closed: int = 0
    rejected: int = 0
    rejected_share: float | None = None
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    drafted: int = 0
    abstained_first: int = 0
    abstention_rate: float | None = None
    memory_reused: int = 0
    memory_reuse_rate: float | None = None
    confidence_deciles: list[Decile] = field(default_factory=list)

    def tables(self) -> list[Table]:
        """The figures as exportable tables."""
        return [
            Table(
                "activite-par-jour",
                "Demandes par jour",
                ["jour", "demandes"],
                [[d.isoformat(), n] for d, n in self.by_day],
            ),
            Table(
                "activite-par-canal",
                "Demandes par canal",
                ["canal", "demandes"],
                [[CHANNEL_NAMES.get(c, c), n] for c, n in self.by_channel.items()],
            ),
            Table(
                "activite-par-theme", "Demandes par thème", ["thème", "demandes"], [[t, n] for t, n in self.by_theme]
            ),
            Table(
                "activite-rejets",
                "Rejets par motif",
                ["motif", "rejets", "part des demandes closes"],
                [[REASON_NAMES.get(r, r), n, _share(n, self.closed)] for r, n in self.rejected_by_reason.items()],
            ),
            Table("activite-indicateurs", "Indicateurs", ["indicateur", "valeur", "définition"], self._headline_rows()),
            Table(
                "activite-confiance",
                "Premiers brouillons par décile de confiance",
                [
                    "confiance",
                    "premiers brouillons",
                    "abstentions",
                    "validées sans retouche",
                    "validées retouchées",
                    "rejetées",
                ],
                [
                    [d.label, d.drafts, d.abstained, d.validated_unedited, d.validated_edited, d.rejected]
                    for d in self.confidence_deciles
                ],
            ),
        ]

    def headline(self) -> dict[str, float | int | None]:
        """The headline figures by their registry key, in the registry's order (the pages' and the export's)."""
        return {
            "requests": self.requests,
            "validated": self.validated,
            "validation_minutes": self.validation_minutes_median,
            "validated_unedited": self.validated_unedited,
            "mean_edit_ratio": self.mean_edit_ratio,
            "rejected": self.rejected_share,
            "abstention_rate": self.abstention_rate,
            "memory_reuse_rate": self.memory_reuse_rate,
        }

    def _headline_rows(self) -> list[list[object]]:
        return [[LABELS[key], value, DEFINITIONS[key]] for key, value in self.headline().items()]


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _minutes(start: dt.datetime, end: dt.datetime) -> float:
    # SQLite hands back naive datetimes (stored as UTC); compare like with like.
    return (end.replace(tzinfo=None) - start.replace(tzinfo=None)).total_seconds() / 60.0


def _quantile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return round(values[0], 1)
    return round(statistics.quantiles(values, n=10, method="inclusive")[int(q * 10) - 1], 1)


def requests_in(session: Session, period: Period) -> list[Request]:
    """Requests created during the period, oldest first."""
    query = (
        select(Request)
        .where(Request.created_at >= period.start, Request.created_at < period.end)
        .order_by(Request.created_at, Request.id)
    )
    return list(session.scalars(query))


def events_of(session: Session, request_ids: list[int], actions: tuple[str, ...]) -> list[AuditEvent]:
    """Audit events of these requests with one of these actions, in order."""
    if not request_ids:
        return []
    query = (
        select(AuditEvent)
        .where(AuditEvent.request_id.in_(request_ids), AuditEvent.action.in_(actions))
        .order_by(AuditEvent.id)
    )
    return list(session.scalars(query))


def compute(session: Session, period: Period, top_themes: int = 12) -> Activity:
    """Every activity figure for the requests created during ``period``."""
    rows = requests_in(session, period)
    out = Activity(period=period, requests=len(rows))
    per_day = Counter(r.created_at.date() for r in rows)
    out.by_day = [(day, per_day.get(day, 0)) for day in period.days()]
    per_channel = Counter(r.channel for r in rows)
    out.by_channel = {c: per_channel.get(c, 0) for c in CHANNELS}
    out.by_theme = Counter(r.theme or "(sans thème)" for r in rows).most_common(top_themes)
    out.by_state = dict(Counter(r.state for r in rows))

    first_draft: dict[int, AuditEvent] = {}
    validations: dict[int, AuditEvent] = {}
    rejections: dict[int, AuditEvent] = {}
    read = (TrailAction.DRAFT_GENERATED, TrailAction.VALIDATED, TrailAction.REJECTED)
    for event in events_of(session, [r.id for r in rows], read):
        assert event.request_id is not None
        if event.action == TrailAction.DRAFT_GENERATED:
            first_draft.setdefault(event.request_id, event)
        elif event.action == TrailAction.VALIDATED:
            validations[event.request_id] = event
        else:
            rejections[event.request_id] = event

    durations = [_minutes(r.created_at, r.closed_at) for r in rows if r.state == RequestState.VALIDATED and r.closed_at]
    out.validated = len(validations)
    out.validation_minutes_median = _quantile(durations, 0.5)
    out.validation_minutes_p90 = _quantile(durations, 0.9)
    ratios = [float(e.data.get("edit_ratio", 0.0)) for e in validations.values()]
    out.validated_unedited = _share(sum(1 for v in ratios if v == 0), len(ratios))
    out.mean_edit_ratio = round(statistics.fmean(ratios), 4) if ratios else None
    out.memory_reused = sum(1 for e in validations.values() if e.data.get("memory_reused"))
    out.memory_reuse_rate = _share(out.memory_reused, len(validations))

    out.closed = sum(1 for r in rows if r.state in CLOSED)
    out.rejected = len(rejections)
    out.rejected_share = _share(out.rejected, out.closed)
    reasons = Counter(str(e.data.get("reason", "autre")) for e in rejections.values())
    out.rejected_by_reason = {reason: reasons.get(reason, 0) for reason in REJECT_REASONS}

    out.confidence_deciles = deciles(
        {
            rid: (float(e.data.get("confidence") or 0.0), e.data.get("status") != "answered")
            for rid, e in first_draft.items()
        },
        {rid: float(e.data.get("edit_ratio", 0.0)) for rid, e in validations.items()},
        set(rejections),
    )
    out.drafted = len(first_draft)
    out.abstained_first = sum(1 for e in first_draft.values() if e.data.get("status") != "answered")
    out.abstention_rate = _share(out.abstained_first, out.drafted)
    return out
