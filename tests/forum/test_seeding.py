"""seed_demo at scale: a forum written in bulk that reads like one written through the services."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from forum import markup, search, seeding
from forum.models import Post, PostSearch, Quote, Thread


def test_generated_html_is_what_the_renderer_makes_of_the_source(db):
    for source, html in seeding.generated_samples(200):
        assert markup.render_markdown(source) == html


def test_seed_demo_at_scale_builds_the_shape_with_exact_counters(db, capsys):
    call_command("seed_demo", threads=30, posts=2400, skip_screening=True, verbosity=0)
    out = capsys.readouterr().out
    assert "Screening skipped (--skip-screening)" in out
    generated = Thread.objects.filter(posts__author__username__startswith="seed1-").distinct()
    assert generated.count() == 30
    assert Post.objects.filter(author__username__startswith="seed1-").count() == 2400
    big = Thread.objects.get(title="The big training log megathread")
    assert big.post_count == big.last_number == 2000 == big.posts.count()
    # Counters match the rows, as the services keep them.
    call_command("recount", verbosity=0)
    for thread in generated:
        assert thread.post_count == thread.posts.count()
    # Quotes are real, verified, and render like the services' (the quoted author and text).
    quote = Quote.objects.select_related("post", "source__author").first()
    assert quote is not None and quote.verified
    assert f'[quote="{quote.source.author.username}" post={quote.source_id}]' in quote.post.source
    assert markup.render_markdown(quote.post.source) == quote.post.html
    # Every post is searchable at once, quoted text left out.
    assert PostSearch.objects.count() == Post.objects.filter(state=Post.State.VISIBLE).count()
    assert search.own_text(quote.post.html) not in ("",)
    assert Post.objects.filter(source__contains="What could it be?").exists()


def test_mentions_render_like_the_services(db):
    call_command("seed_demo", threads=5, posts=400, skip_screening=True, verbosity=0, seed=3)
    mentioning = Post.objects.filter(html__contains='class="mention"')
    assert mentioning.exists()
    for post in mentioning[:20]:
        assert markup.render_markdown(post.source) == post.html


def test_seed_demo_needs_both_sizes(db):
    with pytest.raises(CommandError):
        call_command("seed_demo", threads=5, verbosity=0)
    with pytest.raises(CommandError):
        call_command("seed_demo", threads=10, posts=5, verbosity=0)
