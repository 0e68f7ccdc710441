from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from forum import services
from integrations import webhooks
from integrations.admin import WebhookEndpointForm
from integrations.models import OutgoingEmail, WebhookDelivery, WebhookEndpoint
from integrations.tasks import webhook_deliver
from tests.commit import committed

pytestmark = pytest.mark.django_db


@pytest.fixture
def loopback(settings):
    """Tests may only send to 127.0.0.1, which production refuses: allow it explicitly."""
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    settings.WEBHOOK_TIMEOUT = 5


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8140/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[::1]/hook",
        "http://0.0.0.0/hook",
        "ftp://example.com/hook",
        "http://user:pass@example.com/hook",
    ],
)
def test_private_and_odd_targets_are_refused_by_default(url):
    assert webhooks.refuse_target(url)


def test_loopback_is_allowed_only_when_listed(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    assert webhooks.refuse_target("http://127.0.0.1:8140/hook") is None
    assert webhooks.refuse_target("http://10.0.0.1/hook")


def test_the_admin_form_refuses_a_private_url():
    form = WebhookEndpointForm(
        data={"url": "http://10.0.0.5/hook", "events": ["post.created"], "secret": "x"}
    )
    assert not form.is_valid()
    assert "private or reserved" in form.errors["url"][0]


def test_signature_is_hmac_sha256_of_timestamp_and_body():
    expected = hmac.new(b"k", b"123.{}", hashlib.sha256).hexdigest()
    assert webhooks.sign(secret="k", timestamp="123", body=b"{}") == f"sha256={expected}"


def test_backoff_doubles_and_is_capped(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    waits = [webhooks.backoff(n).total_seconds() for n in range(1, 14)]
    assert waits[:4] == [30, 60, 120, 240]
    assert max(waits) == 6 * 3600
    # Thirteen attempts span a day (WEBHOOK_RETRY_HOURS=24), then it is given up.
    assert sum(waits[:-1]) < 24 * 3600 < sum(waits)


def test_a_reply_is_delivered_signed_to_subscribed_endpoints_only(
    loopback, receiver, other_member, thread
):
    hook, other = receiver(), receiver()
    endpoint = committed(WebhookEndpoint.objects.create)(
        url=hook.url + "/in", secret="topsecret", events=["post.created"]
    )
    committed(WebhookEndpoint.objects.create)(url=other.url + "/in", events=["report.filed"])
    reply = committed(services.post_reply)(author=other_member, thread=thread, body="Webhook!")
    (request,) = hook.requests
    assert other.requests == []
    body = json.loads(request["body"])
    assert body["event"] == "post.created"
    assert body["data"]["post"]["id"] == reply.pk
    assert body["data"]["post"]["author"]["username"] == other_member.username
    assert "Webhook!" in body["data"]["post"]["html"]
    ts = request["headers"]["X-Stoa-Timestamp"]
    assert request["headers"]["X-Stoa-Signature"] == webhooks.sign(
        secret="topsecret", timestamp=ts, body=request["body"]
    )
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 1, 200)
    assert str(delivery.event_id) == request["headers"]["X-Stoa-Delivery"] == body["id"]


def test_a_hidden_post_is_announced_without_its_text(loopback, receiver, moderator, thread):
    hook = receiver()
    committed(WebhookEndpoint.objects.create)(url=hook.url, events=["post.hidden"])
    committed(services.post_hide)(actor=moderator, post=thread.posts.get())
    body = json.loads(hook.requests[0]["body"])
    assert body["event"] == "post.hidden"
    assert "html" not in body["data"]["post"]
    assert body["data"]["moderator"]["username"] == moderator.username


def test_a_failed_attempt_is_scheduled_again_with_backoff(loopback, receiver, other_member, thread):
    hook = receiver(answers=[500])
    committed(WebhookEndpoint.objects.create)(url=hook.url, events=["post.created"])
    committed(services.post_reply)(author=other_member, thread=thread, body="Retry me")
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 1, 500)
    assert "HTTP 500" in delivery.last_error
    assert timedelta(seconds=25) < delivery.next_attempt - timezone.now() <= timedelta(seconds=30)
    # Not due yet: a run now (a duplicate message, the sweep) does nothing.
    assert webhook_deliver.apply(args=[delivery.pk]).get() == "not due yet"
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt=timezone.now())
    assert webhook_deliver.apply(args=[delivery.pk]).get() == "delivered"
    assert len(hook.requests) == 2
    # Delivered: running it again posts nothing.
    assert webhook_deliver.apply(args=[delivery.pk]).get() == "done already or in progress"
    assert len(hook.requests) == 2


