"""Outgoing webhooks: signed JSON POSTs to the endpoints administrators register.

Each delivery carries
- `X-Stoa-Event` (e.g. `post.created`) and `X-Stoa-Delivery` (the event's id, the same on every
  retry, so a receiver can drop duplicates);
- `X-Stoa-Timestamp` (Unix seconds) and `X-Stoa-Signature: sha256=<hex>`, the HMAC-SHA256 of
  `"<timestamp>.<body>"` with the endpoint's secret: a receiver recomputes it, compares in
  constant time and refuses old timestamps, so a captured request cannot be replayed later.

Failed attempts are retried with exponential backoff (WEBHOOK_RETRY_BASE_SECONDS, doubling,
at most six hours apart) for WEBHOOK_RETRY_HOURS. WEBHOOK_DISABLE_AFTER failures in a row
disable the endpoint and its owner is told by e-mail.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from requests.adapters import HTTPAdapter

from integrations.models import WebhookDelivery, WebhookEndpoint
from integrations.queue import enqueue

logger = logging.getLogger("stoa.webhooks")

MAX_BACKOFF = timedelta(hours=6)
USER_AGENT = "Stoa-Webhooks/1"


# The events that some active endpoint subscribes to, in the shared cache.
SUBSCRIBED_KEY = "webhooks:subscribed-events"
# A bound on how long an answer can be stale: an endpoint saved while another process was
# reading the old list could otherwise leave that list in the cache for good.
SUBSCRIBED_SECONDS = 60


def subscribed_events() -> frozenset[str]:
    """What the active endpoints subscribe to, read from the shared cache (one query on a miss).

    Most forums have no endpoint for most events, and a task's publish costs a reply about
    1.5 ms, so emit() publishes only what someone receives. Saving or deleting an endpoint
    forgets the answer once it commits (forget_subscribed_events, connected in apps.py).
    Endpoints turned off by an update (after failures) are not forgotten at once: the stale
    answer costs a fan-out that finds nobody."""

    def active() -> list[str]:
        listed = WebhookEndpoint.objects.filter(is_active=True).values_list("events", flat=True)
        return sorted({event for events in listed for event in events or []})

    events = cache.get_or_set(SUBSCRIBED_KEY, active, timeout=SUBSCRIBED_SECONDS)
    return frozenset(events or ())


def forget_subscribed_events(**kwargs: Any) -> None:
    # After the commit: forgotten earlier, a concurrent emit could cache the list as it was.
    transaction.on_commit(lambda: cache.delete(SUBSCRIBED_KEY))


def emit(event: str, payload: dict[str, Any]) -> None:
    """Announce `event` to every endpoint subscribed to it, once the current transaction
    commits. The worker finds the endpoints; the request only reads which events have any
    (subscribed_events: the cache, or one query when it has forgotten) and publishes nothing
    that nobody wants."""
    if event not in WebhookEndpoint.Event.values:
        raise ValueError(f"unknown webhook event {event!r}")
    if event not in subscribed_events():
        return
    from integrations import tasks

    enqueue(tasks.webhook_fan_out, event, str(uuid.uuid4()), payload, timezone.now().isoformat())


def fan_out(*, event: str, event_id: str, payload: dict, occurred: str) -> list[int]:
    """Create one delivery per subscribed endpoint (a second run creates none) and return the
    ids of those still pending."""
    endpoints = [e for e in WebhookEndpoint.objects.filter(is_active=True) if e.wants(event)]
    body = {"id": event_id, "event": event, "occurred": occurred, "data": payload}
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(endpoint=e, event=event, event_id=event_id, payload=body)
            for e in endpoints
        ],
        ignore_conflicts=True,
    )
    return list(
        WebhookDelivery.objects.filter(
            event_id=event_id, status=WebhookDelivery.Status.PENDING
        ).values_list("pk", flat=True)
    )


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(n, strict=False) for n in settings.WEBHOOK_ALLOWED_NETWORKS]


def refuse_target(url: str) -> str | None:
    """Why `url` must not be called, or None."""
    return check_target(url)[0]


def check_target(url: str) -> tuple[str | None, str | None]:
    """(why `url` must not be called, or None; the address to connect to). Every address the
    host resolves to must be a public one, or inside WEBHOOK_ALLOWED_NETWORKS: otherwise a
    webhook could reach the database, the cache or a cloud metadata service from inside the
    network. The delivery then connects to the address checked here, never to what the name
    resolves to a moment later (DNS rebinding)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Only http:// and https:// URLs with a host name can receive webhooks.", None
    if parts.username or parts.password:
        return "Put credentials in the secret, not in the URL.", None
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError, UnicodeError):
        return f"The host {parts.hostname!r} cannot be resolved.", None
    allowed = _allowed_networks()
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    for address in addresses:
        if address.is_global:
            continue
        if any(address in network for network in allowed):
            continue
        return f"{parts.hostname} is a private or reserved address ({address}).", None
    return None, str(addresses[0])


