from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.middleware import LAST_SEEN_RESOLUTION
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_session_older_than_the_last_seen_resolution_still_gets_pages(client):
    member = UserFactory()
    client.force_login(member)
    assert client.get("/").status_code == 200

    # Let time pass for the real session: the member was last seen longer ago than the
    # resolution, so this request is the one that writes last_seen.
    long_ago = timezone.now() - LAST_SEEN_RESOLUTION - timedelta(minutes=1)
    type(member).objects.filter(pk=member.pk).update(last_seen=long_ago)

    response = client.get("/")
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.last_seen > long_ago
    assert timezone.now() - member.last_seen < timedelta(minutes=1)


def test_last_seen_is_not_written_again_within_the_resolution(client):
    member = UserFactory()
    client.force_login(member)
    client.get("/")
    member.refresh_from_db()
    first = member.last_seen
    client.get("/")
    member.refresh_from_db()
    assert member.last_seen == first