def test_redirects_are_not_followed(loopback, receiver):
    hook = receiver(answers=[302])
    endpoint = committed(WebhookEndpoint.objects.create)(url=hook.url, events=["post.created"])
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="post.created", payload={})
    webhook_deliver.apply(args=[delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == "pending"
    assert delivery.response_status == 302
    assert len(hook.requests) == 1


def test_after_a_day_of_failures_a_delivery_is_given_up(loopback, receiver):
    hook = receiver(answers=[503])
    endpoint = committed(WebhookEndpoint.objects.create)(url=hook.url, events=["post.created"])
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event="post.created",
        payload={},
        # The next wait (30 s) would end past the day.
        created=timezone.now() - timedelta(hours=24) + timedelta(seconds=10),
    )
    webhook_deliver.apply(args=[delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == "failed"


def test_an_endpoint_that_keeps_failing_is_disabled_and_its_owner_told(
    loopback, settings, receiver, member, mailoutbox
):
    settings.WEBHOOK_DISABLE_AFTER = 3
    hook = receiver(answers=[500] * 10)
    endpoint = committed(WebhookEndpoint.objects.create)(
        url=hook.url, events=["post.created"], owner=member
    )
    for _ in range(3):
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event="post.created", payload={}
        )
        committed(webhook_deliver.apply)(args=[delivery.pk])
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert "3 failed deliveries in a row" in endpoint.disabled_reason
    email = OutgoingEmail.objects.get(kind="webhook_disabled")
    assert email.status == "sent"
    (message,) = mailoutbox
    assert message.to == [member.email]
    assert hook.url in message.body
    # Deliveries still pending for a disabled endpoint are given up without a request.
    pending = WebhookDelivery.objects.create(endpoint=endpoint, event="post.created", payload={})
    webhook_deliver.apply(args=[pending.pk])
    pending.refresh_from_db()
    assert pending.status == "failed"
    assert len(hook.requests) == 3


def test_a_target_that_turned_private_is_refused_at_delivery_time(receiver):
    hook = receiver()  # loopback, but not allowed in this test
    endpoint = committed(WebhookEndpoint.objects.create)(url=hook.url, events=["post.created"])
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="post.created", payload={})
    webhook_deliver.apply(args=[delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert "private or reserved" in delivery.last_error
    assert hook.requests == []


def test_a_name_that_rebinds_to_an_internal_address_is_still_sent_to_the_checked_one(
    settings, receiver, monkeypatch
):
    """DNS rebinding: the name resolves to an allowed address when checked and to an internal
    one a moment later, when the HTTP client would resolve it again."""
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.2/32"]
    checked = receiver(host="127.0.0.2")
    try:
        internal = receiver(host="127.0.0.1", ports=[checked.port])
    except AssertionError:
        pytest.skip("the same port is taken on 127.0.0.1")
    real = socket.getaddrinfo
    answers = iter(["127.0.0.2"])

    def rebinding(host, port, *args, **kwargs):
        if host != "hooks.example.test":
            return real(host, port, *args, **kwargs)
        address = next(answers, "127.0.0.1")  # the first answer passes the check
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    endpoint = committed(WebhookEndpoint.objects.create)(
        url=f"http://hooks.example.test:{checked.port}/hook", events=["post.created"]
    )
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, event="post.created", payload={})
    webhook_deliver.apply(args=[delivery.pk])
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert internal.requests == []
    [request] = checked.requests
    assert request["headers"]["Host"] == f"hooks.example.test:{checked.port}"
    assert request["path"] == "/hook"


def test_https_deliveries_verify_the_certificate_for_the_host_name():
    adapter = webhooks._PinnedAdapter("hooks.example.test")
    pool = adapter.poolmanager.connection_from_url("https://203.0.113.7/hook")
    assert pool.conn_kw["server_hostname"] == "hooks.example.test"
    assert pool.assert_hostname == "hooks.example.test"


def test_member_joined_and_report_filed_are_announced(loopback, receiver, member, thread):
    from moderation import services as moderation_services
    from tests.factories import UserFactory

    hook = receiver()
    committed(WebhookEndpoint.objects.create)(
        url=hook.url, events=["report.filed", "review.decided"]
    )
    reporter = UserFactory()
    committed(moderation_services.report_create)(
        reporter=reporter, post=thread.posts.get(), reason="spam"
    )
    body = json.loads(hook.requests[0]["body"])
    assert body["event"] == "report.filed"
    assert body["data"]["report"]["reason"] == "spam"


def test_an_event_no_active_endpoint_wants_is_not_published(other_member, thread, monkeypatch):
    """A publish costs a reply about 1.5 ms: emit() skips events nobody receives, and an
    endpoint saved or deleted is heard from the next write on."""
    from integrations import tasks

    published: list[str] = []
    monkeypatch.setattr(
        tasks.webhook_fan_out, "apply_async", lambda args, **kw: published.append(args[0])
    )
    reply = committed(services.post_reply)
    committed(WebhookEndpoint.objects.create)(url="https://example.com/a", events=["report.filed"])
    committed(WebhookEndpoint.objects.create)(
        url="https://example.com/b", events=["post.created"], is_active=False
    )
    reply(author=other_member, thread=thread, body="Nobody listens yet.")
    assert published == []

    wanted = committed(WebhookEndpoint.objects.create)(
        url="https://example.com/c", events=["post.created"]
    )
    reply(author=other_member, thread=thread, body="Now someone does.")
    assert published == ["post.created"]

    committed(wanted.delete)()
    reply(author=other_member, thread=thread, body="And now nobody again.")
    assert published == ["post.created"]


def test_a_stale_list_of_subscribed_events_expires(monkeypatch):
    """Forgetting runs after the commit; a list cached before it (another process read the
    endpoints at that moment) lasts at most SUBSCRIBED_SECONDS."""
    monkeypatch.setattr(webhooks, "SUBSCRIBED_SECONDS", 1)
    assert webhooks.subscribed_events() == frozenset()
    WebhookEndpoint.objects.create(url="https://example.com/a", events=["post.created"])
    assert webhooks.subscribed_events() == frozenset()  # not committed: not forgotten yet
    time.sleep(1.5)
    assert webhooks.subscribed_events() == frozenset({"post.created"})
