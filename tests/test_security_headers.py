from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/", "/api/v1/threads/"])
def test_pages_forbid_framing_and_carry_a_content_security_policy(client, url):
    response = client.get(url)
    assert response["X-Frame-Options"] == "DENY"
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_logout_is_not_a_get_side_effect(client, member):
    client.force_login(member)
    assert client.get(reverse("logout")).status_code == 405
    assert "_auth_user_id" in client.session
