"""Outgoing e-mail through the task queue.

An app registers a renderer for each kind of message it sends (`@renderer("activation")`) and
calls `queue_email` inside its write. The row is written with the write; a worker renders and
sends it after the commit, and `OutgoingEmail.sent` makes a second run a no-op.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from integrations.models import OutgoingEmail
from integrations.queue import enqueue


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    html: str | None = None


# A renderer returns the message, or None when it no longer applies (the account was
# activated or deleted meanwhile): then nothing is sent.
Renderer = Callable[[OutgoingEmail], Message | None]
_renderers: dict[str, Renderer] = {}


def renderer(kind: str) -> Callable[[Renderer], Renderer]:
    def register(fn: Renderer) -> Renderer:
        _renderers[kind] = fn
        return fn

    return register


def queue_email(
    *, kind: str, to: str, user: Any = None, params: dict | None = None
) -> OutgoingEmail:
    if kind not in _renderers:
        raise ValueError(f"no renderer is registered for e-mails of kind {kind!r}")
    email = OutgoingEmail.objects.create(kind=kind, to=to, user=user, params=params or {})
    from integrations import tasks

    enqueue(tasks.email_send, email.pk)
    return email


def send(email: OutgoingEmail) -> bool:
    """Render and send one e-mail; False if it no longer applies. The caller marks it sent."""
    message = _renderers[email.kind](email)
    if message is None:
        return False
    mail = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
    )
    if message.html:
        mail.attach_alternative(message.html, "text/html")
    mail.send()
    return True


def mark(email: OutgoingEmail, *, status: str, error: str = "") -> None:
    email.status = status
    email.last_error = error[:2000]
    email.sent = timezone.now() if status == OutgoingEmail.Status.SENT else None
    email.save(update_fields=["status", "last_error", "sent", "attempts"])
