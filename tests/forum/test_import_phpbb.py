from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from forum import quotes, selectors
from forum.importers import ImportFormatError, parse_printable
from forum.models import Category, Notification, Post, Quote, Thread
from moderation.models import Review

pytestmark = pytest.mark.django_db

SEED = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "seeds"
    / ("phpbb-thread-back-spasm.txt")
)

SAMPLE = """Page 1 of 1

Knee pain on stairs

Posted: Mon Mar 07, 2011 9:05 am
by alpha
My knee hurts going down stairs.
Only on the way down.

Posted: Mon Mar 07, 2011 10:15 pm
by beta_2
Try step-downs. Slowly.

Posted: Tue Mar 08, 2011 12:01 am
by gamma
alpha wrote:My knee hurts going down stairs.
Only on the way down.
Same here, for what it's worth.
beta_2 wrote:Nobody said this.
"""


def _import(tmp_path, text=SAMPLE, name="t.txt", category="knees"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    call_command("import_phpbb", str(path), "--category", category, stdout=StringIO())
    return path


def test_parser_reads_title_posts_authors_and_times():
    parsed = parse_printable(SAMPLE)
    assert parsed.title == "Knee pain on stairs"
    assert [p.author for p in parsed.posts] == ["alpha", "beta_2", "gamma"]
    assert parsed.posts[1].created == datetime(2011, 3, 7, 22, 15, tzinfo=UTC)
    assert parsed.posts[2].created == datetime(2011, 3, 8, 0, 1, tzinfo=UTC)
    assert parsed.posts[0].body == "My knee hurts going down stairs.\nOnly on the way down."


def test_import_rebuilds_flattened_quotes_and_keeps_history(tmp_path):
    _import(tmp_path)
    thread = Thread.objects.get(title="Knee pain on stairs")
    assert thread.category.slug == "knees"
    posts = list(thread.posts.order_by("number"))
    assert [p.author.username for p in posts] == ["alpha", "beta_2", "gamma"]
    assert posts[0].created == datetime(2011, 3, 7, 9, 5, tzinfo=UTC)
    assert thread.created == posts[0].created
    assert thread.last_activity == posts[2].created
    quote = Quote.objects.get(post=posts[2])
    # Both flattened lines belong to alpha's post, so the quote spans them.
    assert (quote.source_id, quote.verified) == (posts[0].pk, True)
    assert quote.excerpt == "My knee hurts going down stairs.\nOnly on the way down."
    # "beta_2 wrote:" with text beta_2 never wrote stays as text, not a forged quote.
    assert "beta_2 wrote:Nobody said this." in posts[2].source
    post = selectors.post_queryset().get(pk=posts[2].pk)
    assert quotes.quote_states(post, User(username="anyone")) == [
        {"source_post": posts[0].pk, "author": "alpha", "state": "live"}
    ]
    # History is not news: nobody is notified; the detector screened every post.
    assert Notification.objects.count() == 0
    assert Review.objects.filter(post__thread=thread).count() == 3


def test_imported_authors_cannot_log_in(tmp_path, client):
    _import(tmp_path)
    user = User.objects.get(username="alpha")
    assert user.imported_from == "phpbb"
    assert not user.has_usable_password()
    assert not client.login(username="alpha", password="")


def test_importing_twice_changes_nothing(tmp_path):
    path = _import(tmp_path)
    counts = (Thread.objects.count(), Post.objects.count(), User.objects.count())
    call_command("import_phpbb", str(path), "--category", "knees", stdout=StringIO())
    assert (Thread.objects.count(), Post.objects.count(), User.objects.count()) == counts


def test_a_local_member_keeps_their_name(tmp_path, member):
    User.objects.filter(pk=member.pk).update(username="Alpha")
    _import(tmp_path)
    post = Post.objects.get(thread__title="Knee pain on stairs", number=1)
    assert post.author_id != member.pk
    assert post.author.imported_from == "phpbb"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("Hello\n", 1),
        ("Page 1 of 1\n\nTitle\n\nPosted: Mon Mar 07, 2011 9:05 am\nalpha\nbody\n", 6),
        ("Page 1 of 1\n\nTitle\n\nPosted: Mon Mar 32, 2011 9:05 am\nby alpha\nbody\n", 5),
        ("Page 1 of 1\n\nTitle\n\nstray text\n", 5),
        ("Page 1 of 1\n\nTitle\n", 4),
    ],
)
def test_malformed_files_fail_with_the_line_and_write_nothing(tmp_path, text, line):
    with pytest.raises(ImportFormatError) as exc:
        parse_printable(text)
    assert exc.value.line == line
    good = tmp_path / "good.txt"
    good.write_text(SAMPLE, encoding="utf-8")
    bad = tmp_path / "bad.txt"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError, match=f"line {line}"):
        call_command("import_phpbb", str(good), str(bad), "--category", "knees")
    assert not Thread.objects.exists()
    assert not Category.objects.filter(slug="knees").exists()


@pytest.mark.skipif(not SEED.exists(), reason=f"shared seed thread not found at {SEED}")
def test_the_seed_thread_imports_with_its_authors_times_and_quotes():
    call_command("import_phpbb", str(SEED), "--category", "injuries", stdout=StringIO())
    thread = Thread.objects.get(title="Mid Back/ Lower lat Muscle spasm")
    posts = list(thread.posts.order_by("number").select_related("author"))
    assert [p.author.username for p in posts] == [
        "jessegxoxo",
        "Ironman",
        "Rik-Blades",
        "stuward",
        "KPj",
        "Jungledoc",
        "KPj",
        "Oscar_Actuary",
    ]
    assert posts[0].created == datetime(2011, 2, 8, 14, 25, tzinfo=UTC)
    assert posts[7].created == datetime(2011, 2, 10, 12, 5, tzinfo=UTC)
    sixth = list(Quote.objects.filter(post=posts[5]).order_by("position"))
    assert [(q.source_id, q.verified) for q in sixth] == [(posts[2].pk, True), (posts[3].pk, True)]
    assert "I smell a rat." in sixth[0].excerpt
    assert sixth[1].excerpt == "It sounds like my youngest daughter."
    assert thread.post_count == 8
    # Screened on import with the committed detector: the coach's question about her dancer
    # is flagged (urgent: "hard for her to breathe"), none of the seven answers is.
    flagged = Review.objects.filter(post__thread=thread, flagged=True)
    assert [(r.post_id, r.severity) for r in flagged] == [(posts[0].pk, "urgent")]


@pytest.mark.skipif(not SEED.exists(), reason=f"shared seed thread not found at {SEED}")
def test_seed_demo_imports_the_seed_thread_once():
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    imported = Thread.objects.filter(title="Mid Back/ Lower lat Muscle spasm")
    assert imported.count() == 1
    assert imported.get().category.slug == "injuries"
