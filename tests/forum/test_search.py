"""Full-text search: what is found, how it is ranked and shown, and that every write keeps the
index current in its own transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from forum import search, selectors, services
from forum.models import Post, PostSearch
from tests.factories import CategoryFactory

pg_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL query plans")


@pytest.fixture(autouse=True)
def _fresh_throttles():
    cache.clear()
    yield
    cache.clear()


def found(query: str, user=None, **filters) -> list[int]:
    from django.contrib.auth.models import AnonymousUser

    page = selectors.search_posts(
        user=user or AnonymousUser(), query=query, filters=search.Filters(**filters), limit=100
    )
    return [p.pk for p in page.posts]


def test_english_stemming_finds_other_forms_and_not_substrings(member, make_thread):
    thread = make_thread(member, title="Leg day", body="My squat is stuck.")
    congrats = services.post_reply(author=member, thread=thread, body="Congrats on the PR!")
    opening = thread.posts.get(number=1)
    assert found("squats") == [opening.pk]
    assert found("squatting") == [opening.pk]
    assert congrats.pk not in found("rat")
    assert found("congrats") == [congrats.pk]


def test_the_title_ranks_above_a_mention_in_the_text(member, make_thread):
    other = make_thread(member, title="Weekly log", body="Tried a deadlift variation today.")
    titled = make_thread(member, title="Deadlift lockout", body="Hips come through late.")
    # The mention in the text is newer, and still ranks below the title.
    Post.objects.filter(thread=titled).update(created=timezone.now() - timedelta(days=30))
    search.rebuild()
    assert found("deadlift") == [titled.posts.get(number=1).pk, other.posts.get(number=1).pk]


@pg_only  # ts_rank counts the words; SQLite's bm25 favours the short post, and in a forum of
# three posts, where the word is in most of them, gives it no weight at all
def test_a_post_about_the_words_ranks_above_a_newer_passing_mention(member, make_thread):
    thread = make_thread(member, title="Weekly log", body="Rest day.")
    about = services.post_reply(
        author=member,
        thread=thread,
        body="Kettlebell swings: hinge, snap the hips. Kettlebell weight: start light. "
        "A kettlebell swing is not a squat.",
    )
    passing = services.post_reply(author=member, thread=thread, body="Did a kettlebell class.")
    Post.objects.filter(pk=about.pk).update(created=timezone.now() - timedelta(days=10))
    search.rebuild()
    assert found("kettlebell") == [about.pk, passing.pk]


def test_quoted_text_is_not_indexed_for_the_post_that_quotes_it(member, other_member, thread):
    source = services.post_reply(author=other_member, thread=thread, body="zebra crossing drills")
    quoting = services.post_reply(
        author=member,
        thread=thread,
        body=f'[quote="{other_member.username}" post={source.pk}]zebra crossing drills[/quote]'
        "\n\nI do these on Mondays.",
    )
    assert found("zebra") == [source.pk]
    assert found("mondays") == [quoting.pk]


def test_own_text_keeps_markdown_blockquotes_and_drops_quote_blocks():
    html = (
        '<blockquote class="quote" data-quote="0"><p>theirs <blockquote><p>deep</p>'
        "</blockquote></p></blockquote><p>mine &amp; more</p><blockquote><p>also mine</p>"
        "</blockquote>"
    )
    assert search.own_text(html) == "mine & more also mine"


def test_every_write_keeps_the_index_current(member, other_member, moderator, make_thread):
    thread = make_thread(member, title="Kettlebell swings", body="Snatch test day.")
    opening = thread.posts.get(number=1)
    reply = services.post_reply(author=other_member, thread=thread, body="Rowing intervals")
    assert found("rowing") == [reply.pk]

    services.post_edit(editor=other_member, post=reply, body="Cycling intervals")
    assert found("rowing") == []
    assert found("cycling") == [reply.pk]

    services.post_hide(actor=moderator, post=reply)
    assert found("cycling") == []
    assert found("cycling", user=moderator) == []
    services.post_restore(actor=moderator, post=reply)
    assert found("cycling") == [reply.pk]

    services.post_delete(actor=other_member, post=reply)
    assert found("cycling") == []
    assert not PostSearch.objects.filter(post=reply).exists()

    services.thread_edit_title(actor=member, thread=thread, title="Turkish get-ups")
    assert found("kettlebell") == []
    assert found("turkish") == [opening.pk]

    elsewhere = CategoryFactory()
    services.thread_move(actor=moderator, thread=thread, category=elsewhere)
    assert found("snatch", category_id=elsewhere.pk) == [opening.pk]
    assert found("snatch", category_id=thread.category_id) == []


def test_web_search_syntax_phrases_exclusion_and_or(member, make_thread):
    thread = make_thread(member, title="Programs", body="Front squat and back squat.")
    a = thread.posts.get(number=1)
    b = services.post_reply(author=member, thread=thread, body="Squat front loaded, then bench.")
    c = services.post_reply(author=member, thread=thread, body="Overhead press only.")
    assert set(found("squat")) == {a.pk, b.pk}
    assert found('"front squat"') == [a.pk]
    assert found("squat -bench") == [a.pk]
    assert set(found("bench or press")) == {b.pk, c.pk}
    assert found("the and of") == []


def test_filters_by_category_author_thread_and_dates(member, other_member, make_thread):
    other_category = CategoryFactory()
    one = make_thread(member, title="Grip", body="Farmer carry for grip.")
    two = make_thread(
        other_member, title="Carry", body="Farmer carry with trap bar.", in_category=other_category
    )
    old = services.post_reply(author=member, thread=two, body="Farmer carry years ago.")
    Post.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=400))
    search.rebuild()
    first_one, first_two = one.posts.get(number=1).pk, two.posts.get(number=1).pk
    assert set(found("farmer")) == {first_one, first_two, old.pk}
    assert found("farmer", category_id=other_category.pk, author_id=other_member.pk) == [first_two]
    assert set(found("farmer", thread_id=two.pk)) == {first_two, old.pk}
    recent = timezone.now() - timedelta(days=30)
    assert set(found("farmer", since=recent)) == {first_one, first_two}
    assert found("farmer", until=recent) == [old.pk]


def test_cursor_pages_cover_every_match_once(member, make_thread):
    thread = make_thread(member, title="Log", body="Opening words.")
    made = {
        services.post_reply(author=member, thread=thread, body=f"Mobility drill number {i}").pk
        for i in range(25)
    }
    seen: list[int] = []
    cursor = None
    from django.contrib.auth.models import AnonymousUser

    for _ in range(5):
        page = selectors.search_posts(
            user=AnonymousUser(), query="mobility", cursor=cursor, limit=10
        )
        seen += [p.pk for p in page.posts]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert len(seen) == 25
    assert set(seen) == made
    with pytest.raises(ValidationError):
        selectors.search_posts(user=AnonymousUser(), query="mobility", cursor="bm90IGpzb24")


def test_snippets_are_escaped_with_only_marks_added(member, make_thread):
    make_thread(
        member,
        title="<b>Bold</b> plan",
        body="`<script>alert(1)</script>` then <img src=x onerror=alert(1)> plan",
    )
    from django.contrib.auth.models import AnonymousUser

    (post,) = selectors.search_posts(user=AnonymousUser(), query="plan").posts
    for html in (str(post.title_html), str(post.snippet)):
        without_marks = html.replace("<mark>", "").replace("</mark>", "")
        assert "<" not in without_marks
        assert "<mark>plan</mark>" in html.lower()
    assert "&lt;b&gt;" in str(post.title_html)


def test_search_reindex_rebuilds_the_index(member, moderator, thread):
    hidden = services.post_reply(author=member, thread=thread, body="Pistol squat progressions")
    services.post_hide(actor=moderator, post=hidden)
    kept = services.post_reply(author=member, thread=thread, body="Pistol squat on a box")
    PostSearch.objects.all().delete()
    assert found("pistol") == []
    call_command("search_reindex", verbosity=0)
    assert found("pistol") == [kept.pk]


@pg_only
def test_a_reindex_rewrites_only_the_rows_that_change(member, thread):
    """A row that would not change is left as it is: rewriting every row left as many dead
    rows as live ones, which a common word's walk of the date index reads through."""
    same = services.post_reply(author=member, thread=thread, body="Pistol squat on a box")
    edited = services.post_reply(author=member, thread=thread, body="Box jumps")

    def versions() -> dict[int, str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT post_id, xmin::text FROM forum_postsearch")
            return dict(cursor.fetchall())

    before = versions()
    Post.objects.filter(pk=edited.pk).update(html="<p>Box jumps and pistol squats</p>")
    call_command("search_reindex", verbosity=0)
    after = versions()
    assert after[same.pk] == before[same.pk]
    assert after[edited.pk] != before[edited.pk]
    assert set(found("pistol")) == {edited.pk, same.pk}


def test_a_search_past_the_statement_timeout_is_a_field_error(
    member, thread, settings, monkeypatch
):
    if connection.vendor != "postgresql":
        pytest.skip("statement timeouts are PostgreSQL's")
    settings.STOA = {**settings.STOA, "SEARCH_TIMEOUT_MS": 50}

    def slow(query, filters, after, limit):
        return "SELECT 1, 1.0, 1 FROM pg_sleep(1)", {"window": 1000}

    monkeypatch.setattr(search, "_pg_plan", slow)
    with pytest.raises(ValidationError) as error:
        found("anything")
    assert "too long" in str(error.value.message_dict["q"])


@pg_only
def test_common_and_rare_words_get_the_plan_that_suits_them(member, category, settings):
    """One statement ranks the newest matches; the planner finds them the way their number
    suits. A rare word: all its matches from the GIN index. A word of some hundreds: from the
    GIN index too, sorted by date, the newest ranked (walking the dates would pass thousands of
    posts for them). A common word: by walking the date index, never reading all its matches.
    Each way ranks the same posts: the newest of the window."""
    settings.STOA = {**settings.STOA, "SEARCH_RANK_WINDOW": 100}
    thread = services.thread_create(author=member, category=category, title="Log", body="Start")
    now = timezone.now()

    def words(i: int) -> str:
        rare = "quokka" if i % 1000 == 0 else "filler"
        some = "wombat" if i % 20 == 0 else "other"
        return f"common training words {rare} {some} {i}"

    Post.objects.bulk_create(
        Post(
            thread=thread,
            number=i + 2,
            author=member,
            source="",
            html=f"<p>{words(i)}</p>",
            created=now - timedelta(minutes=i),
        )
        for i in range(5000)
    )
    search.rebuild()  # ends with ANALYZE: the statistics know the common words
    with connection.cursor() as cursor:
        # rebuild merged the GIN pending list: nothing is left for every search to scan.
        cursor.execute("SELECT gin_clean_pending_list('forum_search_document_idx')")
        assert cursor.fetchone()[0] == 0

    for word in ("quokka", "wombat"):
        plan = search.pg_explain(query=word)
        assert "forum_search_document_idx" in plan and "forum_search_created_idx" not in plan
    plan = search.pg_explain(query="training")
    assert "forum_search_created_idx" in plan and "forum_search_document_idx" not in plan
    assert "Limit" in plan

    assert len(found("quokka")) == 5
    newest = {p.created for p in Post.objects.filter(number__gt=1).order_by("-created")[:100]}
    newest_wombats = {
        p.created for p in Post.objects.filter(html__contains="wombat").order_by("-created")[:100]
    }
    for word, expected in (("training", newest), ("wombat", newest_wombats)):
        ranked = Post.objects.filter(pk__in=found(word))
        assert {p.created for p in ranked} == expected, word


@pg_only
def test_a_search_is_one_statement_and_says_when_older_matches_are_left_out(
    member, category, settings
):
    settings.STOA = {**settings.STOA, "SEARCH_RANK_WINDOW": 100}
    thread = services.thread_create(author=member, category=category, title="Log", body="Start")
    Post.objects.bulk_create(
        Post(thread=thread, number=i + 2, author=member, source="", html=f"<p>plank {i}</p>")
        for i in range(300)
    )
    search.rebuild()

    def run(query: str):
        with CaptureQueriesContext(connection) as ctx:
            result = search.search(query=query, filters=search.Filters())
        statements = [q["sql"] for q in ctx.captured_queries if "forum_postsearch" in q["sql"]]
        # The query is parsed by the statement that sets the search's timeout, and only there.
        parses = [q["sql"] for q in ctx.captured_queries if "websearch_to_tsquery" in q["sql"]]
        assert len(parses) == 1 and "statement_timeout" in parses[0]
        return result, statements

    result, statements = run("plank")
    assert len(statements) == 1  # no estimate, no count: the page's own statement
    assert result.windowed
    result, statements = run("start")
    assert len(statements) == 1 and not result.windowed


# --- pages and API ------------------------------------------------------------------------------


def test_search_page_shows_highlighted_results_and_a_next_link(client, member, make_thread):
    thread = make_thread(member, title="Tempo runs", body="Tempo pace notes.")
    for i in range(22):
        services.post_reply(author=member, thread=thread, body=f"Tempo session {i}")
    response = client.get(reverse("forum:search"), {"q": "tempo"})
    assert response.status_code == 200
    assert b"<mark>Tempo</mark>" in response.content
    assert b'rel="next"' in response.content
    nxt = response.context["next_url"]
    second = client.get(reverse("forum:search") + nxt)
    assert second.status_code == 200
    assert len(second.context["page"].posts) == 3


def test_a_search_result_links_the_post_and_escapes_everything_but_the_marks(
    client, member, make_thread
):
    member.display_name = '<img src=x onerror="alert(1)">Ann'
    member.save()
    thread = make_thread(member, title="<b>Tempo</b> & pace", body="First post.")
    post = services.post_reply(author=member, thread=thread, body="Tempo runs <script>x</script>")
    Post.objects.filter(pk=post.pk).update(created=timezone.now().replace(2025, 3, 7, 12))
    search.post_changed(post=Post.objects.get(pk=post.pk))
    page = client.get(reverse("forum:search"), {"q": "tempo runs"}).content.decode()
    result = page[page.index('<article class="result">') :].split("</article>")[0]
    assert f'<a href="{post.get_absolute_url()}">' in result
    assert "&lt;b&gt;<mark>Tempo</mark>&lt;/b&gt; &amp; pace #2</a>" in result
    assert "by &lt;img src=x onerror=&quot;alert(1)&quot;&gt;Ann, 7 Mar 2025</span>" in result
    assert "<mark>Tempo</mark> <mark>runs</mark>" in result
    assert "<script>" not in page and "<img" not in page


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"q": "squat\x00"}, "q"),
        ({"q": "  "}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"q": "squat", "category": "no-such"}, "category"),
        ({"q": "squat", "author": "nobody-here"}, "author"),
        ({"q": "squat", "thread": "abc"}, "thread"),
        ({"q": "squat", "since": "2026-13-01"}, "since"),
        ({"q": "squat", "since": "2026-02-01", "until": "2026-01-01"}, "until"),
        ({"q": "squat", "cursor": "garbage!"}, "cursor"),
    ],
)
def test_bad_search_input_is_a_400_with_field_messages(client, db, params, field):
    from rest_framework.test import APIClient

    api = APIClient().get("/api/v1/search/", params)
    assert api.status_code == 400
    assert field in api.json()["error"]["fields"]
    page = client.get(reverse("forum:search"), params)
    assert page.status_code == 400
    if "\x00" in params.get("q", ""):
        # Refused before any view by the shared NUL check (core.middleware).
        assert b"Null characters are not allowed." in page.content
    else:
        assert field in page.context["form"].errors


