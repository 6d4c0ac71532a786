"""The public form to ask the desk: single-use form tokens, hourly limits kept in the database, confirmed addresses.

A question reaches the inbox only once its author has followed the link mailed to the address given: nothing is
ever mailed to an address nobody confirmed except that one confirmation, a robot that does not read the mailboxes
it types cannot fill the inbox, and the desk never drafts a reply that cannot be delivered. Until then the question
waits in ``pending_questions`` and is deleted after ``public_confirm_hours``.
"""

from __future__ import annotations

import datetime as dt
import hmac

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from server.core.config import Settings
from server.core.desk import tokens, workflow
from server.core.desk.tables import PendingQuestion, PublicFormHit, Request, utcnow
from server.core.errors import InputError, NotFound, RateLimited

FORM = "formulaire"
FORM_MIN_SECONDS = 2
FORM_LIFETIME = dt.timedelta(hours=2)
HOUR = dt.timedelta(hours=1)


def _question_key(question: str) -> str:
    return tokens.digest(" ".join(question.split()))


def issue_form_token(session: Session, question: str) -> str:
    """A single-use token for the form that sends ``question`` (and no other) to the desk."""
    return tokens.issue(session, FORM, _question_key(question), FORM_LIFETIME)


def use_form_token(session: Session, token: str, question: str) -> None:
    """Use the form's token once: served by this service 2 seconds to 2 hours ago, for this very question."""
    age = tokens.age(session, FORM, token)
    if age is None:
        raise InputError("Formulaire expiré ou déjà envoyé : cherchez de nouveau votre question pour l'envoyer.")
    if age.total_seconds() < FORM_MIN_SECONDS:
        raise InputError("Formulaire envoyé trop vite : relisez-le et envoyez-le de nouveau.")
    if not tokens.consume(session, FORM, _question_key(question), token):
        raise InputError("Ce formulaire a été préparé pour une autre question : cherchez de nouveau votre question.")


def count_address(session: Session, settings: Settings, address: str, key: str) -> None:
    """Count one question from the client ``address`` (kept hashed with ``key``), or RateLimited past the hour's
    limit; the count is in the database, so it holds whatever worker serves the form."""
    now = utcnow()
    session.execute(delete(PublicFormHit).where(PublicFormHit.at < now - HOUR))
    hashed = hmac.new(key.encode("utf-8"), address.encode("utf-8"), "sha256").hexdigest()
    session.add(PublicFormHit(address_hash=hashed, at=now))
    session.flush()
    recent = session.scalar(
        select(func.count(PublicFormHit.id)).where(PublicFormHit.address_hash == hashed, PublicFormHit.at >= now - HOUR)
    )
    if (recent or 0) > settings.public_questions_per_ip_hour:
        raise RateLimited("Trop de questions envoyées depuis cette connexion cette heure-ci : réessayez plus tard.")


def _check_email_limit(session: Session, settings: Settings, email: str) -> None:
    since = utcnow() - HOUR
    folded = email.lower()
    sent = session.scalar(
        select(func.count(Request.id)).where(
            func.lower(Request.citizen_email) == folded, Request.channel == "web", Request.created_at >= since
        )
    )
    waiting = session.scalar(
        select(func.count(PendingQuestion.id)).where(
            func.lower(PendingQuestion.email) == folded, PendingQuestion.created_at >= since
        )
    )
    if (sent or 0) + (waiting or 0) >= settings.public_questions_per_hour:
        raise RateLimited("Vous avez déjà envoyé plusieurs questions cette heure-ci : réessayez plus tard.")


def prune(session: Session) -> int:
    """Delete the questions whose address was not confirmed in time; returns how many."""
    done = session.execute(delete(PendingQuestion).where(PendingQuestion.expires_at < utcnow()))
    return int(done.rowcount)  # type: ignore[attr-defined]


def submit(session: Session, settings: Settings, question: str, email: str) -> PendingQuestion:
    """Keep the question until its address is confirmed; the confirmation mail goes out with the outbox."""
    prune(session)
    _check_email_limit(session, settings, email)
    now = utcnow()
    pending = PendingQuestion(
        question=question.strip(),
        email=email,
        state="a_envoyer",
        attempts=0,
        last_error="",
        next_attempt_at=now,
        created_at=now,
        expires_at=now + dt.timedelta(hours=settings.public_confirm_hours),
    )
    session.add(pending)
    session.flush()
    return pending


def pending_for(session: Session, token: str) -> PendingQuestion:
    """The unconfirmed question a confirmation link points to, or NotFound (also once used or expired)."""
    row = None
    if token and len(token) <= 200:
        row = session.scalar(
            select(PendingQuestion).where(
                PendingQuestion.token_hash == tokens.digest(token), PendingQuestion.expires_at >= utcnow()
            )
        )
    if row is None:
        raise NotFound(
            "Ce lien de confirmation n'existe pas, a déjà servi ou a expiré : posez de nouveau votre question."
        )
    return row


def confirm(session: Session, token: str) -> Request:
    """The address is confirmed: the question enters the inbox (channel web) and leaves the waiting list."""
    pending = pending_for(session, token)
    demande = workflow.create_request(session, pending.question, "web", "habitant", citizen_email=pending.email)
    session.delete(pending)
    session.flush()
    return demande
