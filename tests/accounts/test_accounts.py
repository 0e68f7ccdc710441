from __future__ import annotations

import pytest
from django.db import IntegrityError
from django.urls import reverse

from accounts.models import User
from tests.commit import committed
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_usernames_and_emails_are_unique_ignoring_case():
    UserFactory(username="Alice", email="alice@example.com")
    with pytest.raises(IntegrityError):
        UserFactory(username="alice", email="other@example.com")


def test_emails_are_unique_ignoring_case_but_blank_is_allowed_many_times():
    UserFactory(email="")
    UserFactory(email="")
    UserFactory(email="Bob@Example.com")
    with pytest.raises(IntegrityError):
        UserFactory(email="bob@example.com")


def test_moderators_group_holds_least_permissions(moderator):
    assert moderator.is_moderator
    assert moderator.has_perm("forum.change_post")
    assert moderator.has_perm("moderation.view_auditlog")
    assert not moderator.has_perm("forum.delete_post")
    assert not moderator.has_perm("accounts.change_user")
    assert not moderator.has_perm("auth.change_group")
    assert not moderator.has_perm("moderation.change_auditlog")


def test_member_is_not_moderator(member):
    assert not member.is_moderator


def test_the_session_user_comes_with_whether_they_moderate_in_one_query(
    member, moderator, django_assert_num_queries
):
    from accounts.signin import SignInLimitBackend

    backend = SignInLimitBackend()
    admin = UserFactory(is_superuser=True)
    inactive = UserFactory(is_active=False)
    for user, moderates in ((member, False), (moderator, True), (admin, True)):
        with django_assert_num_queries(1):
            read = backend.get_user(str(user.pk))
            assert read is not None and read.pk == user.pk
            assert read.username == user.username and read.password == user.password
            assert read.is_moderator is moderates
    assert backend.get_user(str(inactive.pk)) is None
    assert backend.get_user(str(admin.pk + 1000)) is None
    assert backend.get_user("1; DROP TABLE accounts_user") is None
    assert backend.get_user("") is None


def _signup(client, username, email):
    return committed(client.post)(
        reverse("accounts:signup"),
        {
            "username": username,
            "email": email,
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
    )


def test_signup_creates_an_inactive_account_until_the_emailed_link_is_opened(client, mailoutbox):
    response = _signup(client, "newbie", "n@example.com")
    assert response.status_code == 302
    user = User.objects.get(username="newbie")
    assert not user.is_active
    assert "_auth_user_id" not in client.session
    (message,) = mailoutbox
    link = next(w for w in message.body.split() if "/accounts/activate/" in w)
    path = link.replace("http://testserver", "")
    # Opening the link only asks for confirmation; the POST activates, and signs nobody in.
    response = client.get(path)
    assert response.status_code == 200
    user.refresh_from_db()
    assert not user.is_active
    response = client.post(path)
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    user.refresh_from_db()
    assert user.is_active
    assert "_auth_user_id" not in client.session
    # A used link does not work twice.
    assert client.get(path).status_code == 400
    assert client.post(path).status_code == 400


def test_signup_answers_the_same_for_a_known_and_an_unknown_email(client, member, mailoutbox):
    known = _signup(client, "someone", member.email.upper())
    unknown = _signup(client, "someone2", "fresh@example.com")
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert not User.objects.filter(username="someone").exists()
    # The owner of the known address hears about it; nobody else learns anything.
    assert [m.to for m in mailoutbox] == [[member.email], ["fresh@example.com"]]


def test_forged_activation_links_are_refused(client, member):
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    uid = urlsafe_base64_encode(force_bytes(member.pk))
    for path in (f"/accounts/activate/{uid}/forged-token/", "/accounts/activate/!!!/x/"):
        assert client.get(path).status_code == 400


def test_profile_page_escapes_member_text(client):
    user = UserFactory(
        display_name="<b>x</b>", bio="<script>alert(1)</script>", website="javascript:alert(1)"
    )
    content = client.get(user.get_absolute_url()).content
    assert b"<script>alert(1)</script>" not in content
    assert b"<b>x</b>" not in content
    assert b'href="javascript:' not in content


def test_non_staff_member_is_denied_admin(client, member):
    client.force_login(member)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_password_reset_answers_the_same_for_known_and_unknown_email(client, member):
    known = client.post(reverse("password_reset"), {"email": member.email})
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]


def test_login_page_locks_the_account_and_address_pair_whatever_forwarded_for_says(client, member):
    codes = [
        client.post(
            reverse("login"),
            {"username": member.username, "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"10.0.0.{i}",
        ).status_code
        for i in range(7)
    ]
    assert codes == [200] * 5 + [429, 429]
    # Even the right password is refused from this address while the pair is locked, and the
    # page says why.
    response = client.post(reverse("login"), {"username": member.username, "password": PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert b"Too many wrong passwords for this account from your address" in response.content
    assert "_auth_user_id" not in client.session


def test_password_reset_with_a_forged_host_sends_no_link_to_that_host(client, member, mailoutbox):
    response = committed(client.post)(
        reverse("password_reset"), {"email": member.email}, HTTP_HOST="evil.example.net"
    )
    assert response.status_code == 400
    assert mailoutbox == []
    committed(client.post)(reverse("password_reset"), {"email": member.email})
    assert len(mailoutbox) == 1
    assert "evil.example.net" not in mailoutbox[0].body
    assert "http://testserver/accounts/reset/" in mailoutbox[0].body


def test_signup_refuses_weak_or_mismatched_passwords_and_taken_usernames(client, member):
    cases = [
        {"username": "x1", "email": "x1@example.com", "password1": "123", "password2": "123"},
        {
            "username": "x2",
            "email": "x2@example.com",
            "password1": "a-long-pass-phrase-9",
            "password2": "another-pass-phrase-9",
        },
        {
            "username": member.username.upper(),
            "email": "x3@example.com",
            "password1": "a-long-pass-phrase-9",
            "password2": "a-long-pass-phrase-9",
        },
    ]
    for data in cases:
        response = client.post(reverse("accounts:signup"), data)
        assert response.status_code == 200
        assert response.context["form"].errors
    assert User.objects.count() == 1


def test_website_field_takes_an_address_without_a_scheme(client, member):
    client.force_login(member)
    form = client.get(reverse("accounts:profile_edit")).content.decode()
    # A type=url input would make the browser refuse what the server accepts.
    assert 'type="text" name="website" inputmode="url"' in form
    response = client.post(reverse("accounts:profile_edit"), {"website": "kimlifts.example.org"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.website == "https://kimlifts.example.org"