def test_anonymous_search_is_throttled_on_the_page_and_the_api(client, db, settings):
    from rest_framework.test import APIClient

    from core import throttles

    throttles.SearchAnonThrottle.THROTTLE_RATES = {
        **throttles.SearchAnonThrottle.THROTTLE_RATES,
        "search_anon": "3/min",
    }
    try:
        api = APIClient()
        codes = [api.get("/api/v1/search/", {"q": "squat"}).status_code for _ in range(2)]
        codes += [client.get(reverse("forum:search"), {"q": "squat"}).status_code for _ in range(2)]
        assert codes == [200, 200, 200, 429]
        refused = api.get("/api/v1/search/", {"q": "squat"})
        assert refused.status_code == 429
        assert int(refused["Retry-After"]) > 0
    finally:
        throttles.SearchAnonThrottle.THROTTLE_RATES = {
            **throttles.SearchAnonThrottle.THROTTLE_RATES,
            "search_anon": settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["search_anon"],
        }


def test_api_search_pages_with_filters_and_snippets(member, other_member, make_thread):
    from rest_framework.test import APIClient

    thread = make_thread(member, title="Hill sprints", body="Hill sprints build power.")
    for i in range(5):
        services.post_reply(author=other_member, thread=thread, body=f"Hill repeat {i}")
    api = APIClient()
    first = api.get(
        "/api/v1/search/", {"q": "hill", "author": other_member.username, "page_size": 3}
    ).json()
    assert len(first["results"]) == 3
    assert all(r["author"]["username"] == other_member.username for r in first["results"])
    assert "<mark>Hill</mark>" in first["results"][0]["snippet"]
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 2
    assert second["next"] is None
    ids = [r["id"] for r in first["results"] + second["results"]]
    assert len(set(ids)) == 5


