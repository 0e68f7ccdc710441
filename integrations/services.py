"""Writes of the integrations app that members make themselves: their push devices."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from integrations.models import PushDevice

# Enough for every phone, tablet and browser one person uses; a cap stops a script from
# filling the table through one account.
DEVICES_PER_MEMBER = 20


def _check_member(user: Any) -> None:
    if not (user.is_authenticated and user.is_active):
        raise PermissionDenied("You must be signed in.")


@transaction.atomic
def push_device_register(*, user: Any, platform: str, app_id: str, push_token: str) -> PushDevice:
    """Register (or re-register) this installation's push token for the member.

    A token is unique per app: registering a token another account held (the phone changed
    hands, or someone signed in as another member) moves it, so pushes follow the person
    signed in on the device now.
    """
    _check_member(user)
    app_id, push_token = (app_id or "").strip(), (push_token or "").strip()
    device = (
        PushDevice.objects.select_for_update().filter(app_id=app_id, push_token=push_token).first()
    )
    if device is None:
        if PushDevice.objects.filter(user=user).count() >= DEVICES_PER_MEMBER:
            raise ValidationError(
                {"push_token": [f"You can register at most {DEVICES_PER_MEMBER} devices."]}
            )
        device = PushDevice(user=user, platform=platform, app_id=app_id, push_token=push_token)
    else:
        device.user = user
        device.platform = platform
        device.created = timezone.now()
    device.full_clean(exclude=["user"], validate_unique=False)
    device.save()
    return device


@transaction.atomic
def push_device_remove(*, user: Any, device_id: int) -> None:
    _check_member(user)
    deleted, _ = PushDevice.objects.filter(user=user, pk=device_id).delete()
    if not deleted:
        raise PushDevice.DoesNotExist
