from __future__ import annotations

import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from forum import services as forum_services
from forum.models import Post
from moderation import detector, services
from moderation.detector import Detection
from moderation.models import Notice, Review
from moderation.selectors import moderation_labelled_examples
from tests.moderation.conftest import stub_detect

pytestmark = pytest.mark.django_db


def blind(text: str) -> Detection:
    return Detection(False, 0.01, "none", (), "old-model")


@pytest.fixture
def old_model(monkeypatch):
    """Posts screened by an older model that flagged nothing."""
    monkeypatch.setattr(detector, "detect", blind)
    monkeypatch.setattr(detector, "detect_many", lambda texts: [blind(t) for t in texts])


def new_model(monkeypatch):
    monkeypatch.setattr(detector, "detect", stub_detect)
    monkeypatch.setattr(detector, "detect_many", lambda texts: [stub_detect(t) for t in texts])


def rescan(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("rescan_posts", *args, stdout=out, stderr=err)
    return out.getvalue()


# --- rescan_posts -----------------------------------------------------------------------------


def test_rescan_flags_old_posts_with_the_new_model_but_leaves_decisions_alone(
    old_model, monkeypatch, moderator, make_post
):
    missed = make_post("[urgent] chest pain")
    confirmed = make_post("[advice] knee")
    dismissed = make_post("[advice] heel")
    quiet = make_post("Leg day")
    services.review_confirm(moderator=moderator, review=confirmed.review)
    services.review_dismiss(moderator=moderator, review=dismissed.review)
    confirmed_notice = confirmed.notices.get()
    new_model(monkeypatch)

    output = rescan("--batch-size", "2")

    assert "Rescanned 2 of 2 posts" in output
    missed.review.refresh_from_db()
    assert (missed.review.status, missed.review.model_version) == ("pending", "stub-1")
    assert [n.severity for n in missed.notices.filter(removed__isnull=True)] == ["urgent"]
    for post, status in ((confirmed, "confirmed"), (dismissed, "dismissed")):
        post.review.refresh_from_db()
        assert post.review.status == status
        assert post.review.model_version == "old-model"
        assert post.review.score == 0.01
    assert list(confirmed.notices.filter(removed__isnull=True)) == [confirmed_notice]
    assert not dismissed.notices.filter(removed__isnull=True).exists()
    quiet.review.refresh_from_db()
    assert quiet.review.status == "clear"


def test_rescan_withdraws_notices_the_new_model_no_longer_supports(
    stub_detector, monkeypatch, make_post
):
    post = make_post("[advice] knee")
    assert post.notices.filter(removed__isnull=True).exists()
    monkeypatch.setattr(detector, "detect_many", lambda texts: [blind(t) for t in texts])
    rescan()
    post.review.refresh_from_db()
    assert post.review.status == "clear"
    assert not post.notices.filter(removed__isnull=True).exists()


def test_rescan_since_only_touches_newer_posts(old_model, monkeypatch, make_post):
    old = make_post("[advice] old knee")
    Post.objects.filter(pk=old.pk).update(created=timezone.now() - datetime.timedelta(days=30))
    recent = make_post("[advice] recent knee")
    new_model(monkeypatch)
    since = (timezone.now() - datetime.timedelta(days=1)).date().isoformat()
    assert "Rescanned 1 of 1" in rescan("--since", since)
    old.review.refresh_from_db()
    recent.review.refresh_from_db()
    assert old.review.status == "clear"
    assert recent.review.status == "pending"


@pytest.mark.parametrize("value", ["yesterday", "2024-13-45", "2024-02-30T25:00", ""])
def test_rescan_with_a_bad_since_is_a_clear_error(stub_detector, make_post, value):
    post = make_post("[advice] knee")
    Review.objects.filter(post=post).update(status="clear", model_version="before")
    with pytest.raises(CommandError, match="--since"):
        rescan("--since", value)
    post.review.refresh_from_db()
    assert post.review.model_version == "before"


def test_rescan_accepts_a_date_time_with_an_offset(stub_detector, make_post):
    make_post("[advice] knee")
    assert "Rescanned 1 of 1" in rescan("--since", "2000-01-01T10:00:00+02:00")


def test_rescan_honours_category_settings(old_model, monkeypatch, category, make_post):
    from moderation.models import CategorySettings

    CategorySettings.objects.create(category=category, notices_enabled=False)
    post = make_post("[urgent] chest pain")
    new_model(monkeypatch)
    rescan()
    post.review.refresh_from_db()
    assert post.review.status == "clear"
    assert post.review.score == 0.97
    assert not Notice.objects.filter(post=post).exists()


# --- Labelled examples --------------------------------------------------------------------------


def test_decisions_become_labelled_examples_with_the_text_as_decided(
    stub_detector, member, moderator, make_post, tmp_path
):
    yes = make_post("[advice] my knee swells, should I see someone?")
    no = make_post("[advice] DOMS after leg day, tips?")
    make_post("[advice] still pending")
    services.review_confirm(moderator=moderator, review=yes.review)
    services.review_dismiss(moderator=moderator, review=no.review)
    # An edit after the decision does not relabel what the moderator saw.
    forum_services.post_edit(editor=member, post=yes, body="Thanks all, sorted")

    examples = sorted(moderation_labelled_examples(), key=lambda e: e[1])
    assert examples == [
        ("[advice] DOMS after leg day, tips?", 0),
        ("[advice] my knee swells, should I see someone?", 1),
    ]

    target = tmp_path / "labels.jsonl"
    call_command("export_moderation_labels", str(target), stderr=io.StringIO())
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    assert sorted((r["id"], r["label"]) for r in rows) == sorted([(yes.pk, 1), (no.pk, 0)])
    assert {r["text"] for r in rows} == {e[0] for e in examples}
    assert all(set(r) == {"id", "text", "label"} for r in rows)


def test_export_writes_to_standard_output_without_a_file(stub_detector, moderator, make_post):
    post = make_post("[advice] knee")
    services.review_confirm(moderator=moderator, review=post.review)
    out = io.StringIO()
    call_command("export_moderation_labels", stdout=out, stderr=io.StringIO())
    assert "\n" not in out.getvalue().strip()
    assert json.loads(out.getvalue()) == {"id": post.pk, "text": "[advice] knee", "label": 1}


def test_export_to_an_unwritable_place_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot write"):
        call_command("export_moderation_labels", str(tmp_path / "missing" / "x.jsonl"))


def test_rescan_skips_a_post_edited_after_it_was_read(old_model, monkeypatch, member, make_post):
    post = make_post("[advice] knee")
    stale = Post.objects.select_related("thread").get(pk=post.pk)
    forum_services.post_edit(editor=member, post=post, body="All fine now")
    written = services.post_rescreen_batch(
        posts=[stale], detections=[stub_detect(stale.source)], settings_by_category={}
    )
    assert written == 0
    post.review.refresh_from_db()
    assert post.review.status == "clear"
    assert not post.notices.exists()


def test_train_detector_can_learn_from_moderators_decisions(
    stub_detector, make_post, moderator, monkeypatch, tmp_path
):
    from moderation.detector import corpus, training
    from moderation.models import Review
    from moderation.services import review_confirm, review_dismiss

    confirmed = make_post("[advice] my knee swells after every run, should I see someone?")
    dismissed = make_post("[advice] knee sleeves: worth it for squats?")
    review_confirm(moderator=moderator, review=Review.objects.get(post=confirmed))
    review_dismiss(moderator=moderator, review=Review.objects.get(post=dismissed))

    # A tiny corpus in place of ../shared, and the training step recorded, not run in full.
    cases = corpus.load_hard_cases()
    base = [c for c in cases if c.label == 1][:40] + [c for c in cases if c.label == 0][:60]
    monkeypatch.setattr(corpus, "load_corpus", lambda data_dir: base)
    seen = {}
    real_train = training.train

    def fake_train(examples, log=None):
        seen["examples"] = list(examples)
        return real_train(examples)

    monkeypatch.setattr(training, "train", fake_train)
    out = io.StringIO()
    call_command(
        "train_detector", "--include-moderation", "--output", str(tmp_path / "m.json"), stdout=out
    )
    assert "adding 2 moderator decisions" in out.getvalue()
    learned = {(ex.text, ex.label) for ex in seen["examples"] if ex.source == "moderation"}
    assert learned == {(confirmed.source, 1), (dismissed.source, 0)}
    assert (tmp_path / "m.json").exists()

    call_command("train_detector", "--output", str(tmp_path / "n.json"), stdout=io.StringIO())
    assert not [ex for ex in seen["examples"] if ex.source == "moderation"]