@pytest.mark.parametrize("size", [5, 20])
def test_search_query_count_does_not_grow_with_the_page(
    size, member, make_thread, django_assert_num_queries
):
    from rest_framework.test import APIClient

    thread = make_thread(member, title="Query count", body="Plank holds daily.")
    for i in range(size + 2):
        services.post_reply(author=member, thread=thread, body=f"Plank variation {i}")
    api = APIClient()
    # PostgreSQL: a savepoint (a transaction outside tests) for the settings and the page,
    # rolled back and released; then posts, notices, quotes, and the headlines. SQLite: the
    # FTS5 check and one page query, and the headlines are made in Python.
    expected = {"postgresql": 9, "sqlite": 8}[connection.vendor]
    with django_assert_num_queries(expected):
        response = api.get("/api/v1/search/", {"q": "plank", "page_size": size})
    assert len(response.json()["results"]) == size


def test_fts_expression_quotes_every_term():
    assert search._fts_expression('squat "front rack" -bench or press') == (
        '(("squat" "front rack") OR ("press")) NOT "bench"'
    )
    assert search._fts_expression('-only "') is None
    # An unclosed quote runs to the end, as in websearch_to_tsquery; FTS5 operators are words.
    assert search._fts_expression('NEAR(a b) AND "x') == '("NEAR a" "b" "AND" "x")'


