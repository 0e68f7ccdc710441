"""Avatars on the web: upload on the profile page (checked, cut square, resized, stripped of
metadata), a generated initial for members without one, shown on posts and profiles."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from accounts import avatars, services
from accounts.templatetags.accounts_tags import avatar as avatar_tag
from forum import services as forum_services
from tests.commit import committed
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

AVATAR_URL = "/accounts/profile/avatar/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def picture(fmt="JPEG", size=(300, 100), name="me.jpg", exif=True) -> SimpleUploadedFile:
    """Three vertical bands, red | green | blue: the centre square is all green."""
    image = Image.new("RGB", size, "red")
    third = size[0] // 3
    image.paste((0, 200, 0), (third, 0, 2 * third, size[1]))
    image.paste((0, 0, 255), (2 * third, 0, size[0], size[1]))
    out = io.BytesIO()
    extra = {}
    if exif and fmt == "JPEG":
        tags = Image.Exif()
        tags[0x010F] = "SpyCam"  # Make
        tags[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPS latitude
        extra["exif"] = tags.tobytes()
    image.save(out, format=fmt, **extra)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def upload(client, file) -> object:
    return client.post(AVATAR_URL, {"avatar": file})


def test_upload_is_cut_square_resized_and_stripped(client, member):
    client.force_login(member)
    response = upload(client, picture())
    assert response.status_code == 302 and response["Location"] == reverse("accounts:profile_edit")
    member.refresh_from_db()
    for field, side in avatars.SIZES.items():
        with Image.open(getattr(member, field).path) as stored:
            assert stored.size == (side, side)
            assert stored.format == "JPEG"
            assert not stored.getexif()
            assert "exif" not in stored.info
            # The centre of a wide picture: green, none of the red or blue sides.
            for x in (side // 8, side - 1 - side // 8):
                red, green, blue = stored.getpixel((x, side // 2))
                assert green > 150 and red < 60 and blue < 60
    raw = Path(member.avatar.path).read_bytes()
    assert b"SpyCam" not in raw


def test_picture_is_shown_on_posts_and_the_profile(client, member, thread):
    services.avatar_set(user=member, upload=picture())
    member.refresh_from_db()
    page = client.get(thread.get_absolute_url()).content.decode()
    assert f'src="{member.avatar_small.url}" width="40" height="40" alt=""' in page
    profile = client.get(member.get_absolute_url()).content.decode()
    assert f'src="{member.avatar.url}" width="96" height="96" alt=""' in profile


def test_members_without_a_picture_get_their_initial_in_a_stable_colour(client, thread):
    author = thread.author
    page = client.get(thread.get_absolute_url()).content.decode()
    colour = avatars.colour(author.username)
    expected = f'avatar-c{colour}" aria-hidden="true">{author.username[0].upper()}</span>'
    assert expected in page
    assert 0 <= colour < avatars.PALETTE_SIZE
    assert avatars.colour(author.username.upper()) == colour


@pytest.mark.parametrize(
    ("name", "letter"), [("élodie", "É"), ("  _kim", "K"), ("9lives", "9"), ("__", "?")]
)
def test_initial_is_the_first_letter_or_digit(name, letter):
    assert avatars.initial(name) == letter


def test_default_avatar_escapes_the_name():
    member = UserFactory(display_name="<b>x</b>")
    html = avatar_tag(member, "large")
    assert "<b>" not in html and "avatar-large" in html


def test_a_file_that_is_not_an_image_is_a_400_with_the_reason(client, member):
    client.force_login(member)
    fake = SimpleUploadedFile("evil.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")
    response = upload(client, fake)
    assert response.status_code == 400
    assert "Upload a valid PNG, JPEG, WebP or GIF image." in response.content.decode()
    member.refresh_from_db()
    assert not member.avatar and not member.avatar_small


def test_another_format_or_huge_dimensions_are_refused(client, member):
    client.force_login(member)
    assert upload(client, picture("BMP", name="a.bmp")).status_code == 400
    response = upload(client, picture("PNG", size=(3000, 30), name="a.png"))
    assert response.status_code == 400
    assert "at most 1024x1024 pixels" in response.content.decode()
    assert client.post(AVATAR_URL, {}).status_code == 400  # no file at all
    member.refresh_from_db()
    assert not member.avatar


def test_a_file_over_the_limit_is_413(client, member):
    client.force_login(member)
    over = SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (services.AVATAR_MAX_BYTES + 10))
    response = upload(client, over)
    assert response.status_code == 413
    assert "at most 1024 KB" in response.content.decode()
    member.refresh_from_db()
    assert not member.avatar


def test_a_request_over_the_limit_is_413(client, member):
    client.force_login(member)
    huge = SimpleUploadedFile("big.png", b"0" * (services.AVATAR_REQUEST_MAX + 1))
    response = upload(client, huge)
    assert response.status_code == 413
    member.refresh_from_db()
    assert not member.avatar


def test_upload_still_needs_the_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert upload(client, picture()).status_code == 403
    member.refresh_from_db()
    assert not member.avatar


def test_visitors_are_sent_to_sign_in(client):
    response = upload(client, picture())
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_replacing_and_removing_delete_the_old_files(
    client, member, django_capture_on_commit_callbacks
):
    client.force_login(member)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, picture())
    member.refresh_from_db()
    first = [member.avatar.path, member.avatar_small.path]
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, picture("PNG", name="me.png"))
    member.refresh_from_db()

    assert not any(os.path.exists(path) for path in first)
    assert member.avatar.name.endswith("-192.png") and os.path.exists(member.avatar.path)
    second = [member.avatar.path, member.avatar_small.path]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(AVATAR_URL, {"remove": "1"})
    assert response.status_code == 302
    member.refresh_from_db()
    assert not member.avatar and not member.avatar_small
    assert not any(os.path.exists(path) for path in second)
    page = client.get(reverse("accounts:profile_edit")).content.decode()
    assert "No picture yet" in page and "avatar-default" in page


def test_the_profile_form_offers_the_upload(client, member):
    client.force_login(member)
    page = client.get(reverse("accounts:profile_edit")).content.decode()
    assert f'action="{AVATAR_URL}" enctype="multipart/form-data"' in page
    assert 'accept="image/png,image/jpeg,image/webp,image/gif"' in page


def test_api_gives_both_sizes(member, thread):
    from tests.api.conftest import bearer

    services.avatar_set(user=member, upload=picture())
    api = bearer(member)
    me = api.get("/api/v1/me/").json()
    assert me["avatar"].endswith("-192.jpg")
    assert api.get(f"/api/v1/users/{member.username}/").json()["avatar"] == me["avatar"]
    author = api.get(f"/api/v1/threads/{thread.pk}/posts/").json()["results"][0]["author"]
    assert author["avatar"] == me["avatar"]
    assert author["avatar_small"].endswith("-64.jpg")


def test_notifications_show_who_acted(client, member, other_member, thread):
    services.avatar_set(user=other_member, upload=picture())
    other_member.refresh_from_db()
    committed(forum_services.post_reply)(
        author=other_member, thread=thread, body=f"@{member.username} see this"
    )
    client.force_login(member)
    page = client.get(reverse("forum:notifications")).content.decode()
    assert f'src="{other_member.avatar_small.url}"' in page
