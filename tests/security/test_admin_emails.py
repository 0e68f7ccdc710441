from __future__ import annotations

import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_moderator_sees_no_member_email_addresses_in_the_admin(client, moderator):
    member = UserFactory(email="private-address@example.org")
    client.force_login(moderator)
    listing = client.get("/admin/accounts/user/")
    assert listing.status_code == 200
    assert member.username in listing.content.decode()
    assert "private-address@example.org" not in listing.content.decode()
    detail = client.get(f"/admin/accounts/user/{member.pk}/change/")
    assert detail.status_code == 200
    assert "private-address@example.org" not in detail.content.decode()
    # Nor can the address be found by searching for it.
    found = client.get("/admin/accounts/user/", {"q": "private-address"})
    assert member.username not in found.content.decode().split("</form>", 1)[-1]


def test_an_administrator_still_sees_them(admin_client):
    member = UserFactory(email="private-address@example.org")
    assert (
        "private-address@example.org" in admin_client.get("/admin/accounts/user/").content.decode()
    )
    detail = admin_client.get(f"/admin/accounts/user/{member.pk}/change/")
    assert "private-address@example.org" in detail.content.decode()
