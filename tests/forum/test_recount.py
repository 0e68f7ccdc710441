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
