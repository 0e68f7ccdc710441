"""Sign-up, activation, password reset and change, and token refresh through the API: the
pages' forms, services and limits, the same answers whatever an address belongs to, and
every token ended by a new password."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from knox.models import AuthToken

from accounts.models import User
from core import throttles
from tests.api.conftest import bearer, error_of
from tests.commit import committed
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "an-entirely-new-passphrase-7"
LINK = re.compile(r"/accounts/(?:activate|reset)/([^/\s]+)/([^/\s]+)/")


def link_parts(message) -> dict:
    uid, token = LINK.search(message.body).groups()
    return {"uid": uid, "token": token}


def post(client, url: str, data: dict | None = None):
    # Committed, so the e-mails the request queued for after its commit are sent.
    return committed(client.post)(url, data, format="json")


def sign_up(client, username="newcomer", email="new@example.com"):
    return post(
        client,
        "/api/v1/auth/signup/",
        {"username": username, "email": email, "password": NEW_PASSWORD},
    )


def test_sign_up_activate_and_sign_in(anon):
    response = sign_up(anon)
    assert response.status_code == 202
    user = User.objects.get(username="newcomer")
    assert not user.is_active
    [message] = mail.outbox
    assert message.to == ["new@example.com"]
    # Not yet: an inactive account gets no token.
    token_request = {"username": "newcomer", "password": NEW_PASSWORD}
    assert anon.post("/api/v1/auth/token/", token_request).status_code == 401
    activated = anon.post("/api/v1/auth/activate/", link_parts(message), format="json")
    assert activated.status_code == 200
    assert activated.json()["username"] == "newcomer"
    user.refresh_from_db()
    assert user.is_active
    assert anon.post("/api/v1/auth/token/", token_request).status_code == 201
    # The link is used up.
    again = anon.post("/api/v1/auth/activate/", link_parts(message), format="json")
    assert again.status_code == 400
    assert error_of(again)["field_codes"] == {"token": ["invalid_link"]}


def test_sign_up_answers_the_same_for_a_members_address(anon):
    UserFactory(email="member@example.com")
    fresh = sign_up(anon, "probe1", "fresh@example.com")
    taken = sign_up(anon, "probe2", "member@example.com")
    assert (fresh.status_code, fresh.json()) == (taken.status_code, taken.json())
    assert not User.objects.filter(username="probe2").exists()
    # The owner of the address is told instead.
    assert [m.to for m in mail.outbox] == [["fresh@example.com"], ["member@example.com"]]


def test_sign_up_refuses_a_taken_or_look_alike_name_with_its_code(anon, member):
    response = sign_up(anon, member.username.upper(), "other@example.com")
    assert response.status_code == 400
    assert error_of(response)["field_codes"]["username"] == ["duplicate"]
    assert not User.objects.filter(email="other@example.com").exists()


def test_sign_up_checks_the_password_as_the_page_does(anon):
    response = anon.post(
        "/api/v1/auth/signup/",
        {"username": "weakling", "email": "weak@example.com", "password": "123"},
        format="json",
    )
    assert response.status_code == 400
    assert "password" in error_of(response)["fields"]
    assert not User.objects.filter(username="weakling").exists()


def test_sign_up_floods_are_refused_with_retry_after(anon, settings):
    settings.SIGNIN_LIMITS = {**settings.SIGNIN_LIMITS, "SIGNUP_TARGET": "2/hour"}
    assert sign_up(anon, "a1", "victim@example.com").status_code == 202
    assert sign_up(anon, "a2", "victim@example.com").status_code == 202
    refused = sign_up(anon, "a3", "victim@example.com")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert error_of(refused)["code"] == "throttled"
    assert len(mail.outbox) == 2


def test_a_stale_token_does_not_refuse_a_sign_up(anon):
    anon.credentials(HTTP_AUTHORIZATION="Bearer " + "0" * 64)
    assert sign_up(anon).status_code == 202


def test_activation_resend_answers_the_same_for_any_address(anon):
    sign_up(anon)
    mail.outbox.clear()
    pending = post(anon, "/api/v1/auth/activate/resend/", {"email": "new@example.com"})
    unknown = post(anon, "/api/v1/auth/activate/resend/", {"email": "nobody@example.com"})
    assert pending.status_code == unknown.status_code == 202
    assert pending.json() == unknown.json()
    assert [m.to for m in mail.outbox] == [["new@example.com"]]


def test_a_forged_activation_link_is_a_400(anon):
    sign_up(anon)
    for parts in ({"uid": "MQ", "token": "abc-def"}, {"uid": "!!", "token": "x"}):
        response = anon.post("/api/v1/auth/activate/", parts, format="json")
        assert response.status_code == 400
    assert not User.objects.get(username="newcomer").is_active


def test_password_reset_signs_every_device_out(anon, member):
    phone, tablet = bearer(member, "phone"), bearer(member, "tablet")
    unknown = post(anon, "/api/v1/auth/password-reset/", {"email": "nobody@example.com"})
    known = post(anon, "/api/v1/auth/password-reset/", {"email": member.email})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    [message] = mail.outbox
    done = anon.post(
        "/api/v1/auth/password-reset/confirm/",
        {**link_parts(message), "new_password": NEW_PASSWORD},
        format="json",
    )
    assert done.status_code == 200, done.content
    assert not AuthToken.objects.filter(user=member).exists()
    assert phone.get("/api/v1/me/").status_code == 401
    assert tablet.get("/api/v1/me/").status_code == 401
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    # The link works once.
    again = anon.post(
        "/api/v1/auth/password-reset/confirm/",
        {**link_parts(message), "new_password": "yet-another-passphrase-8"},
        format="json",
    )
    assert again.status_code == 400
    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)


def test_password_reset_refuses_a_weak_password_and_floods(anon, member, settings):
    settings.SIGNIN_LIMITS = {**settings.SIGNIN_LIMITS, "RESET_TARGET": "1/hour"}
    assert post(anon, "/api/v1/auth/password-reset/", {"email": member.email}).status_code == 202
    flood = post(anon, "/api/v1/auth/password-reset/", {"email": member.email})
    assert flood.status_code == 429
    assert int(flood["Retry-After"]) > 0
    [message] = mail.outbox
    weak = anon.post(
        "/api/v1/auth/password-reset/confirm/",
        {**link_parts(message), "new_password": "123"},
        format="json",
    )
    assert weak.status_code == 400
    assert "new_password" in error_of(weak)["fields"]
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_password_change_ends_every_token_and_issues_one_for_this_device(member):
    phone, tablet = bearer(member, "phone"), bearer(member, "tablet")
    wrong = phone.post(
        "/api/v1/me/password/",
        {"old_password": "not it", "new_password": NEW_PASSWORD},
        format="json",
    )
    assert wrong.status_code == 400
    assert "old_password" in error_of(wrong)["fields"]
    response = phone.post(
        "/api/v1/me/password/",
        {"old_password": PASSWORD, "new_password": NEW_PASSWORD},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response["RateLimit-Limit"]
    body = response.json()
    assert body["device"] == "phone"
    assert phone.get("/api/v1/me/").status_code == 401
    assert tablet.get("/api/v1/me/").status_code == 401
    [left] = AuthToken.objects.filter(user=member)
    assert left.token_key == body["key"]
    phone.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
    assert phone.get("/api/v1/me/").status_code == 200


def test_password_change_guesses_are_limited(member, monkeypatch):
    rates = {**throttles.PasswordUserThrottle.THROTTLE_RATES, "password_user": "2/hour"}
    monkeypatch.setattr(throttles.PasswordUserThrottle, "THROTTLE_RATES", rates)
    thief = bearer(member)
    guesses = [
        thief.post(
            "/api/v1/me/password/",
            {"old_password": f"guess{i}", "new_password": NEW_PASSWORD},
            format="json",
        )
        for i in range(3)
    ]
    assert [g.status_code for g in guesses] == [400, 400, 429]
    assert int(guesses[2]["Retry-After"]) > 0
    assert guesses[2]["RateLimit-Remaining"] == "0"


def test_anonymous_password_change_is_401(anon):
    response = anon.post("/api/v1/me/password/", {"old_password": "a", "new_password": "b"})
    assert response.status_code == 401


def test_token_refresh_extends_this_tokens_expiry(member):
    client = bearer(member)
    token = AuthToken.objects.get(user=member)
    AuthToken.objects.filter(pk=token.pk).update(expiry=timezone.now() + timedelta(days=1))
    response = client.post("/api/v1/auth/token/refresh/")
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.expiry > timezone.now() + timedelta(days=29)
    assert response.json()["key"] == token.token_key


def test_a_token_in_use_is_extended_as_it_is_used(member):
    client = bearer(member)
    token = AuthToken.objects.get(user=member)
    soon = timezone.now() + timedelta(days=2)
    AuthToken.objects.filter(pk=token.pk).update(expiry=soon)
    assert client.get("/api/v1/me/").status_code == 200
    token.refresh_from_db()
    assert token.expiry > timezone.now() + timedelta(days=29)


def test_an_expired_token_is_not_refreshed(member):
    client = bearer(member)
    AuthToken.objects.filter(user=member).update(expiry=timezone.now() - timedelta(seconds=1))
    assert client.post("/api/v1/auth/token/refresh/").status_code == 401
