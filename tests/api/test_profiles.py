from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db


def image_file(fmt="PNG", size=(64, 64), name="a.png", mode="RGB") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new(mode, size, "red").save(out, format=fmt)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def test_public_profile_shows_nothing_private(anon, member):
    member.bio = "Runner"
    member.save()
    response = anon.get(f"/api/v1/users/{member.username}/")
    assert response.status_code == 200
    data = response.json()
    assert data["bio"] == "Runner"
    for private in ("email", "password", "last_login", "last_seen", "is_staff", "is_superuser"):
        assert private not in data
    assert anon.get("/api/v1/users/nobody/").status_code == 404


def test_me_shows_own_email_and_edits_only_profile_fields(as_member, member):
    assert as_member.get("/api/v1/me/").json()["email"] == member.email
    response = as_member.patch(
        "/api/v1/me/",
        {
            "display_name": "Marathon Mia",
            "website": "https://example.com",
            "is_staff": True,
            "is_superuser": True,
            "username": "admin",
            "post_count": 1000,
            "email": "attacker@example.com",
        },
    )
    assert response.status_code == 200
    assert response.json()["display_name"] == "Marathon Mia"
    member.refresh_from_db()
    assert member.display_name == "Marathon Mia"
    assert not member.is_staff and not member.is_superuser
    assert member.username != "admin"
    assert member.post_count == 0
    assert member.email != "attacker@example.com"


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"website": "javascript:alert(1)"}, "website"),
        ({"display_name": "x" * 61}, "display_name"),
        ({"bio": ["not", "text"]}, "bio"),
    ],
)
def test_profile_edit_rejects_bad_values(as_member, member, payload, field):
    response = as_member.patch("/api/v1/me/", payload)
    assert response.status_code == 400
    assert field in error_of(response)["fields"]
    member.refresh_from_db()
    assert member.website == "" and member.display_name == "" and member.bio == ""


@pytest.mark.parametrize(
    "fmt,mode", [("PNG", "RGB"), ("JPEG", "RGB"), ("WEBP", "RGB"), ("GIF", "P")]
)
def test_avatar_upload_accepts_small_images(as_member, member, fmt, mode):
    response = as_member.put(
        "/api/v1/me/avatar/", {"avatar": image_file(fmt, mode=mode)}, format="multipart"
    )
    assert response.status_code == 200, response.content
    member.refresh_from_db()
    assert member.avatar
    assert response.json()["avatar"].endswith(member.avatar.name.rsplit("/", 1)[-1])
    with Image.open(member.avatar.path) as stored:
        assert stored.format == fmt


def test_avatar_that_is_not_an_image_is_refused(as_member, member):
    fake = SimpleUploadedFile("evil.png", b"<script>alert(1)</script>", content_type="image/png")
    response = as_member.put("/api/v1/me/avatar/", {"avatar": fake}, format="multipart")
    assert response.status_code == 400
    assert "avatar" in error_of(response)["fields"]
    member.refresh_from_db()
    assert not member.avatar


def test_avatar_in_another_format_is_refused(as_member, member):
    response = as_member.put(
        "/api/v1/me/avatar/", {"avatar": image_file("BMP", name="a.bmp")}, format="multipart"
    )
    assert response.status_code == 400
    member.refresh_from_db()
    assert not member.avatar


def test_avatar_too_wide_is_refused(as_member, member):
    response = as_member.put(
        "/api/v1/me/avatar/", {"avatar": image_file(size=(4000, 10))}, format="multipart"
    )
    assert response.status_code == 400
    assert "pixels" in error_of(response)["message"]
    member.refresh_from_db()
    assert not member.avatar


def test_avatar_over_one_megabyte_is_413(as_member, member):
    big = SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (1_200_000), content_type="image/png")
    response = as_member.put("/api/v1/me/avatar/", {"avatar": big}, format="multipart")
    assert response.status_code == 413
    assert error_of(response)["code"] == "request_too_large"
    member.refresh_from_db()
    assert not member.avatar


def test_avatar_upload_needs_a_file_and_removal_works(as_member, member):
    assert as_member.put("/api/v1/me/avatar/", {}, format="multipart").status_code == 400
    as_member.put("/api/v1/me/avatar/", {"avatar": image_file()}, format="multipart")
    member.refresh_from_db()
    assert member.avatar
    assert as_member.delete("/api/v1/me/avatar/").json()["avatar"] is None
    member.refresh_from_db()
    assert not member.avatar
