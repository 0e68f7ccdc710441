"""Attacks on sign-up, password reset, activation and tokens: telling members' addresses
apart, flooding someone's inbox, squatting an address, login CSRF, tokens that outlive a
password."""

from __future__ import annotations

import statistics
import time

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from knox.models import AuthToken

from accounts.models import User
from tests.api.conftest import bearer
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "an-entirely-new-passphrase-7"


def _sign_up(client, username, email, address="203.0.113.5"):
    return client.post(
        reverse("accounts:signup"),
        {
            "username": username,
            "email": email,
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
        REMOTE_ADDR=address,
    )


def test_sign_up_takes_as_long_for_a_members_address_as_for_a_new_one(settings):
    # A real (PBKDF2) hasher: its cost is what told the branches apart (29 vs 616 ms).
    settings.PASSWORD_HASHERS = ["tests.security.hashers.ModeratePBKDF2PasswordHasher"]
    settings.SIGNIN_LIMITS = {
        **settings.SIGNIN_LIMITS,
        "SIGNUP_ADDRESS": "1000/hour",
        "SIGNUP_TARGET": "1000/hour",
    }
    UserFactory(email="member@example.com")
    client = Client()
    known, fresh = [], []
    for i in range(6):
        for email, times in (("member@example.com", known), (f"new{i}@example.com", fresh)):
            started = time.perf_counter()
            response = _sign_up(client, f"probe{i}{len(times)}{email[0]}", email)
            times.append(time.perf_counter() - started)
            assert response.status_code == 302
            assert response["Location"] == reverse("accounts:signup_done")
    ratio = statistics.median(known) / statistics.median(fresh)
    print(
        f"\nsign-up median: member's address {statistics.median(known) * 1000:.0f} ms, "
        f"new address {statistics.median(fresh) * 1000:.0f} ms"
    )
    assert 0.6 < ratio < 1.6, (known, fresh)


# E-mail leaves through a worker after the commit: these tests let each request commit for real.
@pytest.mark.django_db(transaction=True)
def test_reset_and_sign_up_for_one_address_are_limited_whoever_owns_it(mailoutbox):
    UserFactory(email="victim@example.com")
    client = Client()
    codes = [
        client.post(
            reverse("password_reset"), {"email": "victim@example.com"}, REMOTE_ADDR=f"10.0.0.{i}"
        ).status_code
        for i in range(15)
    ]
    assert codes == [302] * 3 + [429] * 12
    assert len(mailoutbox) == 3
    # An address nobody uses gets the same answers: the limit tells nothing about membership.
    codes = [
        client.post(
            reverse("password_reset"), {"email": "nobody@example.com"}, REMOTE_ADDR=f"10.1.0.{i}"
        ).status_code
        for i in range(5)
    ]
    assert codes == [302] * 3 + [429] * 2
    codes = [
        _sign_up(client, f"flood{i}", "victim@example.com", address=f"10.2.0.{i}").status_code
        for i in range(5)
    ]
    assert codes == [302] * 3 + [429] * 2


def test_one_address_cannot_send_mail_to_many_targets():
    client = Client()
    codes = [
        client.post(
            reverse("password_reset"), {"email": f"t{i}@example.com"}, REMOTE_ADDR="203.0.113.9"
        ).status_code
        for i in range(12)
    ]
    assert codes == [302] * 10 + [429] * 2


# E-mail leaves through a worker after the commit: these tests let each request commit for real.
@pytest.mark.django_db(transaction=True)
def test_an_unactivated_sign_up_does_not_squat_the_address(mailoutbox):
    client = Client()
    assert _sign_up(client, "squatter", "owner@example.com").status_code == 302
    # The real owner signs up with their own address: the pending account becomes theirs,
    # with their name and password, and a fresh link goes to the address.
    assert _sign_up(client, "owner", "owner@example.com").status_code == 302
    user = User.objects.get(email="owner@example.com")
    assert user.username == "owner"
    assert user.check_password(NEW_PASSWORD)
    assert not User.objects.filter(username="squatter").exists()
    first, second = mailoutbox
    assert "/accounts/activate/" in second.body
    old_link = next(w for w in first.body.split() if "/accounts/activate/" in w)
    new_link = next(w for w in second.body.split() if "/accounts/activate/" in w)
    assert client.post(old_link.replace("http://testserver", "")).status_code == 400
    assert client.post(new_link.replace("http://testserver", "")).status_code == 302
    user.refresh_from_db()
    assert user.is_active


def test_an_activation_link_does_not_sign_its_opener_in(client):
    attacker = UserFactory(is_active=False, last_login=None)
    victim = UserFactory()
    uid = urlsafe_base64_encode(force_bytes(attacker.pk))
    link = reverse(
        "accounts:activate",
        kwargs={"uidb64": uid, "token": default_token_generator.make_token(attacker)},
    )
    client.force_login(victim)
    # Opening the link (an <img>, a mail scanner, a click) changes nothing.
    assert client.get(link).status_code == 200
    attacker.refresh_from_db()
    assert not attacker.is_active
    # A cross-site POST has no CSRF token.
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(victim)
    assert csrf_client.post(link).status_code == 403
    attacker.refresh_from_db()
    assert not attacker.is_active
    # Even a confirmed activation leaves the visitor's own session alone.
    client.post(link)
    attacker.refresh_from_db()
    assert attacker.is_active
    assert client.session["_auth_user_id"] == str(victim.pk)


def test_a_password_change_revokes_every_api_token(client, member):
    phone, tablet = bearer(member, "phone"), bearer(member, "tablet")
    assert phone.get("/api/v1/me/").status_code == 200
    client.force_login(member)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert phone.get("/api/v1/me/").status_code == 401
    assert tablet.get("/api/v1/me/").status_code == 401
    assert not AuthToken.objects.filter(user=member).exists()


# E-mail leaves through a worker after the commit: these tests let each request commit for real.
@pytest.mark.django_db(transaction=True)
def test_a_password_reset_revokes_every_api_token(client, member, mailoutbox):
    stolen = bearer(member, "stolen phone")
    client.post(reverse("password_reset"), {"email": member.email})
    (message,) = mailoutbox
    link = next(w for w in message.body.split() if "/reset/" in w)
    response = client.get(link.replace("http://testserver", ""), follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    assert stolen.get("/api/v1/me/").status_code == 401
    assert not AuthToken.objects.filter(user=member).exists()
