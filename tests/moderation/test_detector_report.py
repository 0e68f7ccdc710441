"""The learning loop's numbers: the detector's precision as moderators judged it."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from moderation import selectors, services
from moderation.models import Review

pytestmark = pytest.mark.django_db


def _rows(report):
    return {row["severity"]: row for row in report["rows"]}


@pytest.fixture
def decisions(stub_detector, moderator, other_member, make_post):
    urgent_yes = make_post("[urgent] chest pain on the bike")
    urgent_no = make_post("[urgent] breathing drills for swimmers")
    advice_yes = [make_post(f"[advice] knee pain {i}, see someone?") for i in range(3)]
    advice_no = make_post("[advice] squat depth question")
    missed = make_post("My shoulder clicks, what is it?")
    services.report_create(reporter=other_member, post=missed, reason="medical")
    services.review_confirm(moderator=moderator, review=urgent_yes.review)
    services.review_dismiss(moderator=moderator, review=urgent_no.review)
    for post in advice_yes:
        services.review_confirm(moderator=moderator, review=post.review)
    # Regraded: confirmed, then judged urgent by the moderator.
    services.review_set_severity(
        moderator=moderator, review=Review.objects.get(post=advice_yes[0]), severity="urgent"
    )
    services.review_dismiss(moderator=moderator, review=advice_no.review)
    services.review_confirm(moderator=moderator, review=Review.objects.get(post=missed))
    return {"missed": missed}


def test_precision_per_severity_as_moderators_judged_it(decisions, django_assert_num_queries):
    with django_assert_num_queries(2):
        report = selectors.detector_agreement()
    rows = _rows(report)
    assert rows["urgent"] | {} == {
        "severity": "urgent", "confirmed": 1, "dismissed": 1, "decided": 2,
        "regraded": 0, "precision": 0.5,
    }  # fmt: skip
    assert (rows["advice"]["confirmed"], rows["advice"]["dismissed"]) == (3, 1)
    assert rows["advice"]["precision"] == 0.75 and rows["advice"]["regraded"] == 1
    assert rows["all flagged"]["decided"] == 6 and rows["all flagged"]["precision"] == 4 / 6
    # The reported post the detector did not flag: an ask it missed, no precision.
    assert rows["none"]["confirmed"] == 1 and rows["none"]["precision"] is None


def test_the_period_counts_only_decisions_made_in_it(decisions):
    Review.objects.filter(post=decisions["missed"]).update(
        decided=timezone.now() - timedelta(days=40)
    )
    rows = _rows(selectors.detector_agreement(since=timezone.now() - timedelta(days=30)))
    assert rows["none"]["decided"] == 0 and rows["advice"]["decided"] == 4


def test_moderators_see_the_numbers_in_the_admin(decisions, moderator, member):
    client = Client()
    client.force_login(moderator)
    assert "The detector, judged by moderators" in client.get("/admin/").content.decode()
    page = client.get("/admin/moderation/review/detector/?days=7").content.decode()
    assert "<strong>7 days</strong>" in page
    assert "<td>0.750</td>" in page and "<td>0.500</td>" in page
    assert "export_moderation_labels --since" in page
    assert client.get("/admin/moderation/review/detector/?days=x").status_code == 200
    client.force_login(member)
    assert client.get("/admin/moderation/review/detector/").status_code == 302


def test_export_since_a_day_with_what_the_detector_said(decisions, tmp_path):
    Review.objects.filter(post=decisions["missed"]).update(
        decided=timezone.now() - timedelta(days=40)
    )
    day = (timezone.localdate() - timedelta(days=1)).isoformat()
    out = io.StringIO()
    call_command(
        "export_moderation_labels", "--since", day, "--with-detector", stdout=out,
        stderr=io.StringIO(),
    )  # fmt: skip
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == 6 and decisions["missed"].pk not in {r["id"] for r in rows}
    urgent = [r for r in rows if r["detector_severity"] == "urgent"]
    assert sorted(r["label"] for r in urgent) == [0, 1]
    assert all(r["flagged"] and r["score"] > 0.5 and r["decided"] for r in rows)