def test_cursors_from_clients_are_checked():
    assert search.decode_cursor(search.encode_cursor(12.5, 7)) == (12.5, 7)
    for bad in ["", "x" * 200, "bnVsbA", search.encode_cursor(float("nan"), 1)[:-1] + "A"]:
        with pytest.raises(ValidationError):
            search.decode_cursor(bad)


# --- results kept under the content version ---------------------------------------------------


@pytest.fixture
def kept(settings):
    settings.STOA = {**settings.STOA, "PAGE_CACHE_SECONDS": 300}


def searches(fn) -> int:
    """How many search statements `fn()` runs."""
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return sum("tsquery" in q["sql"] or "MATCH" in q["sql"] for q in ctx.captured_queries)


def test_a_repeated_anonymous_search_comes_from_the_page_cache_until_the_content_changes(
    kept, client, member, moderator, make_thread
):
    thread = make_thread(member, title="Rowing", body="Zucchini before rowing.")
    url = reverse("forum:search") + "?q=zucchini"
    first, second = client.get(url), client.get(url)
    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert second.content == first.content
    reply = services.post_reply(author=member, thread=thread, body="More zucchini, less bread")
    fresh = client.get(url)
    assert fresh["X-Page-Cache"] == "miss" and b"less bread" in fresh.content
    services.post_hide(actor=moderator, post=reply)
    assert b"less bread" not in client.get(url).content


