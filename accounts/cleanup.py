"""What accounts keeps only for a while (run hourly by integrations' clean-up task)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone
from knox.models import AuthToken

from accounts.models import User
from integrations.cleanup import job


@job("expired API tokens")
def expired_tokens() -> int:
    return AuthToken.objects.filter(expiry__lt=timezone.now()).delete()[0]


@job("expired sessions")
def expired_sessions() -> int:
    return Session.objects.filter(expire_date__lt=timezone.now()).delete()[0]


@job("accounts never activated")
def unactivated_accounts() -> int:
    """Sign-ups whose activation link was never opened: they hold a username and an e-mail
    address nobody may use. Imported authors (inactive, but with posts) are not sign-ups."""
    cutoff = timezone.now() - timedelta(days=settings.UNACTIVATED_ACCOUNT_DAYS)
    stale = User.objects.filter(
        is_active=False,
        last_login__isnull=True,
        date_joined__lt=cutoff,
        imported_from="",
        post_count=0,
        posts__isnull=True,
    )
    return User.objects.filter(pk__in=list(stale.values_list("pk", flat=True))).delete()[0]


@job("expired API idempotency keys")
def expired_idempotency_keys() -> int:
    # Imported here: the API module pulls in DRF, which the clean-up registry need not load.
    from accounts.api.idempotency import purge_expired

    return purge_expired()
