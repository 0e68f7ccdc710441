"""Attacks on signing in: password guessing through every surface, and locking owners out."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"
ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"


def _admin_login(client: Client, username: str, password: str, address: str):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def test_forty_wrong_admin_passwords_then_the_right_one_does_not_sign_in():
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client = Client()
    codes = [_admin_login(client, "admin", f"guess-{i}", ATTACKER).status_code for i in range(40)]
    assert codes[:5] == [200] * 5
    assert set(codes[5:]) == {429}
    response = _admin_login(client, "admin", PASSWORD, ATTACKER)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert b"Too many wrong passwords" in response.content
    assert client.session.get("_auth_user_id") != str(admin.pk)


def test_pages_admin_and_api_share_one_limiter():
    member = UserFactory(is_staff=True)
    page, admin_page, api = Client(), Client(), APIClient()
    for _ in range(2):
        page.post(
            reverse("login"), {"username": member.username, "password": "x"}, REMOTE_ADDR=ATTACKER
        )
        _admin_login(admin_page, member.username, "x", ATTACKER)
    api.post(TOKEN_URL, {"username": member.username, "password": "x"}, REMOTE_ADDR=ATTACKER)
    # Five failures across the three surfaces: each of them now refuses this pair.
    assert (
        page.post(
            reverse("login"),
            {"username": member.username, "password": PASSWORD},
            REMOTE_ADDR=ATTACKER,
        ).status_code
        == 429
    )
    assert _admin_login(admin_page, member.username, PASSWORD, ATTACKER).status_code == 429
    response = api.post(
        TOKEN_URL, {"username": member.username, "password": PASSWORD}, REMOTE_ADDR=ATTACKER
    )
    assert response.status_code == 429
    assert not AuthToken.objects.exists()


def test_a_lockout_never_keeps_the_owner_out_of_their_usual_address():
    moderator = UserFactory(moderator=True)
    owner = APIClient()
    assert (
        owner.post(
            TOKEN_URL, {"username": moderator.username, "password": PASSWORD}, REMOTE_ADDR=OWNER
        ).status_code
        == 201
    )
    attacker = APIClient()
    # A distributed guess from 60 addresses, a few tries each.
    for i in range(60):
        for _ in range(3):
            attacker.post(
                TOKEN_URL,
                {"username": moderator.username, "password": "hunter2"},
                REMOTE_ADDR=f"203.0.113.{i}",
            )
    refused = attacker.post(
        TOKEN_URL, {"username": moderator.username, "password": PASSWORD}, REMOTE_ADDR=ATTACKER
    )
    assert refused.status_code == 429
    assert "slowed down" in refused.json()["error"]["message"]
    # The owner, from the address they always use, signs in at once.
    response = owner.post(
        TOKEN_URL, {"username": moderator.username, "password": PASSWORD}, REMOTE_ADDR=OWNER
    )
    assert response.status_code == 201


def test_distributed_guessing_gets_one_try_per_interval_not_a_free_run():
    member = UserFactory()
    attacker = APIClient()
    codes = [
        attacker.post(
            TOKEN_URL,
            {"username": member.username, "password": f"guess-{i}"},
            REMOTE_ADDR=f"203.0.113.{i}",
        ).status_code
        for i in range(100)
    ]
    # 10 failures are allowed freely, then one attempt per interval for the whole account.
    assert codes.count(401) == 11
    assert codes.count(429) == 89


def test_successful_sign_ins_are_not_counted():
    member = UserFactory()
    api = APIClient()
    for _ in range(25):
        # More sign-ins than devices an account may have: each replaces the oldest (past the
        # limit only when asked, accounts.services.api_token_issue).
        response = api.post(
            TOKEN_URL,
            {"username": member.username, "password": PASSWORD, "replace_oldest": True},
            REMOTE_ADDR=OWNER,
        )
        assert response.status_code == 201


def test_one_address_spraying_many_accounts_is_stopped():
    for i in range(5):
        UserFactory(username=f"victim{i}")
    api = APIClient()
    codes = [
        api.post(
            TOKEN_URL,
            {"username": f"victim{i % 5}", "password": f"Spring2026-{i}"},
            REMOTE_ADDR=ATTACKER,
        ).status_code
        for i in range(24)
    ]
    # Each pair has 5 tries; spraying across accounts from one address runs into the
    # per-address limit (30/hour) with unknown names too.
    codes += [
        api.post(
            TOKEN_URL, {"username": f"nobody{i}", "password": "x"}, REMOTE_ADDR=ATTACKER
        ).status_code
        for i in range(8)
    ]
    assert codes[:30] == [401] * 30
    assert codes[30:] == [429, 429]
