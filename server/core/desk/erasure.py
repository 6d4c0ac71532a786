"""Personal data retention and erasure: ``accueil purge`` keeps statistics only, ``accueil forget`` erases a citizen.

Both rewrite a request and every row of every table that refers to it (found through the foreign keys, so that a
column or a table added later is covered without being listed here):

- a text column not in ``KEPT_COLUMNS`` is emptied (set to NULL where it may be, else to a marker);
- a JSON column keeps its structure, numbers and booleans, and only the strings under ``KEPT_KEYS`` (states,
  reasons, document ids: what the supervisor pages count); every other string, however deep (``llm.prompt``,
  ``llm.raw``, ``uncovered_parts``…), becomes the marker;
- the rows of ``DELETED_TABLES`` (answer memory, outbox, private links) are deleted.

Purge does this to the requests older than ``retention_days``: no free text is kept, only dates, channel, theme,
states, confidence, edit ratios and reasons. Forget does it to every request sent with one e-mail address, and also
redacts the FAQ entries written from them (their history is rewritten and a ``caviardee`` step is appended) and
drops the variants learnt from their questions at the desk (``faq.forget_variants``).
Each run is logged in ``erasures`` and in the erasure journal (see ``erasure_log``) without personal data: the
address only as its SHA-256. On SQLite, ``db.compact`` then rebuilds the file and empties the WAL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, ColumnElement, String, Table, delete, func, select, update
from sqlalchemy.orm import Session

from server.core.desk import erasure_log, faq, throttle
from server.core.desk.tables import Base, Erasure, FaqEntry, Request, utcnow
from server.core.errors import InputError

ERASED = "[effacé à la demande de l'habitant]"
PURGED = "[supprimé : durée de conservation écoulée]"
# Text columns kept: written by the service or an agent account, never by a citizen, and read by the statistics.
KEPT_COLUMNS: dict[str, frozenset[str]] = {
    "requests": frozenset({"ref", "channel", "theme", "state", "reply_via"}),
    "draft_versions": frozenset({"origin", "status", "created_by"}),
    "audit_events": frozenset({"actor", "action"}),
}
# Rows that are nothing but personal text or a way to reach the citizen.
DELETED_TABLES = frozenset({"memory_entries", "mail_outbox", "reply_links"})
# Columns holding an address in tables not tied to a request (a question waiting for its address to be confirmed):
# forget deletes those rows.
EMAIL_COLUMNS = ("email", "citizen_email")
# Strings kept in JSON data: states, reasons, ids and descriptions of the corpus's documents, never a citizen's text.
KEPT_KEYS = frozenset(
    {
        "status",
        "reason",
        "abstain_reason",
        "channel",
        "origin",
        "mode",
        "doc_id",
        "chunk_id",
        "content_hash",
        "title",
        "url",
        "updated",
        "audience",
        "heading_path",
        "index_version",
        "embedding_model",
        "template",
        "calibration",
        "model",
    }
)


def scrub(value: Any, marker: str, key: str = "") -> Any:
    """A JSON value with every non-empty string replaced by ``marker``, except the strings under ``KEPT_KEYS``."""
    if isinstance(value, dict):
        return {k: scrub(v, marker, k) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v, marker, key) for v in value]
    if isinstance(value, str) and value and key not in KEPT_KEYS:
        return marker
    return value


def _children() -> list[Table]:
    """Every table with a foreign key to ``requests`` (the FAQ apart: it is redacted, see ``faq.redact``)."""
    return [
        table
        for table in Base.metadata.sorted_tables
        if table.name not in ("requests", "faq_entries")
        and any(fk.column.table.name == "requests" for fk in table.foreign_keys)
    ]


def _erase_rows(session: Session, table: Table, where: ColumnElement[bool], marker: str) -> None:
    """Empty the text and scrub the JSON of the rows of ``table`` matching ``where``."""
    kept = KEPT_COLUMNS.get(table.name, frozenset())
    texts = [
        c
        for c in table.columns
        if isinstance(c.type, String) and c.name not in kept and not c.primary_key and not c.foreign_keys
    ]
    jsons = [c for c in table.columns if isinstance(c.type, JSON)]
    if not texts and not jsons:
        return
    keys = list(table.primary_key.columns)
    for row in session.execute(select(*keys, *texts, *jsons).where(where)).all():
        values: dict[str, Any] = {}
        for column in texts:
            if row._mapping[column]:
                text = marker[: column.type.length] if column.type.length else marker  # type: ignore[attr-defined]
                values[column.name] = None if column.nullable else text
        for column in jsons:
            old = row._mapping[column]
            if (new := scrub(old, marker)) != old:
                values[column.name] = new
        if values:
            session.execute(update(table).where(*(k == row._mapping[k] for k in keys)).values(**values))


def _erase(session: Session, ids: list[int], marker: str) -> None:
    """Erase the requests ``ids`` and every row that refers to them."""
    requests = Request.__table__
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for table in _children():
            refs = [c for c in table.columns if any(fk.column.table.name == "requests" for fk in c.foreign_keys)]
            where = refs[0].in_(chunk)
            if table.name in DELETED_TABLES:
                session.execute(delete(table).where(where))
            else:
                _erase_rows(session, table, where, marker)
        _erase_rows(session, requests, requests.c.id.in_(chunk), marker)  # type: ignore[arg-type]
        session.execute(update(Request).where(Request.id.in_(chunk)).values(anonymised_at=utcnow()))


def _run(
    session: Session, kind: str, subject: str, actor: str, ids: list[int], journal: Path | None, forget: bool
) -> int:
    session.flush()
    erasure = Erasure(kind=kind, subject=subject, requests=0, state="en_cours", actor=actor)
    session.add(erasure)
    session.flush()  # the triggers now let this transaction rewrite the trail
    # Read before they are erased: a variant learnt at the desk is one of these questions, cleaned.
    asked = list(session.scalars(select(Request.question).where(Request.id.in_(ids)))) if forget and ids else []
    _erase(session, ids, ERASED if forget else PURGED)
    if forget and ids:
        for entry in session.scalars(select(FaqEntry).where(FaqEntry.request_id.in_(ids))):
            faq.redact(session, entry, ERASED, actor)
        faq.forget_variants(session, [q for q in asked if q not in (ERASED, PURGED)], actor)
    session.flush()  # every rewrite is written while the erasure is still "en_cours"
    erasure.requests = len(ids)
    erasure.state = "terminee"
    session.flush()
    session.expire_all()  # the rows were rewritten behind the ORM's back
    if journal is not None:
        erasure_log.append(journal, kind, subject)  # before the commit: a crash leaves an erasure to re-apply
    return len(ids)


def _older_than(session: Session, cutoff: dt.datetime) -> list[int]:
    # Not "anonymised_at is null": requests an earlier version only pseudonymised (patterns masked) hold text still.
    query = select(Request.id).where(Request.created_at < cutoff, Request.question.not_in([PURGED, ERASED]))
    return list(session.scalars(query))


def purge(
    session: Session, retention_days: int, actor: str, now: dt.datetime | None = None, journal: Path | None = None
) -> int:
    """Keep only the statistics of the requests created more than ``retention_days`` ago; returns how many."""
    if retention_days < 1:
        raise InputError("La durée de conservation doit être d'au moins un jour.")
    cutoff = (now or utcnow()) - dt.timedelta(days=retention_days)
    throttle.age_out(session, cutoff, actor)  # lockout events (a network, an account name) age out too
    subject = cutoff.isoformat(timespec="seconds")  # the exact cut-off, so a restore re-applies the same purge
    return _run(session, "purge", subject, actor, _older_than(session, cutoff), journal, False)


def email_digest(email: str) -> str:
    """How an erased address is recorded: its SHA-256, never the address."""
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()


def _sent_with(session: Session, digest: str) -> list[int]:
    rows = session.execute(select(Request.id, Request.citizen_email).where(Request.citizen_email.is_not(None)))
    return [rid for rid, email in rows if email is not None and email_digest(email) == digest]


def _delete_unattached(session: Session, digest: str) -> None:
    """Delete the rows of other tables that hold the address of this digest (a public question not confirmed yet…)."""
    for table in Base.metadata.sorted_tables:
        if table.name == "requests" or any(fk.column.table.name == "requests" for fk in table.foreign_keys):
            continue
        for name in EMAIL_COLUMNS:
            if name in table.columns:
                column = table.columns[name]
                found = list(session.scalars(select(column).where(column.is_not(None)).distinct()))
                for value in found:
                    if email_digest(value) == digest:
                        session.execute(delete(table).where(column == value))


def forget(session: Session, email: str, actor: str, journal: Path | None = None) -> int:
    """Erase every request sent with ``email`` (any case) and the FAQ entries written from them; returns how many."""
    email = email.strip()
    if "@" not in email or len(email) > 320:
        raise InputError("Adresse électronique invalide.")
    mine = list(session.scalars(select(Request.id).where(func.lower(Request.citizen_email) == email.lower())))
    _delete_unattached(session, email_digest(email))
    return _run(session, "oubli", email_digest(email), actor, mine, journal, True)


def _cutoff(subject: str) -> dt.datetime:
    """A recorded purge's cut-off: an instant (this version) or a date (earlier journals: its midnight, UTC)."""
    if "T" not in subject:
        return dt.datetime.combine(dt.date.fromisoformat(subject), dt.time(), dt.UTC)
    at = dt.datetime.fromisoformat(subject)
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def reapply(session: Session, entries: list[erasure_log.Entry], actor: str) -> int:
    """Apply again the erasures of a journal to a restored database; returns how many requests it erased."""
    count = 0
    for entry in entries:
        if entry.kind == "oubli":
            _delete_unattached(session, entry.subject)
            count += _run(session, "oubli", entry.subject, actor, _sent_with(session, entry.subject), None, True)
        else:
            cutoff = _cutoff(entry.subject)
            count += _run(session, "purge", entry.subject, actor, _older_than(session, cutoff), None, False)
    return count
