"""Sending one e-mail over SMTP (the standard library's smtplib), with the ``ACCUEIL_SMTP_*`` settings.

Every failure (refused connection, timeout, rejected recipient, authentication) becomes a MailError with a French
message; the outbox keeps the mail and retries it.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from server.core.config import Settings
from server.core.errors import MailError


def build(settings: Settings, recipient: str, subject: str, body: str) -> EmailMessage:
    """A plain-text UTF-8 message."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = recipient
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=settings.mail_from.rsplit("@", 1)[-1].strip(" >") or None)
    message.set_content(body)
    return message


def send(settings: Settings, recipient: str, subject: str, body: str) -> None:
    """Send one message, or raise MailError."""
    if not settings.smtp_host:
        raise MailError("Aucun serveur SMTP configuré (ACCUEIL_SMTP_HOST) : le courriel attend dans la file d'envoi.")
    message = build(settings, recipient, subject, body)
    try:
        if settings.smtp_ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.smtp_host,
                settings.smtp_port,
                timeout=settings.smtp_timeout,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout)
        with client:
            if settings.smtp_starttls and not settings.smtp_ssl:
                client.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                client.login(settings.smtp_username, settings.smtp_password or "")
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"Envoi impossible par {settings.smtp_host}:{settings.smtp_port} : {exc}") from exc
