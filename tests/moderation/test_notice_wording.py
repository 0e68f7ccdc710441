"""Notices per category, the crisis line with urgent notices, and the admin's preview."""

from __future__ import annotations

import pytest
from django.test import Client

from moderation import services
from moderation.models import AuditLog, CategorySettings, Notice, NoticeTemplate
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db

RUNNING_LINE = "Runners: a sports physiotherapist can look at this properly."


@pytest.fixture
def running(db):
    category = CategoryFactory(name="Running", slug="running")
    CategorySettings.objects.create(category=category, advice_text=RUNNING_LINE)
    return category


def test_a_categorys_own_line_words_its_notices_and_others_keep_the_template(
    stub_detector, running, make_post
):
    post = make_post("[advice] shin pain, should I see someone?", in_category=running)
    assert Notice.objects.get(post=post, removed__isnull=True).text == RUNNING_LINE
    elsewhere = make_post("[advice] wrist pain, should I see someone?")
    template = NoticeTemplate.objects.get(severity="advice").text
    assert Notice.objects.get(post=elsewhere, removed__isnull=True).text == template
    # No urgent line of its own: the urgent template, and raising keeps nothing of the advice.
    urgent = make_post("[urgent] chest pain while running", in_category=running)
    assert (
        Notice.objects.get(post=urgent, removed__isnull=True).text
        == NoticeTemplate.objects.get(severity="urgent").text
    )


def test_confirming_or_adding_by_hand_uses_the_categorys_line(
    stub_detector, running, moderator, make_post
):
    post = make_post("Plain post about intervals", in_category=running)
    assert services.notice_add(moderator=moderator, post=post, severity="advice").text == (
        RUNNING_LINE
    )


def test_severity_change_rewords_a_category_worded_notice(
    stub_detector, running, moderator, make_post
):
    post = make_post("[advice] shin pain, should I see someone?", in_category=running)
    services.review_set_severity(moderator=moderator, review=post.review, severity="urgent")
    live = Notice.objects.get(post=post, removed__isnull=True)
    assert live.severity == "urgent"
    assert live.text == NoticeTemplate.objects.get(severity="urgent").text


def test_the_crisis_line_shows_with_urgent_notices_only(stub_detector, settings, client, make_post):
    settings.STOA = {**settings.STOA, "CRISIS_LINE": "Thinking about suicide? Call 988 now."}
    urgent = make_post("[urgent] I fainted twice today")
    advice = make_post("[advice] my knee clicks, should I see a physio?")
    page = client.get(urgent.thread.get_absolute_url()).content.decode()
    assert "Please seek care now." in page and "Call 988 now." in page
    page = client.get(advice.thread.get_absolute_url()).content.decode()
    assert "About medical advice." in page and "Call 988" not in page
    # The API gives apps the same line with the same notices.
    (notice,) = client.get(f"/api/v1/posts/{urgent.pk}/").json()["notices"]
    assert notice["crisis_line"] == "Thinking about suicide? Call 988 now."
    (notice,) = client.get(f"/api/v1/posts/{advice.pk}/").json()["notices"]
    assert notice["crisis_line"] is None


def test_admin_previews_the_wording_and_audits_category_lines(settings, running):
    from tests.factories import UserFactory

    settings.STOA = {**settings.STOA, "CRISIS_LINE": "Call 988 now."}
    admin = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    template = NoticeTemplate.objects.get(severity="urgent")
    page = client.get(f"/admin/moderation/noticetemplate/{template.pk}/change/")
    body = page.content.decode()
    assert 'class="notice notice-refer_professional notice-urgent"' in body
    assert "Call 988 now." in body and "Added automatically" in body
    row = CategorySettings.objects.get(category=running)
    body = client.get(f"/admin/moderation/categorysettings/{row.pk}/change/").content.decode()
    assert RUNNING_LINE in body and "Please seek care now." in body
    response = client.post(
        f"/admin/moderation/categorysettings/{row.pk}/change/",
        {
            "category": running.pk,
            "notices_enabled": "on",
            "threshold": "",
            "advice_text": "Ask a physio <b>today</b>.",
            "urgent_text": "",
        },
    )
    assert response.status_code == 302
    entry = AuditLog.objects.get(action="categorysettings.change")
    assert entry.before["advice_text"] == RUNNING_LINE
    assert entry.after["advice_text"] == "Ask a physio <b>today</b>."
    body = client.get(f"/admin/moderation/categorysettings/{row.pk}/change/").content.decode()
    assert "Ask a physio &lt;b&gt;today&lt;/b&gt;." in body  # the preview escapes the text