def test_readers_share_the_found_posts_and_get_their_own_page(
    kept, member, other_member, moderator, make_thread
):
    from django.test import Client

    from tests.api.conftest import bearer

    thread = make_thread(member, title="Hill sprints", body="Hill sprints & <b>drills</b>")
    reply = services.post_reply(author=other_member, thread=thread, body="Hill repeats")
    url = reverse("forum:search") + "?q=hill"
    one, two = Client(), Client()
    one.force_login(member)
    two.force_login(other_member)
    assert searches(lambda: one.get(url)) > 0
    # Another member's first view of the same search: their page, from the kept list.
    page = {}
    assert searches(lambda: page.update(r=two.get(url))) == 0
    html = page["r"].content.decode()
    assert f">{other_member.name}<" in html and f">{member.name}<" not in html.split("</header>")[0]
    assert html.count('class="result"') == 2 and "<mark>Hill</mark>" in html
    assert "sprints &amp;" in html and "<b>" not in html  # kept snippets are escaped text
    # The API's readers share it too, and get its full payloads.
    api = {}
    assert searches(lambda: api.update(r=bearer(member).get("/api/v1/search/?q=hill"))) == 0
    assert {r["id"] for r in api["r"].json()["results"]} == {reply.pk, thread.posts.first().pk}
    # A hidden post leaves every reader's results, moderators' too.
    services.post_hide(actor=moderator, post=reply)
    mod = Client()
    mod.force_login(moderator)
    for reader in (one, two, mod):
        assert reader.get(url).content.decode().count('class="result"') == 1


