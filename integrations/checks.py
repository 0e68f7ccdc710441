"""System checks for background delivery."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Tags, Warning, register

NON_DELIVERING_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.filebased.EmailBackend",
}


@register(Tags.security)
def check_email_backend(app_configs, **kwargs):
    """With DEBUG off, activation and password-reset links must reach members, not a log."""
    if settings.DEBUG or settings.EMAIL_BACKEND not in NON_DELIVERING_BACKENDS:
        return []
    return [
        Warning(
            f"DEBUG is False but EMAIL_BACKEND is {settings.EMAIL_BACKEND}: activation and "
            "password-reset e-mails are not delivered to members.",
            hint="Set EMAIL_URL, e.g. smtp+tls://user:password@mail.example.com:587.",
            id="integrations.W001",
        )
    ]


@register(Tags.compatibility, deploy=True)
def check_task_queue(app_configs, **kwargs):
    """In production, background work belongs on a broker, not in the web process."""
    if settings.DEBUG or not settings.CELERY_TASK_ALWAYS_EAGER:
        return []
    return [
        Warning(
            "DEBUG is False but no task broker is configured: e-mail, notification fan-out, "
            "webhooks and push run inside the web requests that cause them.",
            hint="Set REDIS_URL (or CELERY_BROKER_URL) and run `celery -A forum worker`.",
            id="integrations.W002",
        )
    ]
