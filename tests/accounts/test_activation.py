"""Signing in before activation: the owner is told so and can get a new link."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts import services
from tests.commit import committed
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(db):
    return UserFactory(is_active=False, email="kim@example.org")


def test_the_owner_of_an_unactivated_account_is_told_so_and_offered_a_new_link(client, waiting):
    response = client.post(reverse("login"), {"username": waiting.username, "password": PASSWORD})
    assert response.status_code == 200
    html = response.content.decode()
    assert "not activated yet" in html
    assert reverse("accounts:activation_resend") in html
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_on_an_unactivated_account_says_nothing_about_activation(client, waiting):
    response = client.post(reverse("login"), {"username": waiting.username, "password": "nope"})
    html = response.content.decode()
    assert "not activated" not in html
    assert reverse("accounts:activation_resend") not in html


def test_resend_mails_a_link_that_activates_the_account(client, waiting):
    response = committed(client.post)(
        reverse("accounts:activation_resend"), {"email": "KIM@example.org"}
    )
    assert response.status_code == 200
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+(/accounts/activate/\S+/)", mail.outbox[0].body).group(1)
    # Opening the link only asks for confirmation; the POST activates.
    assert client.get(link).status_code == 200
    waiting.refresh_from_db()
    assert not waiting.is_active
    client.post(link)
    waiting.refresh_from_db()
    assert waiting.is_active


def test_resend_answers_the_same_for_unknown_and_active_addresses(client, member, waiting):
    answers = {
        client.post(reverse("accounts:activation_resend"), {"email": email}).content
        for email in ("nobody@example.org", member.email)
    }
    assert len(answers) == 1
    assert mail.outbox == []


def test_resend_sends_at_most_one_link_per_window(waiting):
    resend = committed(services.activation_resend)
    assert resend(email=waiting.email, site_url="http://testserver")
    assert not resend(email=waiting.email, site_url="http://testserver")
    assert len(mail.outbox) == 1


def test_a_malformed_address_is_a_400_with_the_field_message(client):
    response = client.post(reverse("accounts:activation_resend"), {"email": "not an address"})
    assert response.status_code == 400
    assert b"Enter a valid email address." in response.content
