"""A forum at scale for demos and benchmarks (`seed_demo --threads N --posts M`).

Rows are generated in Python and written in bulk (COPY on PostgreSQL, bulk inserts elsewhere),
bypassing the services, which take ~5 ms a post. What the services would store is stored all
the same: HTML exactly as `render_markdown` renders the generated Markdown (a test holds this),
quotes as rows, counters, read-ready search rows. Screening by the detector runs afterwards in
batches (`rescan_posts`), unless the caller skips it and says so.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from html import escape

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from forum import pagecache, search
from forum.models import Category, Post, PostSearch, Quote, Thread

WORDS = [
    "squat",
    "deadlift",
    "bench",
    "press",
    "row",
    "pull-up",
    "chin-up",
    "lunge",
    "plank",
    "carry",
    "sled",
    "sprint",
    "tempo",
    "interval",
    "hill",
    "marathon",
    "5k",
    "10k",
    "pace",
    "cadence",
    "stride",
    "warm-up",
    "cooldown",
    "mobility",
    "stretch",
    "foam",
    "roller",
    "protein",
    "carbs",
    "creatine",
    "coffee",
    "breakfast",
    "oats",
    "rice",
    "chicken",
    "calories",
    "deficit",
    "bulk",
    "cut",
    "sleep",
    "recovery",
    "deload",
    "program",
    "block",
    "volume",
    "intensity",
    "reps",
    "sets",
    "rpe",
    "1rm",
    "pr",
    "form",
    "technique",
    "brace",
    "hips",
    "knees",
    "ankles",
    "shoulders",
    "grip",
    "belt",
    "shoes",
    "straps",
    "chalk",
    "barbell",
    "dumbbell",
    "kettlebell",
    "cable",
    "machine",
    "rack",
    "platform",
    "gym",
    "garage",
    "coach",
    "club",
    "race",
    "training",
    "week",
    "month",
    "session",
    "today",
    "morning",
    "evening",
    "felt",
    "strong",
    "tired",
    "heavy",
    "light",
    "easy",
    "hard",
    "smooth",
    "ugly",
    "great",
    "progress",
    "plateau",
    "stall",
]
GLUE = [
    "the",
    "a",
    "my",
    "your",
    "this",
    "that",
    "and",
    "but",
    "so",
    "then",
    "with",
    "for",
    "after",
    "before",
    "on",
    "in",
    "at",
    "to",
    "of",
]
MEDICAL = [
    "I've had a sharp pain in my {part} for {days} days, worse after {lift}. What could it be?",
    "My {part} swells after every {lift} session. Should I see a doctor or is this normal?",
    "Numbness in my {part} since last week's {lift}. Is this a nerve thing, what should I take?",
    "Is it safe to keep training with a clicking {part} that hurts at night?",
]
PARTS = [
    "knee",
    "shoulder",
    "lower",
    "back",
    "elbow",
    "wrist",
    "hip",
    "ankle",
    "neck",
    "hamstring",
    "calf",
]


@dataclass
class Shape:
    threads: int
    posts: int
    members: int = 50
    big_thread: int = 2000  # one long thread, for the last page of a long thread
    seed: int = 1


def _sentence(rng: random.Random) -> str:
    n = rng.randint(5, 18)
    words = [rng.choice(WORDS) if rng.random() < 0.6 else rng.choice(GLUE) for _ in range(n)]
    return " ".join(words).capitalize() + rng.choice([".", ".", ".", "!", "?"])


def _paragraphs(rng: random.Random) -> list[str]:
    count = min(1 + int(rng.paretovariate(2.0)) - 1, 6) or 1
    return [" ".join(_sentence(rng) for _ in range(rng.randint(1, 4))) for _ in range(count)]


def _medical(rng: random.Random) -> str:
    return rng.choice(MEDICAL).format(
        part=rng.choice(PARTS), days=rng.randint(2, 20), lift=rng.choice(WORDS[:10])
    )


def _html(paragraphs: list[str]) -> str:
    # What render_markdown gives for plain paragraphs of words and punctuation.
    return "".join(f"<p>{escape(p, quote=False)}</p>\n" for p in paragraphs)


def _counts(shape: Shape, rng: random.Random) -> list[int]:
    """Posts per thread: one long thread, the rest long-tailed, summing to shape.posts."""
    big = shape.big_thread if shape.posts >= shape.big_thread + shape.threads - 1 else 0
    rest_threads = shape.threads - (1 if big else 0)
    rest = shape.posts - big
    weights = [min(rng.paretovariate(1.6), 25.0) for _ in range(rest_threads)]
    scale = (rest - rest_threads) / sum(weights) if weights else 0
    counts = [1 + int(w * scale) for w in weights]
    diff = rest - sum(counts)
    i = 0
    while diff and counts:
        j = i % len(counts)
        if diff > 0:
            counts[j] += 1
            diff -= 1
        elif counts[j] > 1:
            counts[j] -= 1
            diff += 1
        i += 1
    return ([big] if big else []) + counts


def _reserve_ids(model, n: int) -> int:
    """The first of n consecutive primary keys no other insert will take."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'),"
                " nextval(pg_get_serial_sequence(%s, 'id')) + %s - 1) - %s + 1",
                [table, table, n, n],
            )
            return cursor.fetchone()[0]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}")  # noqa: S608
        return cursor.fetchone()[0]


