"""Database tables (SQLAlchemy 2): accounts, requests, draft versions, the audit trail, validated answers, FAQ.

``draft_versions``, ``audit_events`` and ``faq_versions`` are append-only: database triggers (see the
migrations) refuse any UPDATE or DELETE, so nothing in the trail can be changed in place.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from server.core.desk.states import RequestState

ROLES = ("agent", "supervisor", "admin")
CHANNELS = ("guichet", "telephone", "courrier", "web")
STATES = tuple(RequestState)
REJECT_REASONS = ("incorrect", "incomplet", "obsolete", "hors_sujet", "autre")
REPLY_VIA = ("guichet", "telephone", "courriel", "courrier")


def utcnow() -> dt.datetime:
    """Current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base of every table."""

    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    """An account: agent, supervisor or admin."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True, index=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiToken(Base):
    """A token for integrations (``Authorization: Bearer …``); only its hash is stored."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Migration 0006: what the token may do, when it stops working, when it was last used.
    scope: Mapped[str] = mapped_column(String(20), default="redaction")
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class LoginSession(Base):
    """A logged-in browser (migration 0006): the cookie carries only an opaque id, of which only the hash is kept.

    It ends at logout, password change, account disable, "log out everywhere" or key rotation (``revoked_at``), and
    after ``session_hours`` or ``session_idle_minutes`` without a request.
    """

    __tablename__ = "sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    persistent: Mapped[bool] = mapped_column(Boolean, default=False)
    user_agent: Mapped[str | None] = mapped_column(String(200), nullable=True)


class Request(Base):
    """A citizen's question ("demande") and its current state; its history lives in the audit trail."""

    __tablename__ = "requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True, index=True)
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), nullable=True, index=True)
    question: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(20), index=True)
    theme: Mapped[str] = mapped_column(String(200), default="", index=True)
    state: Mapped[str] = mapped_column(String(20), default=RequestState.NEW, index=True)  # a RequestState
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    citizen_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    current_text: Mapped[str] = mapped_column(Text, default="")
    current_version: Mapped[int] = mapped_column(Integer, default=0)
    transferred_to: Mapped[str | None] = mapped_column(String(200), nullable=True)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    anonymised_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Workspace (migration 0009): the latest draft abstained, pinned by an agent, how the reply was given, and the
    # number to call the citizen back on (personal data: masked in lists and exports, erased with the request).
    abstained: Mapped[bool] = mapped_column(Boolean, default=False)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    reply_via: Mapped[str | None] = mapped_column(String(20), nullable=True)
    callback_phone: Mapped[str | None] = mapped_column(String(40), nullable=True)


class DraftVersion(Base):
    """One version of a request's draft: generated by the assistant or saved by an agent. Append-only."""

    __tablename__ = "draft_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(20))  # "assistant" or "agent"
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(80))


class AuditEvent(Base):
    """One step of a request's life: who did what, when, with what. Append-only."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), index=True, nullable=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40), index=True)  # a TrailAction
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class MemoryEntry(Base):
    """A validated reply kept for the answer memory, with the sources (and their hashes) it relied on."""

    __tablename__ = "memory_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    sources: Mapped[list[Any]] = mapped_column(JSON, default=list)
    validated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FaqEntry(Base):
    """A FAQ entry: a question and its verified answer, shown to citizens while published."""

    __tablename__ = "faq_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    theme: Mapped[str] = mapped_column(String(200), default="", index=True)
    sources: Mapped[list[Any]] = mapped_column(JSON, default=list)
    published: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    # Migration 0011: other phrasings of the question (a list of strings), matched like the question itself.
    variants: Mapped[list[Any]] = mapped_column(JSON, default=list)
    # Migration 0012: the sources that changed or left the index since publication, for which the entry was withdrawn
    # ({"doc_id", "title", "removed", "at"} each); empty once a supervisor republishes it.
    review: Mapped[list[Any]] = mapped_column(JSON, default=list)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FaqVersion(Base):
    """One step of a FAQ entry's history (written, edited, published, unpublished), with its content. Append-only."""

    __tablename__ = "faq_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    faq_id: Mapped[int] = mapped_column(ForeignKey("faq_entries.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    theme: Mapped[str] = mapped_column(String(200))
    sources: Mapped[list[Any]] = mapped_column(JSON, default=list)
    published: Mapped[bool] = mapped_column(Boolean)
    actor: Mapped[str] = mapped_column(String(80))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    variants: Mapped[list[Any]] = mapped_column(JSON, default=list)  # migration 0011


class FaqSourceText(Base):
    """A document cited by a published FAQ entry, as it was when the entry was published (migration 0012).

    A re-ingest that changes its text withdraws the entry; this text is the "before" of the diff the supervisor reads.
    """

    __tablename__ = "faq_source_texts"
    __table_args__ = (UniqueConstraint("faq_id", "doc_id", name="uq_faq_source_texts_faq_doc"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    faq_id: Mapped[int] = mapped_column(ForeignKey("faq_entries.id"), index=True)
    doc_id: Mapped[str] = mapped_column(String(300))
    hash: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LoginAttempt(Base):
    """One failed login, keyed by the folded username or by the client IP (``kind`` says which).

    Rows older than the throttling horizon are pruned; migration 0003 adds an index on (kind, key, at).
    """

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # "username" or "ip"
    key: Mapped[str] = mapped_column(String(255))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class OutgoingMail(Base):
    """A reply e-mailed to a citizen: kept until it is sent, retried with a growing delay, never dropped."""

    __tablename__ = "mail_outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="a_envoyer", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ReplyLink(Base):
    """The private, unguessable link through which a citizen reads the reply to a web request."""

    __tablename__ = "reply_links"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OneTimeToken(Base):
    """A single-use token (public form, draft stream): only its hash is kept, deleted when used (migration 0007).

    ``subject`` ties it to what it was issued for (a digest of the question, a request id).
    """

    __tablename__ = "one_time_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    subject: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class PublicFormHit(Base):
    """One question sent with the public form, by a hashed client address: the per-address hourly limit (0007)."""

    __tablename__ = "public_form_hits"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address_hash: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class PendingQuestion(Base):
    """A question sent with the public form whose e-mail address is not confirmed yet (0007).

    It reaches the inbox only once the citizen follows the link mailed to that address; unconfirmed, it is deleted
    after ``confirm_hours``. The confirmation mail is built when it is sent: only the link's hash is stored.
    """

    __tablename__ = "pending_questions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    email: Mapped[str] = mapped_column(String(320))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    state: Mapped[str] = mapped_column(String(20), default="a_envoyer", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)


class Erasure(Base):
    """One run of ``accueil purge`` or ``accueil forget``: when, what kind, how many requests; no personal data.

    While its state is ``en_cours`` (inside its own transaction only) the trail's triggers let it rewrite rows.
    """

    __tablename__ = "erasures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))  # "purge" or "oubli"
    subject: Mapped[str] = mapped_column(String(80))  # cut-off date, or SHA-256 of the e-mail address
    requests: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(20), default="en_cours", index=True)
    actor: Mapped[str] = mapped_column(String(80))


class PublicQuestionCount(Base):
    """How many questions of the public page had one outcome on one day (0014); never the question's text.

    ``outcome`` is a code of ``public_stats.Outcome``; ``faq_id`` the entry shown (outcome ``entree``), else NULL.
    Rows older than ``public_stats.KEEP_DAYS`` are deleted as new ones are written.
    """

    __tablename__ = "public_question_counts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    faq_id: Mapped[int | None] = mapped_column(ForeignKey("faq_entries.id"), nullable=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