class _PinnedAdapter(HTTPAdapter):
    """Sends to a URL whose host was replaced by the checked address while TLS still checks
    the certificate for the host name (SNI and hostname verification; urllib3 drops both
    keywords for plain HTTP)."""

    def __init__(self, hostname: str):
        self.hostname = hostname
        super().__init__(max_retries=0)

    def init_poolmanager(self, connections, maxsize, block=False, **pool_kwargs):
        pool_kwargs.update(server_hostname=self.hostname, assert_hostname=self.hostname)
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)


def _post_pinned(url: str, address: str, *, headers: dict[str, str], **kwargs):
    parts = urlsplit(url)
    host = f"[{address}]" if ":" in address else address
    netloc = f"{host}:{parts.port}" if parts.port else host
    headers = {**headers, "Host": parts.netloc}
    with requests.Session() as session:
        session.mount(f"{parts.scheme}://", _PinnedAdapter(parts.hostname or ""))
        return session.post(parts._replace(netloc=netloc).geturl(), headers=headers, **kwargs)


def sign(*, secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt (1, 2, ...)."""
    base = timedelta(seconds=settings.WEBHOOK_RETRY_BASE_SECONDS)
    return min(base * (2 ** (attempts - 1)), MAX_BACKOFF)


@dataclass
class Outcome:
    delivered: bool
    retry_in: timedelta | None = None


def attempt(delivery: WebhookDelivery) -> Outcome:
    """POST one pending delivery (its row locked by the caller) and record the result."""
    endpoint = delivery.endpoint
    now = timezone.now()
    if not endpoint.is_active:
        return _give_up(delivery, "The endpoint is disabled.")
    reason, address = check_target(endpoint.url)
    if reason or address is None:
        return _give_up(delivery, reason or "The host cannot be resolved.")
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Stoa-Event": delivery.event,
        "X-Stoa-Delivery": str(delivery.event_id),
        "X-Stoa-Timestamp": timestamp,
        "X-Stoa-Signature": sign(secret=endpoint.secret, timestamp=timestamp, body=body),
    }
    delivery.attempts += 1
    try:
        # No redirects: a public URL must not bounce the request to an internal one.
        response = _post_pinned(
            endpoint.url,
            address,
            data=body,
            headers=headers,
            timeout=settings.WEBHOOK_TIMEOUT,
            allow_redirects=False,
        )
        status, error = response.status_code, ""
        if not 200 <= status < 300:
            error = f"HTTP {status}: {response.text[:300]}"
    except requests.RequestException as exc:
        status, error = None, f"{type(exc).__name__}: {exc}"[:1000]
    delivery.response_status = status
    if not error:
        delivery.status = WebhookDelivery.Status.DELIVERED
        delivery.delivered = now
        delivery.last_error = ""
        delivery.save()
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=0)
        return Outcome(delivered=True)
    logger.warning("webhook delivery %s to %s failed: %s", delivery.pk, endpoint.url, error)
    delivery.last_error = error
    failures = _count_failure(endpoint)
    wait = backoff(delivery.attempts)
    if now + wait > delivery.created + timedelta(hours=settings.WEBHOOK_RETRY_HOURS):
        _give_up(delivery, error)
    else:
        delivery.next_attempt = now + wait
        delivery.save()
    if failures >= settings.WEBHOOK_DISABLE_AFTER and endpoint.is_active:
        _disable(endpoint, failures=failures, error=error)
    return Outcome(delivered=False, retry_in=wait if delivery.status == "pending" else None)


def _count_failure(endpoint: WebhookEndpoint) -> int:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    endpoint.refresh_from_db(fields=["consecutive_failures", "is_active"])
    return endpoint.consecutive_failures


def _give_up(delivery: WebhookDelivery, error: str) -> Outcome:
    delivery.status = WebhookDelivery.Status.FAILED
    delivery.last_error = error
    delivery.save()
    return Outcome(delivered=False)


def _disable(endpoint: WebhookEndpoint, *, failures: int, error: str) -> None:
    reason = f"Disabled after {failures} failed deliveries in a row; the last: {error}"[:300]
    changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, disabled_reason=reason
    )
    endpoint.is_active = False
    if not changed:
        return
    logger.error("webhook endpoint %s (%s) disabled: %s", endpoint.pk, endpoint.url, reason)
    owner = endpoint.owner
    if owner is not None and owner.email:
        from integrations.mail import queue_email

        queue_email(
            kind="webhook_disabled",
            to=owner.email,
            user=owner,
            params={"endpoint": endpoint.pk, "url": endpoint.url, "reason": reason},
        )
