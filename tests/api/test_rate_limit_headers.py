"""Every limited endpoint tells an app its budget (RateLimit-Limit, -Remaining, -Reset) on
every answer, whichever limiter counts it (DRF throttles, the sign-in limiter, the sign-up
and reset limits), and a 429 says when to come back (Retry-After)."""

from __future__ import annotations

import pytest

from core import throttles
from tests.api.conftest import error_of
from tests.api.test_profiles import image_file
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def budget(response) -> tuple[int, int, int]:
    return (
        int(response["RateLimit-Limit"]),
        int(response["RateLimit-Remaining"]),
        int(response["RateLimit-Reset"]),
    )


def test_reports_carry_their_budget_and_a_429_its_retry_after(
    monkeypatch, as_other, member, make_thread
):
    rates = {**throttles.ReportUserThrottle.THROTTLE_RATES, "report_user": "2/hour"}
    monkeypatch.setattr(throttles.ReportUserThrottle, "THROTTLE_RATES", rates)
    posts = [make_thread(member, title=f"T{i}").posts.get() for i in range(3)]
    answers = [
        as_other.post(f"/api/v1/posts/{p.pk}/report/", {"reason": "spam"}, format="json")
        for p in posts
    ]
    assert [a.status_code for a in answers] == [201, 201, 429]
    assert [budget(a)[:2] for a in answers] == [(2, 1), (2, 0), (2, 0)]
    assert 0 < budget(answers[0])[2] <= 3600
    assert int(answers[2]["Retry-After"]) >= 1


def test_avatar_uploads_carry_their_budget(as_member):
    response = as_member.put("/api/v1/me/avatar/", {"avatar": image_file()}, format="multipart")
    assert response.status_code == 200, response.content
    limit, remaining, _ = budget(response)
    assert remaining == limit - 1


def test_sign_in_carries_the_wrong_password_budget(anon, member):
    wrong = anon.post("/api/v1/auth/token/", {"username": member.username, "password": "nope"})
    assert wrong.status_code == 401
    limit, remaining, reset = budget(wrong)
    assert remaining == limit - 1 and reset > 0
    worse = anon.post("/api/v1/auth/token/", {"username": member.username, "password": "no"})
    assert budget(worse)[1] == limit - 2
    right = anon.post("/api/v1/auth/token/", {"username": member.username, "password": PASSWORD})
    assert right.status_code == 201
    assert "RateLimit-Limit" in right


def test_sign_up_and_reset_carry_the_tightest_budget(anon, member, settings):
    settings.SIGNIN_LIMITS = {**settings.SIGNIN_LIMITS, "RESET_TARGET": "2/hour"}
    first = anon.post("/api/v1/auth/password-reset/", {"email": member.email})
    assert first.status_code == 202
    assert budget(first)[:2] == (2, 1)
    anon.post("/api/v1/auth/password-reset/", {"email": member.email})
    refused = anon.post("/api/v1/auth/password-reset/", {"email": member.email})
    assert refused.status_code == 429
    assert budget(refused)[:2] == (2, 0)
    assert int(refused["Retry-After"]) >= 1
    assert error_of(refused)["code"] == "throttled"
    signup = anon.post(
        "/api/v1/auth/signup/",
        {"username": "newcomer", "email": "n@example.com", "password": "a-long-passphrase-9"},
    )
    assert signup.status_code == 202
    assert budget(signup)[1] >= 0


def test_posting_and_searching_keep_their_budget_headers(as_member, thread):
    reply = as_member.post(f"/api/v1/threads/{thread.pk}/posts/", {"body": "Budgeted"})
    assert reply.status_code == 201
    assert budget(reply)[1] == budget(reply)[0] - 1
    search = as_member.get("/api/v1/search/", {"q": "budgeted"})
    assert search.status_code == 200
    assert "RateLimit-Remaining" in search


def test_unlimited_reads_carry_no_budget(anon, thread):
    assert "RateLimit-Limit" not in anon.get("/api/v1/threads/")


def test_the_schema_declares_the_budget_headers(client):
    spec = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    reply = spec["paths"]["/api/v1/threads/{id}/posts/"]["post"]["responses"]
    assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(
        reply["201"]["headers"]
    )
    assert "Retry-After" in reply["429"]["headers"]
    assert "RateLimit-Remaining" in reply["429"]["headers"]
