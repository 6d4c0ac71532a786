"""Replies to web requests: the private link to read them, and the outbox that e-mails them.

Validating the reply to a web request puts a mail in the outbox (in the same transaction: nothing is lost);
``deliver_due`` sends what is due, each mail claimed by one worker at a time, and a failed send is retried with
a doubling delay until ``mail_max_attempts``, then shown as failed to the agent, who can send it again.

The private link is never stored: a queued mail holds ``LINK_SLOT`` where the link goes, and a fresh link is made
(only its hash kept) when the mail is sent; the kept copy of a sent mail says the link was removed. A link works for
``reply_link_days`` after its mail was sent. The outbox also sends the confirmation mails of the public form
(``pending_questions``), built the same way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.core.answer.prompts import get_prompts
from server.core.config import Settings
from server.core.desk import mailer
from server.core.desk.states import TrailAction
from server.core.desk.tables import AuditEvent, OutgoingMail, PendingQuestion, ReplyLink, Request, utcnow
from server.core.errors import Conflict, MailError, NotFound

log = logging.getLogger(__name__)
TEMPLATE = "mail_reply.fr.j2"
MAX_DELAY = dt.timedelta(hours=1)
LINK_REMOVED = "[lien personnel retiré de la copie conservée]"
LINK_SLOT = "[[lien-personnel]]"  # also written by migration 0007 into mails queued before it


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_link(session: Session, request: Request) -> str:
    """A fresh private token for the request's reply (any earlier one stops working); only its hash is kept."""
    token = secrets.token_urlsafe(32)
    link = session.scalar(select(ReplyLink).where(ReplyLink.request_id == request.id))
    if link is None:
        session.add(ReplyLink(request_id=request.id, token_hash=_hash(token)))
    else:
        link.token_hash, link.created_at = _hash(token), utcnow()
    return token


def request_for_token(session: Session, token: str, max_age_days: int = 30) -> Request:
    """The request a private link points to, or NotFound (same answer for a wrong, an unknown and an expired token)."""
    cutoff = utcnow() - dt.timedelta(days=max_age_days)
    link = (
        session.scalar(select(ReplyLink).where(ReplyLink.token_hash == _hash(token), ReplyLink.created_at >= cutoff))
        if len(token) < 200
        else None
    )
    request = session.get(Request, link.request_id) if link else None
    if request is None:
        raise NotFound("Ce lien de réponse n'existe pas ou n'est plus valable.")
    return request


def enqueue_reply(session: Session, settings: Settings, request: Request) -> OutgoingMail:
    """Put the validated reply of a web request in the outbox; its private link is made when it is sent."""
    if not request.citizen_email:
        raise Conflict("Cette demande n'a pas d'adresse électronique : la réponse est remise par l'agent.")
    body = get_prompts(settings.prompts_dir).render(
        TEMPLATE,
        commune=settings.commune_name,
        ref=request.ref,
        asked_on=request.created_at.strftime("%d/%m/%Y"),
        question=request.question,
        reply=request.current_text,
        link=LINK_SLOT,
    )
    mail = OutgoingMail(
        request_id=request.id,
        recipient=request.citizen_email,
        subject=f"Réponse de la mairie de {settings.commune_name} — {request.ref}",
        body=body,
        state="a_envoyer",
        attempts=0,
        last_error="",
        next_attempt_at=utcnow(),
    )
    session.add(mail)
    session.flush()
    session.add(
        AuditEvent(request_id=request.id, actor="systeme", action=TrailAction.MAIL_QUEUED, data={"mail": mail.id})
    )
    return mail


def mails_of(session: Session, request: Request) -> list[OutgoingMail]:
    """The mails of a request, oldest first."""
    return list(
        session.scalars(select(OutgoingMail).where(OutgoingMail.request_id == request.id).order_by(OutgoingMail.id))
    )


def retry_now(session: Session, request: Request, actor: str) -> None:
    """The agent has a failed or waiting mail sent again at once (its attempts start over)."""
    pending = [m for m in mails_of(session, request) if m.state != "envoye"]
    if not pending:
        raise Conflict("Aucun courriel en attente ou en échec pour cette demande.")
    for mail in pending:
        mail.state, mail.next_attempt_at, mail.attempts = "a_envoyer", utcnow(), 0
    session.add(AuditEvent(request_id=request.id, actor=actor, action=TrailAction.MAIL_RETRIED, data={}))


def _delay(settings: Settings, attempts: int) -> dt.timedelta:
    return min(dt.timedelta(seconds=settings.mail_retry_seconds * 2 ** max(attempts - 1, 0)), MAX_DELAY)


def _claim(session: Session, mail_id: int) -> bool:
    """Take the mail for this worker; False when another worker took it first."""
    done = session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.id == mail_id, OutgoingMail.state == "a_envoyer")
        .values(state="envoi_en_cours", next_attempt_at=utcnow())
    )
    session.commit()
    return bool(done.rowcount)  # type: ignore[attr-defined]


