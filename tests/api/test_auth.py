from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.api.conftest import bearer, error_of
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def test_login_returns_a_bearer_token_stored_only_as_a_hash(anon, member):
    response = anon.post(
        TOKEN_URL, {"username": member.username, "password": PASSWORD, "device": "Pixel 8"}
    )
    assert response.status_code == 201
    token = response.json()["token"]
    stored = AuthToken.objects.get(user=member)
    assert stored.device.name == "Pixel 8"
    assert token not in (stored.digest, stored.token_key)
    assert stored.expiry > timezone.now() + timedelta(days=29)

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    me = client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["username"] == member.username


def test_wrong_password_and_unknown_user_get_the_same_answer(anon, member):
    wrong = anon.post(TOKEN_URL, {"username": member.username, "password": "nope"})
    unknown = anon.post(TOKEN_URL, {"username": "nobody-here", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert not AuthToken.objects.exists()


def test_inactive_member_cannot_get_a_token(anon):
    user = UserFactory(is_active=False)
    response = anon.post(TOKEN_URL, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 401
    assert not AuthToken.objects.filter(user=user).exists()


def test_requests_without_credentials_are_401_with_the_bearer_scheme(anon):
    response = anon.get("/api/v1/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert error_of(response)["code"] == "not_authenticated"


def test_expired_token_is_refused_and_removed(member):
    client = bearer(member)
    AuthToken.objects.filter(user=member).update(expiry=timezone.now() - timedelta(seconds=1))
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert not AuthToken.objects.filter(user=member).exists()


def test_member_lists_and_revokes_own_tokens(member):
    phone = bearer(member, device="phone")
    bearer(member, device="tablet")
    listed = phone.get("/api/v1/auth/tokens/").json()
    assert sorted(t["device"] for t in listed) == ["phone", "tablet"]
    assert [t["device"] for t in listed if t["current"]] == ["phone"]

    tablet_key = next(t["key"] for t in listed if t["device"] == "tablet")
    assert phone.delete(f"/api/v1/auth/tokens/{tablet_key}/").status_code == 204
    assert list(AuthToken.objects.filter(user=member).values_list("device__name", flat=True)) == [
        "phone"
    ]


def test_revoking_the_current_token_signs_out(member):
    client = bearer(member)
    assert client.delete("/api/v1/auth/tokens/current/").status_code == 204
    assert client.get("/api/v1/me/").status_code == 401
    assert not AuthToken.objects.filter(user=member).exists()


def test_member_cannot_revoke_someone_elses_token(member, other_member):
    victim = bearer(other_member, device="victim phone")
    key = victim.get("/api/v1/auth/tokens/").json()[0]["key"]
    response = bearer(member).delete(f"/api/v1/auth/tokens/{key}/")
    assert response.status_code == 404
    assert AuthToken.objects.filter(user=other_member).count() == 1
    assert victim.get("/api/v1/me/").status_code == 200


def test_at_the_token_limit_no_device_is_signed_out_without_saying_so(anon, member, settings):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": 2}
    for device in ("one", "two"):
        response = anon.post(
            TOKEN_URL, {"username": member.username, "password": PASSWORD, "device": device}
        )
        assert response.status_code == 201
    refused = anon.post(
        TOKEN_URL, {"username": member.username, "password": PASSWORD, "device": "three"}
    )
    assert refused.status_code == 409
    assert error_of(refused)["code"] == "token_limit"
    devices = set(AuthToken.objects.filter(user=member).values_list("device__name", flat=True))
    assert devices == {"one", "two"}
    # Asked for, the least recently signed-in device makes room.
    response = anon.post(
        TOKEN_URL,
        {
            "username": member.username,
            "password": PASSWORD,
            "device": "three",
            "replace_oldest": True,
        },
    )
    assert response.status_code == 201
    devices = set(AuthToken.objects.filter(user=member).values_list("device__name", flat=True))
    assert devices == {"two", "three"}


def test_distributed_guessing_slows_the_account_for_new_addresses(anon, member):
    statuses = []
    for i in range(12):
        statuses.append(
            anon.post(
                TOKEN_URL,
                {"username": member.username.upper(), "password": f"guess{i}"},
                REMOTE_ADDR=f"198.51.100.{i}",
            ).status_code
        )
    # Ten failures from ten addresses: from then on one try per interval for the whole
    # account from addresses it never signed in from; the first caller takes the slot.
    assert statuses[:11] == [401] * 11
    assert statuses[11:] == [429]
    blocked = anon.post(
        TOKEN_URL, {"username": member.username, "password": PASSWORD}, REMOTE_ADDR="192.0.2.9"
    )
    assert blocked.status_code == 429
    assert int(blocked["Retry-After"]) > 0
    assert error_of(blocked)["code"] == "throttled"
    assert "slowed down" in error_of(blocked)["message"]
    assert not AuthToken.objects.exists()


def test_login_is_throttled_per_address_whatever_x_forwarded_for_says(anon):
    statuses = [
        anon.post(
            TOKEN_URL,
            {"username": f"user{i}", "password": "x"},
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        ).status_code
        for i in range(32)
    ]
    assert statuses[:30] == [401] * 30
    assert statuses[30:] == [429, 429]


def test_session_authenticated_write_without_csrf_token_is_refused(member, thread):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post(f"/api/v1/threads/{thread.pk}/posts/", {"body": "Sneaky"})
    assert response.status_code == 403
    assert "CSRF" in error_of(response)["message"]
    thread.refresh_from_db()
    assert thread.post_count == 1


def test_session_authenticated_write_with_csrf_token_works(member, thread):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(member)
    client.get("/accounts/login/")
    token = client.cookies["csrftoken"].value
    response = client.post(
        f"/api/v1/threads/{thread.pk}/posts/", {"body": "With token"}, HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201
    thread.refresh_from_db()
    assert thread.post_count == 2


def test_bearer_requests_need_no_csrf_token(member, thread):
    client = bearer(member)
    client.handler.enforce_csrf_checks = True
    response = client.post(f"/api/v1/threads/{thread.pk}/posts/", {"body": "From the app"})
    assert response.status_code == 201