def test_with_results_not_kept_every_search_runs_its_statement(kept, settings, member, make_thread):
    from django.test import Client

    settings.STOA = {**settings.STOA, "SEARCH_KEEP_RESULTS": False}
    make_thread(member, title="Hill sprints", body="Hill sprints")
    reader = Client()
    reader.force_login(member)
    url = reverse("forum:search") + "?q=hill"
    first = searches(lambda: reader.get(url))  # the search and its headlines
    assert first > 0 and searches(lambda: reader.get(url)) == first


def test_a_members_repeat_search_is_their_stored_page(kept, member, make_thread):
    from django.test import Client

    make_thread(member, title="Tempo", body="Tempo squats")
    reader = Client()
    reader.force_login(member)
    url = reverse("forum:search") + "?q=tempo"
    reader.get(url)  # sets the CSRF cookie of the page's forms: not kept
    reader.get(url)
    again = reader.get(url)
    assert again["X-Page-Cache"] == "hit" and b"<mark>Tempo</mark>" in again.content


def test_rebuilding_the_index_moves_the_content_version(kept, thread):
    from forum import pagecache

    before = pagecache.version()
    search.rebuild()
    assert pagecache.version() > before


@pg_only
@pytest.mark.django_db
def test_the_pending_list_of_new_entries_stays_short():
    """The GIN index queues new entries in a list every search reads in full: it is merged
    every 128 kB (migration 0013), not every 4 MB, so no search reads hundreds of its pages and
    no reply pays a merge of them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE relname = 'forum_search_document_idx'"
        )
        assert cursor.fetchone()[0] == ["gin_pending_list_limit=128"]


@pg_only
@pytest.mark.django_db(transaction=True)
def test_the_reindex_command_vacuums_the_index_outside_a_transaction(member, thread):
    post = services.post_reply(author=member, thread=thread, body="Pistol squat on a box")
    with CaptureQueriesContext(connection) as ran:
        call_command("search_reindex", verbosity=0)
    assert any(
        q["sql"].startswith("VACUUM (ANALYZE) forum_postsearch") for q in ran.captured_queries
    )
    assert found("pistol") == [post.pk]
