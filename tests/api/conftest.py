from __future__ import annotations

import pytest
from django.core.cache import cache
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.models import TokenDevice


@pytest.fixture(autouse=True)
def _fresh_throttles():
    # Throttle counters live in the cache; every test starts with none.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Login tests sign in dozens of times; the production hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def anon():
    return APIClient()


def bearer(user, device="test phone") -> APIClient:
    instance, token = AuthToken.objects.create(user=user)
    TokenDevice.objects.create(token=instance, name=device)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def as_member(member):
    return bearer(member)


@pytest.fixture
def as_other(other_member):
    return bearer(other_member)


@pytest.fixture
def as_moderator(moderator):
    return bearer(moderator)


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    return body["error"]
