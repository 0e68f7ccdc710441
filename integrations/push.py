"""Push notifications through a push gateway (the Matrix push-gateway pattern).

Stoa never holds APNs or FCM credentials: it POSTs each notification to PUSH_GATEWAY_URL as
`{"notification": {..., "devices": [{"app_id", "pushkey", ...}]}}`, and the gateway relays it
to Apple or Google. The gateway answers `{"rejected": [pushkey, ...]}` for tokens that are no
longer valid (the app was uninstalled); those devices are deleted.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings
from django.utils import timezone

from integrations.models import PushDevice
from integrations.queue import TransientError

logger = logging.getLogger("stoa.push")

BODY_MAX = 200


@dataclass(frozen=True)
class PushMessage:
    event_id: str  # the same on a retry, so a gateway or app can drop a duplicate
    sender: str
    body: str  # short plain text shown on the lock screen
    unread: int
    data: dict


def enabled() -> bool:
    return bool(settings.PUSH_GATEWAY_URL)


def users_with_devices(user_ids: list[int]) -> set[int]:
    if not enabled() or not user_ids:
        return set()
    return set(PushDevice.objects.filter(user_id__in=user_ids).values_list("user_id", flat=True))


def send(*, user_id: int, message: PushMessage) -> int:
    """Send `message` to every device of the member; returns how many devices took it.

    Raises requests' errors (and HTTPError for a 5xx) so that the task retries.
    """
    devices = list(PushDevice.objects.filter(user_id=user_id))
    if not devices or not enabled():
        return 0
    body = message.body if len(message.body) <= BODY_MAX else message.body[: BODY_MAX - 1] + "…"
    notification: dict[str, Any] = {
        "event_id": message.event_id,
        "type": "org.stoa.notification",
        "sender": message.sender,
        "prio": "high",
        "content": {"body": body, **message.data},
        "counts": {"unread": message.unread},
        "devices": [
            {
                "app_id": d.app_id,
                "pushkey": d.push_token,
                "pushkey_ts": int(d.created.timestamp()),
                "data": {"platform": d.platform},
            }
            for d in devices
        ],
    }
    response = requests.post(
        settings.PUSH_GATEWAY_URL,
        json={"notification": notification},
        timeout=settings.PUSH_TIMEOUT,
        allow_redirects=False,
    )
    if response.status_code >= 500 or response.status_code == 429:
        raise TransientError(f"push gateway answered HTTP {response.status_code}")
    rejected: set[str] = set()
    if response.status_code == 200:
        try:
            rejected = set(response.json().get("rejected") or [])
        except (ValueError, AttributeError):
            rejected = set()
    else:
        logger.warning("push gateway refused a notification: HTTP %s", response.status_code)
        return 0
    if rejected:
        # The gateway says these tokens are dead (app uninstalled, token rotated): prune them.
        PushDevice.objects.filter(user_id=user_id, push_token__in=rejected).delete()
        logger.info("pruned %d dead push tokens of member %s", len(rejected), user_id)
    taken = [d.pk for d in devices if d.push_token not in rejected]
    PushDevice.objects.filter(pk__in=taken).update(last_pushed=timezone.now())
    return len(taken)
