from __future__ import annotations

from types import SimpleNamespace

import pytest

from moderation import detector, rescans
from moderation.models import RescanJob
from moderation.tasks import rescan_for_new_model, rescan_step
from tests.commit import committed
from tests.moderation.test_commands import blind, new_model

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_model(monkeypatch):
    """Posts screened by an older model that flagged nothing."""
    monkeypatch.setattr(detector, "detect", blind)
    monkeypatch.setattr(detector, "detect_many", lambda texts: [blind(t) for t in texts])


def test_a_background_rescan_runs_in_batches_and_shows_its_progress(
    old_model, monkeypatch, make_post, moderator
):
    posts = [make_post(f"[advice] knee {i}") for i in range(5)]
    new_model(monkeypatch)
    job = committed(rescans.job_start)(since=None, batch_size=2, actor=moderator)
    job.refresh_from_db()
    assert (job.status, job.total, job.done, job.written) == ("finished", 5, 5, 5)
    assert job.last_post == posts[-1].pk
    assert job.detector_version == "stub-1"
    assert job.flagged_after >= job.flagged_before
    for post in posts:
        post.review.refresh_from_db()
        assert post.review.model_version == "stub-1"


def test_a_paused_rescan_resumes_where_it_stopped(stub_detector, monkeypatch, make_post):
    posts = [make_post(f"[advice] heel {i}") for i in range(5)]
    calls = []

    def counting(texts):
        texts = list(texts)
        calls.append(len(texts))
        return [blind(t) for t in texts]

    monkeypatch.setattr(detector, "detect_many", counting)
    job = rescans.job_create(since=None, batch_size=2)
    assert rescans.job_step(job.pk) is True  # first batch, as a worker would
    rescans.job_pause(job)
    assert rescans.job_step(job.pk) is False  # a queued step of a paused job does nothing
    job.refresh_from_db()
    assert (job.status, job.done, job.last_post) == ("paused", 2, posts[1].pk)
    committed(rescans.job_resume)(job)
    job.refresh_from_db()
    assert (job.status, job.done) == ("finished", 5)
    # Every post was screened exactly once: nothing was redone after the pause.
    assert calls == [2, 2, 1]


def test_a_step_that_fails_marks_the_job_failed_for_administrators(
    stub_detector, monkeypatch, make_post
):
    make_post("[advice] shin")

    def broken(texts):
        raise ValueError("model file is corrupt")

    monkeypatch.setattr(detector, "detect_many", broken)
    job = rescans.job_create(since=None, batch_size=10)
    rescan_step.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == "failed"
    assert "model file is corrupt" in job.error
    assert job.done == 0


def test_the_admin_starts_a_rescan_and_lists_its_progress(admin_client, stub_detector, make_post):
    make_post("[advice] ankle")
    response = committed(admin_client.post)(
        "/admin/moderation/rescanjob/add/", {"since": "", "batch_size": "100"}
    )
    assert response.status_code == 302
    job = RescanJob.objects.get()
    assert job.status == "finished"
    page = admin_client.get("/admin/moderation/rescanjob/")
    assert "1 of 1 (100%)" in page.content.decode()
    assert admin_client.get(f"/admin/moderation/rescanjob/{job.pk}/change/").status_code == 200


def test_rescan_posts_background_queues_a_job(stub_detector, make_post):
    from io import StringIO

    from django.core.management import call_command

    make_post("[advice] wrist")
    out = StringIO()
    committed(call_command)("rescan_posts", "--background", stdout=out)
    job = RescanJob.objects.get()
    assert f"Rescan job {job.pk} queued: 1 posts." in out.getvalue()
    job.refresh_from_db()
    assert job.status == "finished"


def _deployed(monkeypatch, version: str) -> None:
    monkeypatch.setattr(detector, "get_model", lambda: SimpleNamespace(model_version=version))


def test_a_new_detector_model_starts_one_rescan_by_itself(old_model, monkeypatch, make_post):
    posts = [make_post(f"[advice] shin {i}") for i in range(3)]
    assert {p.review.model_version for p in posts} == {"old-model"}
    _deployed(monkeypatch, "old-model")
    assert rescans.rescan_for_new_model() is None  # nothing to do: every post has this model

    new_model(monkeypatch)
    _deployed(monkeypatch, "stub-1")
    job_id = committed(rescan_for_new_model.delay)().get()
    job = RescanJob.objects.get(pk=job_id)
    assert (job.status, job.done, job.detector_version, job.created_by) == (
        "finished",
        3,
        "stub-1",
        None,
    )
    for post in posts:
        post.review.refresh_from_db()
        assert post.review.model_version == "stub-1"
    # The periodic task runs again next hour: this model has had its rescan.
    assert rescans.rescan_for_new_model() is None
    assert RescanJob.objects.count() == 1


def test_no_automatic_rescan_starts_while_another_is_running(old_model, monkeypatch, make_post):
    make_post("[advice] calf")
    RescanJob.objects.create(status=RescanJob.Status.RUNNING, total=1)
    _deployed(monkeypatch, "stub-1")
    assert rescans.rescan_for_new_model() is None
    assert RescanJob.objects.count() == 1