def deliver_due(session: Session, settings: Settings, now: dt.datetime | None = None) -> tuple[int, int]:
    """Send the mails that are due; returns (sent, failed this round)."""
    now = now or utcnow()
    due = session.scalars(
        select(OutgoingMail.id).where(OutgoingMail.state == "a_envoyer", OutgoingMail.next_attempt_at <= now)
    ).all()
    sent = failed = 0
    for mail_id in due:
        if not _claim(session, mail_id):
            continue
        mail = session.get(OutgoingMail, mail_id)
        assert mail is not None
        mail.attempts += 1
        body = mail.body
        if LINK_SLOT in body:
            request = session.get(Request, mail.request_id)
            assert request is not None
            body = body.replace(LINK_SLOT, _reply_url(settings, new_link(session, request)))
        try:
            mailer.send(settings, mail.recipient, mail.subject, body)
        except MailError as exc:
            failed += 1
            mail.last_error = exc.message
            gave_up = mail.attempts >= settings.mail_max_attempts
            mail.state = "echec" if gave_up else "a_envoyer"
            mail.next_attempt_at = utcnow() + _delay(settings, mail.attempts)
            session.add(
                AuditEvent(
                    request_id=mail.request_id,
                    actor="systeme",
                    action=TrailAction.MAIL_FAILED,
                    data={"mail": mail.id, "attempt": mail.attempts, "error": exc.message, "abandon": gave_up},
                )
            )
            log.warning("Courriel %s non envoyé (essai %s) : %s", mail.id, mail.attempts, exc.message)
        else:
            sent += 1
            mail.state, mail.sent_at, mail.last_error = "envoye", utcnow(), ""
            mail.body = mail.body.replace(LINK_SLOT, LINK_REMOVED)
            session.add(
                AuditEvent(
                    request_id=mail.request_id,
                    actor="systeme",
                    action=TrailAction.MAIL_SENT,
                    data={"mail": mail.id, "attempt": mail.attempts},
                )
            )
        session.commit()
    more_sent, more_failed = deliver_confirmations(session, settings, now)
    return sent + more_sent, failed + more_failed


CONFIRM_SUBJECT = "Confirmez votre adresse pour envoyer votre question à la mairie de {commune}"
CONFIRM_BODY = """Bonjour,

Une question a été envoyée à l'accueil de la mairie de {commune} avec cette adresse électronique :

« {question} »

Pour que l'accueil la reçoive et vous réponde à cette adresse, confirmez-la en ouvrant ce lien (personnel, valable
{hours} heures) puis en cliquant sur « Confirmer » :
{link}

Si vous n'avez pas posé cette question, ignorez ce message : elle sera effacée sans être lue.
"""


def deliver_confirmations(session: Session, settings: Settings, now: dt.datetime | None = None) -> tuple[int, int]:
    """Send the due confirmation mails of the public form, each with a fresh link (only its hash is kept)."""
    now = now or utcnow()
    due = session.scalars(
        select(PendingQuestion.id).where(
            PendingQuestion.state == "a_envoyer",
            PendingQuestion.next_attempt_at <= now,
            PendingQuestion.expires_at >= now,
        )
    ).all()
    sent = failed = 0
    for pending_id in due:
        claimed = session.execute(
            update(PendingQuestion)
            .where(PendingQuestion.id == pending_id, PendingQuestion.state == "a_envoyer")
            .values(state="envoi_en_cours", next_attempt_at=utcnow())
        )
        session.commit()
        pending = session.get(PendingQuestion, pending_id) if claimed.rowcount else None  # type: ignore[attr-defined]
        if pending is None:
            continue
        token = secrets.token_urlsafe(32)
        pending.token_hash, pending.attempts = _hash(token), pending.attempts + 1
        body = CONFIRM_BODY.format(
            commune=settings.commune_name,
            question=pending.question,
            hours=settings.public_confirm_hours,
            link=f"{settings.public_base_url.rstrip('/')}/question/confirmer/{token}",
        )
        try:
            mailer.send(settings, pending.email, CONFIRM_SUBJECT.format(commune=settings.commune_name), body)
        except MailError as exc:
            failed += 1
            gave_up = pending.attempts >= settings.mail_max_attempts
            pending.state = "echec" if gave_up else "a_envoyer"
            pending.last_error = exc.message
            pending.next_attempt_at = utcnow() + _delay(settings, pending.attempts)
            log.warning(
                "Courriel de confirmation %s non envoyé (essai %s) : %s", pending.id, pending.attempts, exc.message
            )
        else:
            sent += 1
            pending.state, pending.last_error = "envoye", ""
        session.commit()
    return sent, failed


def _reply_url(settings: Settings, token: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}/reponse/{token}"


def release_stuck(session: Session, older_than: dt.timedelta = dt.timedelta(minutes=10)) -> int:
    """Mails left "being sent" by a worker that died are put back in the queue."""
    cutoff = utcnow() - older_than
    done = session.execute(
        update(OutgoingMail)
        .where(OutgoingMail.state == "envoi_en_cours", OutgoingMail.next_attempt_at <= cutoff)
        .values(state="a_envoyer")
    )
    waiting = session.execute(
        update(PendingQuestion)
        .where(PendingQuestion.state == "envoi_en_cours", PendingQuestion.next_attempt_at <= cutoff)
        .values(state="a_envoyer")
    )
    session.commit()
    return int(done.rowcount) + int(waiting.rowcount)  # type: ignore[attr-defined]
