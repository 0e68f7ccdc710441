from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from forum.models import Thread

pytestmark = pytest.mark.django_db


def test_recount_finds_nothing_after_normal_activity(thread, member, other_member, moderator):
    from forum import services

    reply = services.post_reply(author=other_member, thread=thread, body="hello")
    services.post_hide(actor=moderator, post=reply)
    out = StringIO()
    call_command("recount", stdout=out)
    assert "0 thread and 0 member counters wrong" in out.getvalue()


def test_recount_reports_and_fixes_a_broken_counter(thread, member):
    Thread.objects.filter(pk=thread.pk).update(post_count=7)
    type(member).objects.filter(pk=member.pk).update(post_count=0)
    with pytest.raises(SystemExit):
        call_command("recount", stdout=StringIO())
    out = StringIO()
    call_command("recount", "--fix", stdout=out)
    assert "1 thread and 1 member counters wrong (fixed)" in out.getvalue()
    thread.refresh_from_db()
    member.refresh_from_db()
    assert (thread.post_count, member.post_count) == (1, 1)
    out = StringIO()
    call_command("recount", stdout=out)
    assert "0 thread and 0 member counters wrong" in out.getvalue()


def test_category_thread_counts_follow_new_threads_and_moves(member, moderator, make_thread):
    from forum import services
    from forum.models import Category
    from tests.factories import CategoryFactory

    first = make_thread(member, title="One")
    make_thread(member, title="Two")
    other = CategoryFactory()
    services.thread_move(actor=moderator, thread=first, category=other)
    services.thread_move(actor=moderator, thread=first, category=other)  # no move: no change
    counts = dict(Category.objects.values_list("pk", "thread_count"))
    assert counts == {first.category_id: 1, other.pk: 1}
    out = StringIO()
    call_command("recount", stdout=out)
    assert "category" not in out.getvalue()


def test_recount_reports_and_fixes_a_category_counter(thread):
    from forum.models import Category

    Category.objects.filter(pk=thread.category_id).update(thread_count=9)
    with pytest.raises(SystemExit):
        call_command("recount", stdout=StringIO())
    out = StringIO()
    call_command("recount", "--fix", stdout=out)
    assert "1 category counters wrong (fixed)" in out.getvalue()
    assert Category.objects.get(pk=thread.category_id).thread_count == 1


def test_the_index_counts_no_rows_to_show_thread_totals(client, member, make_thread):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_thread(member, title="Counted once")
    with CaptureQueriesContext(connection) as ctx:
        html = client.get("/").content.decode()
    assert "1 thread" in html
    assert not [q for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