def _columns(model) -> list:
    return [f for f in model._meta.concrete_fields]


def _write(model, rows: list[dict]) -> None:
    """Bulk insert of full rows (every concrete column; defaults for those not given)."""
    if not rows:
        return
    fields = _columns(model)
    defaults = {f.attname: f.get_default() for f in fields if f.attname not in rows[0]}
    if connection.vendor == "postgresql":
        cols = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(
                f"COPY {connection.ops.quote_name(model._meta.db_table)} ({cols}) FROM STDIN"
            ) as copy,
        ):
            # COPY takes JSON columns as their text (a dict has no COPY form of its own).
            as_json = {f.attname for f in fields if isinstance(f, models.JSONField)}
            for row in rows:
                values = [
                    row[f.attname] if f.attname in row else defaults[f.attname] for f in fields
                ]
                copy.write_row(
                    [
                        json.dumps(value) if f.attname in as_json else value
                        for f, value in zip(fields, values, strict=True)
                    ]
                )
        return
    model.objects.bulk_create([model(**{**defaults, **row}) for row in rows], batch_size=500)


def build(shape: Shape, *, progress: Callable[[int], None] | None = None) -> dict:
    """Write a forum of the given shape next to what exists; returns what was written."""
    rng = random.Random(shape.seed)
    now = timezone.now()
    start = now - timedelta(days=3 * 365)
    with transaction.atomic():
        categories = list(Category.objects.all()) or [
            Category.objects.create(name="General", slug="general")
        ]
        password = make_password("stoa-demo-password")
        prefix = f"seed{shape.seed}-"
        existing = set(
            User.objects.filter(username__startswith=prefix).values_list("username", flat=True)
        )
        User.objects.bulk_create(
            [
                User(
                    username=f"{prefix}{i:05d}",
                    email=f"{prefix}{i:05d}@example.com",
                    password=password,
                    date_joined=start,
                )
                for i in range(shape.members)
                if f"{prefix}{i:05d}" not in existing
            ],
            batch_size=1000,
        )
        members = list(User.objects.filter(username__startswith=prefix).order_by("pk"))
        profile_url = {
            u.pk: reverse("accounts:profile", kwargs={"username": u.username}) for u in members
        }

        counts = _counts(shape, rng)
        thread_id0 = _reserve_ids(Thread, len(counts))
        post_id0 = _reserve_ids(Post, shape.posts)
        quote_id0 = _reserve_ids(Quote, shape.posts // 10 + 1)
        post_count = {u.pk: 0 for u in members}
        category_threads: Counter[int] = Counter()
        next_post = post_id0
        next_quote = quote_id0
        search_rows: list[search.IndexRow] = []
        post_rows: list[dict] = []
        quote_rows: list[dict] = []
        written = {"threads": 0, "posts": 0, "quotes": 0, "medical": 0}

        def flush():
            _write(Post, post_rows)
            _write(Quote, quote_rows)
            if connection.vendor == "postgresql":
                _pg_search(search_rows)
            else:
                search.write_rows(search_rows)
            if progress is not None:
                progress(len(post_rows))
            post_rows.clear()
            quote_rows.clear()
            search_rows.clear()

        thread_rows: list[dict] = []
        for t, n in enumerate(counts):
            thread_pk = thread_id0 + t
            category = categories[t % len(categories)]
            author = rng.choice(members)
            if t == 0 and n >= shape.big_thread:
                title = "The big training log megathread"
            else:
                title = _sentence(rng).rstrip(".!?")[:120]
            created = start + timedelta(seconds=rng.randint(0, 2 * 365 * 86400))
            moment = created
            previous: tuple[int, User, str] | None = None
            for number in range(1, n + 1):
                writer = author if number == 1 else rng.choice(members)
                paragraphs = _paragraphs(rng)
                if rng.random() < 0.03:
                    paragraphs[0] = _medical(rng)
                    written["medical"] += 1
                source_parts = list(paragraphs)
                html = _html(paragraphs)
                if number > 1 and rng.random() < 0.05:
                    mentioned = rng.choice(members)
                    source_parts[-1] += f" @{mentioned.username}"
                    html = _html(paragraphs[:-1]) + (
                        f"<p>{escape(paragraphs[-1], quote=False)} "
                        f'<a class="mention" href="{escape(profile_url[mentioned.pk])}"'
                        ' rel="nofollow ugc noopener">'
                        f"@{escape(mentioned.username)}</a></p>\n"
                    )
                post_pk = next_post
                next_post += 1
                if previous is not None and rng.random() < 0.08:
                    quoted_pk, quoted_user, quoted_text = previous
                    excerpt = quoted_text.split(". ")[0][:200]
                    source_parts.insert(
                        0, f'[quote="{quoted_user.username}" post={quoted_pk}]{excerpt}[/quote]'
                    )
                    html = (
                        '<blockquote class="quote" data-quote="0">\n'
                        f"<p>{escape(excerpt, quote=False)}</p>\n</blockquote>\n" + html
                    )
                    quote_rows.append(
                        {
                            "id": next_quote,
                            "post_id": post_pk,
                            "source_id": quoted_pk,
                            "source_edit_count": 0,
                            "username": quoted_user.username,
                            "excerpt": excerpt,
                            "position": 0,
                            "verified": True,
                        }
                    )
                    next_quote += 1
                    written["quotes"] += 1
                moment = moment + timedelta(seconds=rng.randint(60, 12 * 3600))
                created_at = min(moment, now)
                post_rows.append(
                    {
                        "id": post_pk,
                        "thread_id": thread_pk,
                        "number": number,
                        "author_id": writer.pk,
                        "source": "\n\n".join(source_parts),
                        "html": html,
                        "created": created_at,
                        "state": Post.State.VISIBLE,
                        "edit_count": 0,
                    }
                )
                search_rows.append(
                    search.IndexRow(
                        post_id=post_pk,
                        thread_id=thread_pk,
                        category_id=category.pk,
                        author_id=writer.pk,
                        created=created_at,
                        title=title if number == 1 else "",
                        body=search.own_text(html),
                    )
                )
                post_count[writer.pk] += 1
                previous = (post_pk, writer, paragraphs[0])
            category_threads[category.pk] += 1
            thread_rows.append(
                {
                    "id": thread_pk,
                    "category_id": category.pk,
                    "title": title,
                    "slug": slugify(title)[:200] or "thread",
                    "author_id": author.pk,
                    "created": created,
                    "last_activity": min(moment, now),
                    "post_count": n,
                    "last_number": n,
                    "is_pinned": False,
                    "is_locked": False,
                }
            )
            if len(thread_rows) >= 2000:
                _write(Thread, thread_rows)
                thread_rows.clear()
            if len(post_rows) >= 20000:
                _write(Thread, thread_rows)
                thread_rows.clear()
                flush()
        _write(Thread, thread_rows)
        flush()
        for pk, n in post_count.items():
            if n:
                User.objects.filter(pk=pk).update(post_count=n)
        for category_id, n in category_threads.items():
            Category.objects.filter(pk=category_id).update(thread_count=F("thread_count") + n)
        written["threads"] = len(counts)
        written["posts"] = shape.posts
    search.after_bulk_write()
    pagecache.content_changed()  # rows written by COPY send no signals
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return written


def _pg_search(rows: list[search.IndexRow]) -> None:
    """Search rows for a batch: the text by COPY, the tsvector computed in the database."""
    if not rows:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS seed_search (post_id bigint, thread_id bigint,"
            " category_id bigint, author_id bigint, created timestamptz, title text, body text)"
            " ON COMMIT DROP"
        )
        with cursor.cursor.copy("COPY seed_search FROM STDIN") as copy:
            for r in rows:
                copy.write_row(
                    [r.post_id, r.thread_id, r.category_id, r.author_id, r.created, r.title, r.body]
                )
        cursor.execute(
            f"""INSERT INTO {PostSearch._meta.db_table}
                (post_id, thread_id, category_id, author_id, created, document)
            SELECT post_id, thread_id, category_id, author_id, created,
                   setweight(to_tsvector('{search.CONFIG}', title), 'A')
                   || setweight(to_tsvector('{search.CONFIG}', body), 'D')
            FROM seed_search"""  # noqa: S608 (constants only)
        )
        cursor.execute("TRUNCATE seed_search")


def generated_samples(count: int = 50, seed: int = 7) -> Iterator[tuple[str, str]]:
    """(source, html) pairs as `build` makes them, without mentions or quotes (for tests)."""
    rng = random.Random(seed)
    for _ in range(count):
        paragraphs = _paragraphs(rng)
        if rng.random() < 0.3:
            paragraphs[0] = _medical(rng)
        yield "\n\n".join(paragraphs), _html(paragraphs)
