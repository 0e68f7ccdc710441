from __future__ import annotations

import json

import pytest

from forum import services
from forum.models import Notification
from forum.tasks import notification_push
from integrations.models import PushDevice
from tests.api.conftest import bearer, error_of
from tests.commit import committed

pytestmark = pytest.mark.django_db

DEVICES = "/api/v1/me/devices/"


def _register(client, token="tok-1", **extra):
    data = {"platform": "ios", "app_id": "org.stoa.ios", "push_token": token, **extra}
    return client.post(DEVICES, data, format="json")


def test_a_member_registers_lists_and_removes_devices(member):
    client = bearer(member)
    response = _register(client)
    assert response.status_code == 201
    body = response.json()
    assert body["platform"] == "ios"
    assert "push_token" not in body  # write-only: a token is a credential for the gateway
    assert [d["id"] for d in client.get(DEVICES).json()["results"]] == [body["id"]]
    # Registering the same token again updates it instead of adding a second device.
    assert _register(client, platform="ios").status_code == 201
    assert PushDevice.objects.filter(user=member).count() == 1
    assert client.delete(f"{DEVICES}{body['id']}/").status_code == 204
    assert not PushDevice.objects.exists()


def test_a_token_registered_by_another_account_moves_to_the_new_one(member, other_member):
    _register(bearer(member), token="shared")
    _register(bearer(other_member), token="shared")
    assert list(PushDevice.objects.values_list("user", flat=True)) == [other_member.pk]


def test_devices_are_private_and_input_is_checked(member, other_member):
    mine = _register(bearer(member)).json()
    other = bearer(other_member)
    assert other.get(DEVICES).json()["results"] == []
    assert other.delete(f"{DEVICES}{mine['id']}/").status_code == 404
    bad = _register(other, platform="blackberry")
    assert bad.status_code == 400
    assert "platform" in error_of(bad)["fields"]
    assert _register(other, token="").status_code == 400
    assert _register(other, token="x" * 2000).status_code == 400
    from rest_framework.test import APIClient

    assert APIClient().get(DEVICES).status_code == 401


def test_a_notification_is_pushed_through_the_gateway_and_dead_tokens_pruned(
    settings, receiver, member, other_member, thread
):
    gateway = receiver()
    settings.PUSH_GATEWAY_URL = gateway.url + "/_matrix/push/v1/notify"
    _register(bearer(member), token="alive")
    _register(bearer(member), token="dead", platform="android", app_id="org.stoa.android")
    gateway.reject = ["dead"]
    reply = committed(services.post_reply)(author=other_member, thread=thread, body="Push me")
    (request,) = gateway.requests
    assert request["path"] == "/_matrix/push/v1/notify"
    notification = json.loads(request["body"])["notification"]
    assert notification["content"]["body"] == f"{other_member.name} replied in “{thread.title}”"
    assert notification["content"]["post"] == reply.pk
    assert notification["counts"] == {"unread": 1}
    assert {d["pushkey"] for d in notification["devices"]} == {"alive", "dead"}
    assert list(PushDevice.objects.values_list("push_token", flat=True)) == ["alive"]
    pushed = Notification.objects.get(recipient=member)
    assert pushed.pushed is not None
    # A second run (a redelivered task) pushes nothing again.
    notification_push.apply(args=[reply.pk, [member.pk]])
    assert len(gateway.requests) == 1


def test_a_gateway_error_is_retried(settings, receiver, member, other_member, thread):
    gateway = receiver(answers=[502])
    settings.PUSH_GATEWAY_URL = gateway.url + "/_matrix/push/v1/notify"
    _register(bearer(member))
    committed(services.post_reply)(author=other_member, thread=thread, body="Push again")
    # Eager mode retries at once: a 502, then the push goes through.
    assert gateway.answered == [502, 200]
    assert Notification.objects.get(recipient=member).pushed is not None


def test_without_a_gateway_nothing_is_pushed(member, other_member, thread):
    _register(bearer(member))
    committed(services.post_reply)(author=other_member, thread=thread, body="No gateway")
    assert Notification.objects.get(recipient=member).pushed is None


def test_removing_a_device_with_an_absurd_id_is_a_404(member):
    assert bearer(member).delete(f"{DEVICES}{10**30}/").status_code == 404
