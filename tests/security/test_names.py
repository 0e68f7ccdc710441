"""Impersonation through names: Unicode variants and look-alikes of existing names, display
names copying staff, invisible and reordered text."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from forum import services
from tests.api.conftest import bearer
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _sign_up(client, username: str):
    return client.post(
        reverse("accounts:signup"),
        {
            "username": username,
            "email": f"new{abs(hash(username))}@example.com",
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
        },
    )


@pytest.mark.parametrize(
    ("taken", "variant"),
    [("alice", "\uff41lice"), ("kpj", "\u212aPj"), ("Bruno", "\uff22\uff32\uff35\uff2e\uff2f")],
)
def test_an_nfkc_variant_of_a_taken_name_is_refused_not_a_500(client, taken, variant):
    UserFactory(username=taken)
    response = _sign_up(client, variant)
    assert response.status_code == 200
    assert b"That username is taken." in response.content
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("taken", "lookalike"),
    [
        ("alice", "\u0430lice"),  # Cyrillic a
        ("moderator", "mod\u0435rator"),  # Cyrillic e
        ("admin", "\u0430dmin"),
        ("bob0", "bobO"),
        ("memberl", "member1"),
        ("moderator", "rnoderator"),  # "rn" reads as "m"
        ("admin", "adrnin"),
        ("rnary", "mary"),
    ],
)
def test_a_look_alike_of_any_existing_name_is_refused(client, taken, lookalike):
    UserFactory(username=taken, is_active=False)  # unactivated accounts count too
    response = _sign_up(client, lookalike)
    assert response.status_code == 200
    assert b"looks too much like an existing one" in response.content
    assert not User.objects.filter(username=lookalike).exists()


def test_a_distinct_name_still_signs_up(client):
    UserFactory(username="alice")
    response = _sign_up(client, "alicia")
    assert response.status_code == 302
    assert User.objects.filter(username="alicia", is_active=False).exists()


@pytest.mark.parametrize(
    "display_name", ["Mo Derator", "MODERATOR", "mod\u0435rator", "The Mod", "Rno Derator"]
)
def test_a_display_name_copying_a_staff_member_is_refused(client, display_name):
    UserFactory(username="moderator", display_name="The Mod", moderator=True)
    member = UserFactory()
    response = bearer(member).patch("/api/v1/me/", {"display_name": display_name})
    assert response.status_code == 400
    assert "staff member" in response.json()["error"]["fields"]["display_name"][0]
    client.force_login(member)
    response = client.post(reverse("accounts:profile_edit"), {"display_name": display_name})
    assert response.status_code == 200
    assert b"looks like a staff member" in response.content
    member.refresh_from_db()
    assert member.display_name == ""


def test_a_display_name_like_an_ordinary_member_is_allowed(client):
    UserFactory(username="alice")
    member = UserFactory()
    response = bearer(member).patch("/api/v1/me/", {"display_name": "Ali Ce"})
    assert response.status_code == 200


def test_staff_carry_a_badge_members_cannot_get(client, make_thread):
    moderator = UserFactory(username="moderator", moderator=True)
    impostor = UserFactory(username="someone", display_name="Moderator Team")
    thread = make_thread(moderator)
    services.post_reply(author=impostor, thread=thread, body="Hello from the team")
    html = client.get(thread.get_absolute_url()).content.decode()
    assert html.count('class="badge badge-staff"') == 1
    header = html.split('id="post-1"')[1].split("</header>")[0]
    assert "badge-staff" in header
    posts = client.get(f"/api/v1/threads/{thread.pk}/posts/").json()["results"]
    assert [p["author"]["is_staff"] for p in posts] == [True, False]


@pytest.mark.parametrize(
    "title", ["\u200b\u200b\u200b", "\u3164", "\u2800 \u200d", "Harmless \u202etxt.exe"]
)
def test_invisible_or_reordering_thread_titles_are_refused(member, category, title):
    client = bearer(member)
    response = client.post(
        "/api/v1/threads/", {"category": category.slug, "title": title, "body": "Body"}
    )
    assert response.status_code == 400
    assert "title" in response.json()["error"]["fields"]


@pytest.mark.parametrize("name", ["\u200b", "Admin\u202e", "\u2067x\u2069"])
def test_invisible_or_reordering_display_names_are_refused(member, name):
    response = bearer(member).patch("/api/v1/me/", {"display_name": name})
    assert response.status_code == 400
    assert "display_name" in response.json()["error"]["fields"]


def test_an_invisible_username_is_refused(client):
    response = _sign_up(client, "\u3164\u3164")
    assert response.status_code == 200
    assert not User.objects.exists()


def _admin_user_form(user: User) -> dict:
    return {
        "username": user.username,
        "email": user.email,
        "display_name": user.display_name,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }


def test_the_admin_holds_renames_and_display_names_to_the_same_rules(admin_client):
    UserFactory(username="moderator", display_name="The Mod", moderator=True)
    member = UserFactory(username="kim")
    url = f"/admin/accounts/user/{member.pk}/change/"
    for field, value, message in [
        ("username", "rnoderator", "looks too much like an existing one"),
        ("display_name", "Mo Derator", "looks like a staff member"),
    ]:
        response = admin_client.post(url, {**_admin_user_form(member), field: value})
        assert response.status_code == 200
        assert message in response.content.decode()
    member.refresh_from_db()
    assert (member.username, member.display_name) == ("kim", "")
    response = admin_client.post(url, {**_admin_user_form(member), "display_name": "Kim Lifts"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.display_name == "Kim Lifts"


def test_the_admin_cannot_create_a_look_alike_account(admin_client):
    UserFactory(username="moderator", moderator=True)
    response = admin_client.post(
        "/admin/accounts/user/add/",
        {
            "username": "m\u043ederator",  # Cyrillic o
            "password1": "a-long-unusual-passphrase",
            "password2": "a-long-unusual-passphrase",
            "usable_password": "true",
        },
    )
    assert response.status_code == 200
    assert "looks too much like an existing one" in response.content.decode()
    assert User.objects.count() == 2  # the moderator and the administrator
