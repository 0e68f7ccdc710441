"""Rebuilding the search index on the workers: in batches, resumable, followed by
administrators, and never emptying the index that searches read meanwhile."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from forum import reindex, search, services
from forum.models import Post, PostSearch, SearchReindexJob
from forum.tasks import search_reindex_step
from tests.commit import committed
from tests.forum.test_search import found

pytestmark = pytest.mark.django_db


@pytest.fixture
def stale_index(member, make_thread):
    """Five threads whose rows were lost (a bulk import with the index left out) and one
    hidden post whose row was left behind."""
    threads = [make_thread(member, title=f"Tempo run {i}", body=f"Intervals {i}") for i in range(5)]
    posts = [t.posts.get(number=1) for t in threads]
    hidden = posts[0]
    Post.objects.filter(pk=hidden.pk).update(state=Post.State.HIDDEN)
    PostSearch.objects.exclude(pk=hidden.pk).delete()
    return posts


def rows() -> list[int]:
    return sorted(PostSearch.objects.values_list("pk", flat=True))


def test_a_background_reindex_repairs_the_index_in_batches(stale_index, admin_user):
    hidden, *visible = stale_index
    assert rows() == [hidden.pk]  # only the stale row of the hidden post
    job = committed(reindex.job_start)(batch_size=2, actor=admin_user)
    job.refresh_from_db()
    assert (job.status, job.total, job.done, job.written) == ("finished", 5, 5, 4)
    assert job.last_post == stale_index[-1].pk and job.percent == 100
    assert rows() == sorted(p.pk for p in visible)
    assert sorted(found("tempo")) == sorted(p.pk for p in visible)


def test_a_batch_never_empties_the_index_and_a_paused_job_resumes(stale_index):
    visible = stale_index[1:]
    job = reindex.job_create(batch_size=2)
    assert reindex.job_step(job.pk) is True  # the first batch, as a worker would
    job.refresh_from_db()
    assert (job.done, job.last_post) == (2, stale_index[1].pk)
    # Rows of posts past the batch are untouched until their batch comes.
    assert rows() == [visible[0].pk]
    reindex.jobs.pause(job)
    assert reindex.job_step(job.pk) is False  # a queued step of a paused job does nothing
    committed(reindex.job_resume)(job)
    job.refresh_from_db()
    assert (job.status, job.done) == ("finished", 5)
    assert sorted(found("tempo")) == sorted(p.pk for p in visible)


def test_running_a_step_twice_changes_nothing(stale_index):
    job = reindex.job_create(batch_size=10)
    assert search.reindex_batch(after=0, batch_size=10)[0] == 5
    before = sorted(PostSearch.objects.values_list("pk", "category_id"))
    search_reindex_step.apply(args=[job.pk])
    search_reindex_step.apply(args=[job.pk])  # redelivered after the job finished
    job.refresh_from_db()
    assert (job.status, job.done) == ("finished", 5)
    assert sorted(PostSearch.objects.values_list("pk", "category_id")) == before


def test_a_failing_step_marks_the_job_failed(stale_index, monkeypatch):
    def broken(**kwargs):
        raise ValueError("text search configuration missing")

    monkeypatch.setattr(search, "reindex_batch", broken)
    job = reindex.job_create(batch_size=10)
    search_reindex_step.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == "failed" and "configuration missing" in job.error


def test_administrators_start_and_follow_a_reindex_in_the_admin(admin_client, stale_index):
    response = committed(admin_client.post)(
        "/admin/forum/searchreindexjob/add/", {"batch_size": "3"}
    )
    assert response.status_code == 302
    job = SearchReindexJob.objects.get()
    assert job.status == "finished"
    page = admin_client.get("/admin/forum/searchreindexjob/").content.decode()
    assert "5 of 5 (100%)" in page
    assert admin_client.get(f"/admin/forum/searchreindexjob/{job.pk}/change/").status_code == 200


def test_moderators_cannot_start_a_reindex(client, moderator):
    client.force_login(moderator)
    response = client.post("/admin/forum/searchreindexjob/add/", {"batch_size": "3"})
    assert response.status_code == 403
    assert not SearchReindexJob.objects.exists()


def test_search_reindex_background_queues_a_job(stale_index):
    out = StringIO()
    committed(call_command)("search_reindex", "--background", stdout=out)
    job = SearchReindexJob.objects.get()
    assert f"Re-index job {job.pk} queued for the workers (5 posts)" in out.getvalue()
    job.refresh_from_db()
    assert job.status == "finished"


def test_the_in_process_rebuild_agrees_with_the_writes(member, make_thread):
    thread = make_thread(member, title="Hill sprints", body="Short and steep.")
    services.post_reply(author=member, thread=thread, body="Walk back down to recover.")
    written = sorted(PostSearch.objects.values_list("pk", "thread_id", "category_id", "created"))
    assert search.rebuild(batch_size=1) == 2
    assert sorted(PostSearch.objects.values_list("pk", "thread_id", "category_id", "created")) == (
        written
    )
