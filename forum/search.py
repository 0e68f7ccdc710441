"""Full-text search of posts.

Index: one `PostSearch` row per visible post. The services call `post_changed` and
`thread_changed` inside every write that changes what a reader finds (post, edit, hide,
restore, delete, rename, move), so the index is exact at commit; `rebuild` re-creates it after a
bulk import or a change of configuration (`manage.py search_reindex`, in process or, with
`--background`, on the workers: forum.reindex).

What is indexed: the thread title (opening post only, weight A) above the post's own text
(weight D). Text the post quotes is left out: it is someone else's words, it would make every
reply that quotes a post match as well as the post itself, and a quote of a post hidden since
must not be findable through the quoting post.

Query (PostgreSQL): `websearch_to_tsquery` ("phrases", -exclusion, OR) with English stemming,
over a GIN-indexed, weighted `tsvector`. One statement ranks the newest SEARCH_RANK_WINDOW
matches (all of them for a rarer word), and the planner, from the column's statistics, finds
them the way their number suits:

- a word with few matches, up to some thousands: the GIN index finds all of them, they are
  sorted by date and the newest ranked;
- a common word: the date index is walked, newest first, each post tested, until the window
  is full, so that all its matches are never read. Older matches of a very common word are
  reached by narrowing: more words, a category, an author, a date range.

Either way the same posts are ranked, so cursors hold whichever way a page is found.
Score: log2(relevance) + age / half-life, so a post one half-life older needs twice the
relevance to rank level. It depends on the post only, never on the clock, so cursors are stable.

SQLite (the embedded default): an FTS5 table with the Porter stemmer when SQLite has FTS5, a
LIKE scan otherwise; the same query syntax, filters, ranking shape and cursors.
"""

from __future__ import annotations

import base64
import binascii
import html as html_lib
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from forum import pagecache
from forum.models import Post, Thread

CONFIG = "english"
HALF_LIFE_SECONDS = 365 * 86400
# Highlight markers: control characters that indexed text never contains (they are stripped
# when indexing), so the escaped headline can only get <mark> where the database put a marker.
_START, _STOP = "\x01", "\x02"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _setting(name: str, default):
    return settings.STOA.get(name, default)


def _window() -> int:
    return int(_setting("SEARCH_RANK_WINDOW", 1000))


def _vendor() -> str:
    return connection.vendor


# --- what is indexed ------------------------------------------------------------------------

_BLOCKQUOTE = re.compile(r"<blockquote\b([^>]*)>|</blockquote>")
_TAG = re.compile(r"<[^>]*>")
_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|pre|div|blockquote)>|<br\s*/?>|<hr\s*/?>")


def own_text(html: str) -> str:
    """The plain text of a post's stored HTML without the [quote] blocks it contains.

    Stored HTML is the sanitiser's well-formed output, and raw HTML in a post is escaped
    text, so every real tag here came from the renderer: a [quote] is a
    `<blockquote class="quote"...>`; plain Markdown `>` blockquotes are the author's own text.
    """
    out: list[str] = []
    cursor = 0
    depth = 0  # blockquote nesting
    cut_at: int | None = None  # depth at which the current [quote] opened
    for match in _BLOCKQUOTE.finditer(html):
        if match.group(0) == "</blockquote>":
            depth -= 1
            if cut_at is not None and depth == cut_at:
                cut_at = None
                cursor = match.end()
            continue
        if cut_at is None and 'class="quote' in (match.group(1) or ""):
            out.append(html[cursor : match.start()])
            cut_at = depth
        depth += 1
    if cut_at is None:
        out.append(html[cursor:])
    text = _BLOCK_END.sub("\n", "".join(out))
    text = html_lib.unescape(_TAG.sub("", text))
    return " ".join(_CONTROL.sub(" ", text).split())


def _clean(text: str) -> str:
    return " ".join(_CONTROL.sub(" ", text).split())


@dataclass(frozen=True)
class IndexRow:
    """One post's row of the search index, as write_rows takes it."""

    post_id: int
    thread_id: int
    category_id: int
    author_id: int
    created: datetime
    title: str
    body: str


def _row(post: Post, thread: Thread) -> IndexRow:
    return IndexRow(
        post_id=post.pk,
        thread_id=thread.pk,
        category_id=thread.category_id,
        author_id=post.author_id,
        created=post.created,
        title=_clean(thread.title) if post.number == 1 else "",
        body=own_text(post.html),
    )


_PG_UPSERT = f"""
INSERT INTO forum_postsearch (post_id, thread_id, category_id, author_id, created, document)
VALUES (%s, %s, %s, %s, %s,
        setweight(to_tsvector('{CONFIG}', %s), 'A') || setweight(to_tsvector('{CONFIG}', %s), 'D'))
ON CONFLICT (post_id) DO UPDATE SET
    thread_id = EXCLUDED.thread_id, category_id = EXCLUDED.category_id,
    author_id = EXCLUDED.author_id, created = EXCLUDED.created, document = EXCLUDED.document
WHERE (forum_postsearch.thread_id, forum_postsearch.category_id, forum_postsearch.author_id,
       forum_postsearch.created, forum_postsearch.document)
      IS DISTINCT FROM
      (EXCLUDED.thread_id, EXCLUDED.category_id, EXCLUDED.author_id, EXCLUDED.created,
       EXCLUDED.document)
"""
# The WHERE leaves a row that would not change alone: a re-index of a forum whose index is
# current rewrote every row, which left as many dead rows as live ones, and a common word's
# search, walking the date index, read nearly twice the pages until vacuum came (23,906 pages
# against 13,027 for "squat tempo" at 1M posts).

_SQLITE_UPSERT = """
INSERT INTO forum_postsearch (post_id, thread_id, category_id, author_id, created, document)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (post_id) DO UPDATE SET
    thread_id = excluded.thread_id, category_id = excluded.category_id,
    author_id = excluded.author_id, created = excluded.created, document = excluded.document
"""


def _sqlite_has_fts() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'forum_postsearch_fts'"
        )
        return cursor.fetchone() is not None


def write_rows(rows: list[IndexRow]) -> None:
    """Upsert these rows of the index (the services' and the bulk seeder's way in)."""
    if not rows:
        return
    with connection.cursor() as cursor:
        if _vendor() == "postgresql":
            cursor.executemany(
                _PG_UPSERT,
                [
                    (r.post_id, r.thread_id, r.category_id, r.author_id, r.created, r.title, r.body)
                    for r in rows
                ],
            )
            return
        cursor.executemany(
            _SQLITE_UPSERT,
            [
                (
                    r.post_id,
                    r.thread_id,
                    r.category_id,
                    r.author_id,
                    connection.ops.adapt_datetimefield_value(r.created),
                    f"{r.title}\n{r.body}",
                )
                for r in rows
            ],
        )
        if _sqlite_has_fts():
            cursor.executemany(
                "DELETE FROM forum_postsearch_fts WHERE rowid = %s", [(r.post_id,) for r in rows]
            )
            cursor.executemany(
                "INSERT INTO forum_postsearch_fts (rowid, title, body) VALUES (%s, %s, %s)",
                [(r.post_id, r.title, r.body) for r in rows],
            )


def _delete(post_ids: list[int]) -> None:
    if not post_ids:
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            "DELETE FROM forum_postsearch WHERE post_id = %s", [(pk,) for pk in post_ids]
        )
        if _vendor() != "postgresql" and _sqlite_has_fts():
            cursor.executemany(
                "DELETE FROM forum_postsearch_fts WHERE rowid = %s", [(pk,) for pk in post_ids]
            )


# --- the hooks the services call --------------------------------------------------------------


def post_changed(*, post: Post, thread: Thread | None = None) -> None:
    """Bring a post's search row in line with it: written if visible, removed otherwise.

    Call inside the write's transaction, after the post is saved, from every write that
    changes a post's text or state. `thread` saves a query when the caller holds it.
    """
    thread = thread or post.thread
    if post.state == Post.State.VISIBLE:
        write_rows([_row(post, thread)])
    else:
        _delete([post.pk])


def thread_changed(*, thread: Thread) -> None:
    """After a rename or a move: the opening post carries the title, every row the category."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE forum_postsearch SET category_id = %s WHERE thread_id = %s",
            [thread.category_id, thread.pk],
        )
    first = Post.objects.filter(thread=thread, number=1).first()
    if first is not None:
        post_changed(post=first, thread=thread)


_INDEXED_FIELDS = (
    "pk",
    "number",
    "html",
    "state",
    "created",
    "author_id",
    "thread__title",
    "thread__category_id",
)


def reindex_batch(*, after: int, batch_size: int) -> tuple[int, int | None, int]:
    """Bring the rows of the next `batch_size` posts after post id `after` in line with the
    posts: (posts read, the last post id read, rows written). Upserts and deletes only, so
    searches keep finding the current rows meanwhile, and running a batch twice is harmless.
    (Rows of posts deleted for good go with them, by the foreign key.)"""
    posts = list(
        Post.objects.filter(pk__gt=after)
        .select_related("thread")
        .only(*_INDEXED_FIELDS)
        .order_by("pk")[:batch_size]
    )
    if not posts:
        return 0, None, 0
    rows = [_row(p, p.thread) for p in posts if p.state == Post.State.VISIBLE]
    with transaction.atomic():
        write_rows(rows)
        _delete([p.pk for p in posts if p.state != Post.State.VISIBLE])
        # Raw rows send no signal: results kept under the content version are out of date.
        pagecache.content_changed()
    return len(posts), posts[-1].pk, len(rows)


def rebuild(*, batch_size: int = 2000, progress=None) -> int:
    """Bring every row in line with the posts (after a bulk import or a change of what is
    indexed), batch by batch. `progress(n)` is called after each batch with the number of
    posts read. Returns the number of rows written. Large forums run this on the workers
    instead (forum.reindex)."""
    written = last_pk = 0
    while True:
        read, last, rows = reindex_batch(after=last_pk, batch_size=batch_size)
        if not read:
            break
        assert last is not None  # a batch that read posts has a last one
        last_pk, written = last, written + rows
        if progress is not None:
            progress(read)
    after_bulk_write()
    return written


def after_bulk_write() -> None:
    """After many rows were written at once (rebuild, seeding): merge the GIN index's pending
    list and refresh the statistics.

    GIN queues fresh entries in a pending list that every search scans in full until vacuum
    merges it; after a bulk write that made a rare word's lookup cost 320 ms instead of 0.3 ms
    at 100,000 posts. The planner's estimates come from the statistics, which a bulk write
    makes wrong.
    """
    if _vendor() != "postgresql":
        if _sqlite_has_fts():
            # The FTS5 table has no foreign key: drop the entries of posts deleted for good.
            with connection.cursor() as cursor:
                cursor.execute(
                    "DELETE FROM forum_postsearch_fts WHERE rowid NOT IN "
                    "(SELECT post_id FROM forum_postsearch)"
                )
        return
    with connection.cursor() as cursor:
        if connection.in_atomic_block:
            cursor.execute("SELECT gin_clean_pending_list('forum_search_document_idx')")
            cursor.execute("ANALYZE forum_postsearch")
        else:
            # Outside a transaction (the command, the workers' last batch), VACUUM does both
            # and also clears the dead rows a re-index that changed rows leaves behind.
            cursor.execute("VACUUM (ANALYZE) forum_postsearch")


# --- queries ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    category_id: int | None = None
    author_id: int | None = None
    thread_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass
class Hit:
    post_id: int
    score: float
    snippet: SafeString = field(default_factory=lambda: mark_safe(""))
    title: SafeString | None = None


@dataclass
class Result:
    hits: list[Hit]
    next_cursor: str | None
    # True when a common query was ranked over its newest matches only (see the module doc).
    windowed: bool = False


def encode_cursor(score: float, post_id: int) -> str:
    raw = json.dumps([score, post_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str) -> tuple[float, int]:
    """A cursor from a client; anything else than one of ours is a ValidationError."""
    error = ValidationError({"cursor": ["This page link is not valid. Start the search again."]})
    if not value or len(value) > 100:
        raise error
    try:
        score, post_id = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except (ValueError, TypeError, binascii.Error):
        raise error from None
    if (
        not isinstance(score, int | float)
        or isinstance(score, bool)
        or not math.isfinite(score)
        or not isinstance(post_id, int)
        or isinstance(post_id, bool)
        or not 0 < post_id < 2**63
    ):
        raise error
    return float(score), post_id


def _highlight(text: str) -> SafeString:
    """Escape everything, then turn the database's markers (and only those) into <mark>."""
    safe = escape(text).replace(_START, "<mark>").replace(_STOP, "</mark>")
    if safe.count("<mark>") != safe.count("</mark>"):
        safe = safe.replace("<mark>", "").replace("</mark>", "")
    return mark_safe(safe)  # noqa: S308 (escaped above; only our own tags added)


def search(*, query: str, filters: Filters, cursor: str | None = None, limit: int = 20) -> Result:
    """One page of hits for `query`, best first. Raises ValidationError for a bad cursor or a
    search that ran past the statement timeout."""
    after = decode_cursor(cursor) if cursor else None
    try:
        with transaction.atomic():
            if _vendor() == "postgresql":
                result = _pg_search(query, filters, after, limit)
            else:
                result = _sqlite_search(query, filters, after, limit)
            # Read-only: rolling back undoes the planner and timeout settings made for this
            # search, also when the caller is inside a transaction of its own.
            transaction.set_rollback(True)
        return result
    except DatabaseError as exc:
        if _is_timeout(exc):
            raise ValidationError(
                {"q": ["This search took too long. Add a word or a filter to narrow it."]}
            ) from None
        raise


def _is_timeout(exc: DatabaseError) -> bool:
    cause = exc.__cause__
    return type(cause).__name__ == "QueryCanceled" or "statement timeout" in str(exc)


def _pg_filters(filters: Filters, params: dict) -> str:
    sql = []
    for name in ("category_id", "author_id", "thread_id"):
        value = getattr(filters, name)
        if value is not None:
            sql.append(f" AND s.{name} = %({name})s")
            params[name] = value
    if filters.since is not None:
        sql.append(" AND s.created >= %(since)s")
        params["since"] = filters.since
    if filters.until is not None:
        sql.append(" AND s.created < %(until)s")
        params["until"] = filters.until
    return "".join(sql)


# Relevance is ts_rank (how often the words occur, a title's above a post's own text), as in
# Django's SearchRank: ts_rank_cd's cover density took 17 times as long (1.7 ms over a
# thousand rows at 1M posts), the largest part of a common word's search. Words that must be
# near each other are asked for with a "phrase". extract() gives a numeric, whose division
# costs more than a float's.
_PG_SCORE = (
    "ln(greatest(ts_rank({doc}, q.query, 32), 1e-6)) / ln(2)"
    " + extract(epoch from {created})::float8 / %(half_life)s"
)
_PG_QUERY = f"websearch_to_tsquery('{CONFIG}', %(q)s)"
# The page's statement takes the query already parsed, as a tsquery constant: with a call of
# websearch_to_tsquery in it, planning took about 1 ms more (measured at 1M posts), because
# the planner cannot fold the call and estimates the match through it. The parse rides on the
# statement that sets the search's timeout, so it costs no round trip.
_PG_PARSE = f"websearch_to_tsquery('{CONFIG}', %s)::text"


def _pg_plan(tsquery: str, filters: Filters, after, limit: int) -> tuple[str, dict]:
    """The SQL of one page: the newest SEARCH_RANK_WINDOW matches, ranked, and how many of
    them there are (`found`, on every row). `tsquery` is the query as websearch_to_tsquery
    parsed it, in tsquery's text form. Separate from running it so that the plan can be shown
    with EXPLAIN."""
    params: dict = {"tsquery": tsquery, "half_life": HALF_LIFE_SECONDS, "window": _window()}
    where = _pg_filters(filters, params)
    page = ""
    if after is not None:
        page = " WHERE (r.score, r.post_id) < (%(after_score)s, %(after_id)s)"
        params["after_score"], params["after_id"] = after
    params["limit"] = limit + 1
    # One statement, and the planner picks the way to the newest matches from its estimate
    # of how many there are (the column's statistics know the common words): through the
    # GIN index and a sort when they are few, by walking the date index and testing each
    # post when they are many. Either way the same posts are ranked, so a cursor means the
    # same page whichever way its next page is found.
    score = _PG_SCORE.format(doc="n.document", created="n.created")
    sql = f"""
        SELECT r.post_id, r.score, r.found FROM (
            SELECT n.post_id, {score} AS score, count(*) OVER () AS found
            FROM (
                SELECT s.post_id, s.created, s.document
                FROM forum_postsearch s, CAST(%(tsquery)s AS tsquery) q(query)
                WHERE s.document @@ q.query{where}
                ORDER BY s.created DESC, s.post_id DESC
                LIMIT %(window)s
            ) n, CAST(%(tsquery)s AS tsquery) q(query)
        ) r{page}
        ORDER BY r.score DESC, r.post_id DESC LIMIT %(limit)s"""
    return sql, params


def _pg_search(query: str, filters: Filters, after, limit: int) -> Result:
    with connection.cursor() as cursor:
        # No sequential scans: a search goes through the GIN index or walks the date index.
        # The planner would pick a scan of the whole table for small tables or stale
        # statistics, which is the one plan that gets slower with every post.
        cursor.execute(
            "SELECT set_config('statement_timeout', %s, true),"
            f" set_config('enable_seqscan', 'off', true), {_PG_PARSE}",
            [str(int(_setting("SEARCH_TIMEOUT_MS", 2000))), query],
        )
        *_, tsquery = cursor.fetchone()
        sql, params = _pg_plan(tsquery, filters, after, limit)
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    hits = [Hit(post_id=pk, score=score) for pk, score, _ in rows[:limit]]
    nxt = encode_cursor(hits[-1].score, hits[-1].post_id) if len(rows) > limit else None
    windowed = bool(rows) and rows[0][2] >= params["window"]
    return Result(hits=hits, next_cursor=nxt, windowed=windowed)


def pg_explain(*, query: str, filters: Filters | None = None, limit: int = 20) -> str:
    """EXPLAIN of the page query that `search` would run."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT set_config('enable_seqscan', 'off', true), {_PG_PARSE}", [query]
            )
            *_, tsquery = cursor.fetchone()
            sql, params = _pg_plan(tsquery, filters or Filters(), None, limit)
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        transaction.set_rollback(True)
    return plan


_PG_SNIPPET = (
    f'StartSel="{_START}", StopSel="{_STOP}", MaxWords=35, MinWords=15, ShortWord=3, '
    'MaxFragments=2, FragmentDelimiter=" … "'
)
_PG_WHOLE = f'StartSel="{_START}", StopSel="{_STOP}", HighlightAll=true'


def headlines(*, query: str, items: list[tuple[str, str]]) -> list[tuple[SafeString, SafeString]]:
    """For each (title, text): the title with the query's words marked, and an excerpt of the
    text around them; escaped, with <mark> as the only markup. One query for a page."""
    if not items:
        return []
    if _vendor() == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT ts_headline('{CONFIG}', t.title, q.query, %(whole)s),
                           ts_headline('{CONFIG}', t.body, q.query, %(snippet)s)
                FROM unnest(%(titles)s::text[], %(bodies)s::text[]) WITH ORDINALITY
                     t(title, body, n),
                     {_PG_QUERY} q(query)
                ORDER BY t.n""",
                {
                    "q": query,
                    "titles": [_clean(title) for title, _ in items],
                    "bodies": [_clean(body) for _, body in items],
                    "whole": _PG_WHOLE,
                    "snippet": _PG_SNIPPET,
                },
            )
            return [(_highlight(a), _highlight(b)) for a, b in cursor.fetchall()]
    terms = [t for t, negative in _terms(query) if not negative]
    return [
        (
            _highlight(_py_headline(_clean(title), terms, whole=True)),
            _highlight(_py_headline(_clean(body), terms, whole=False)),
        )
        for title, body in items
    ]


# --- SQLite ------------------------------------------------------------------------------------

_TERM = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"\w+")


def _terms(query: str) -> list[tuple[str, bool]]:
    """websearch syntax: ("words", negative) with "or" kept as the word "or"."""
    out = []
    for match in _TERM.finditer(query):
        if match.group(3) is not None:
            raw = match.group(3)
            negative = raw.startswith("-") and len(raw) > 1
            words = _WORD.findall(raw[1:] if negative else raw)
        else:
            negative = bool(match.group(1))
            words = _WORD.findall(match.group(2))
        if words:
            out.append((" ".join(words), negative))
    return out


def _fts_expression(query: str) -> str | None:
    """The query in FTS5 syntax, every term quoted (user text never reaches FTS5 as syntax)."""
    groups: list[list[str]] = [[]]
    negatives: list[str] = []
    for text, negative in _terms(query):
        quoted = '"' + text.replace('"', "") + '"'
        if negative:
            negatives.append(quoted)
        elif text.lower() == "or" and groups[-1]:
            groups.append([])
        else:
            groups[-1].append(quoted)
    groups = [g for g in groups if g]
    if not groups:
        return None
    expr = " OR ".join("(" + " ".join(g) + ")" for g in groups)
    if negatives:
        expr = f"({expr}) NOT " + " NOT ".join(negatives)
    return expr


def _sqlite_filters(filters: Filters, params: list) -> str:
    sql = []
    for name in ("category_id", "author_id", "thread_id"):
        value = getattr(filters, name)
        if value is not None:
            sql.append(f" AND s.{name} = %s")
            params.append(value)
    adapt = connection.ops.adapt_datetimefield_value
    if filters.since is not None:
        sql.append(" AND s.created >= %s")
        params.append(adapt(filters.since))
    if filters.until is not None:
        sql.append(" AND s.created < %s")
        params.append(adapt(filters.until))
    return "".join(sql)


def _sqlite_search(query: str, filters: Filters, after, limit: int) -> Result:
    params: list = []
    window = _window()
    if _sqlite_has_fts():
        expr = _fts_expression(query)
        if expr is None:
            return Result(hits=[], next_cursor=None)
        params.append(expr)
        where = _sqlite_filters(filters, params)
        sql = (
            "SELECT s.post_id, -bm25(forum_postsearch_fts, 10.0, 1.0), s.created"
            " FROM forum_postsearch_fts f JOIN forum_postsearch s ON s.post_id = f.rowid"
            f" WHERE forum_postsearch_fts MATCH %s{where}"
            " ORDER BY s.created DESC LIMIT %s"
        )
    else:
        terms = _terms(query)
        if not any(not negative for _, negative in terms):
            return Result(hits=[], next_cursor=None)
        clauses = []
        for text, negative in terms:
            if text.lower() == "or":
                continue
            clauses.append(f"s.document {'NOT ' if negative else ''}LIKE %s ESCAPE '\\'")
            params.append(
                "%" + text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") + "%"
            )
        where = _sqlite_filters(filters, params)
        sql = (
            "SELECT s.post_id, 1.0, s.created FROM forum_postsearch s"
            f" WHERE {' AND '.join(clauses)}{where} ORDER BY s.created DESC LIMIT %s"
        )
    params.append(window)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    scored = []
    for post_id, relevance, created in rows:
        if isinstance(created, str):
            created = datetime.fromisoformat(created)
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        score = math.log2(max(float(relevance), 1e-6)) + created.timestamp() / HALF_LIFE_SECONDS
        scored.append((score, post_id))
    scored.sort(reverse=True)
    if after is not None:
        scored = [s for s in scored if s < after]
    hits = [Hit(post_id=pk, score=score) for score, pk in scored[:limit]]
    nxt = encode_cursor(hits[-1].score, hits[-1].post_id) if len(scored) > limit else None
    return Result(hits=hits, next_cursor=nxt, windowed=len(rows) >= window)


def _py_headline(text: str, terms: Iterable[str], *, whole: bool) -> str:
    """A plain excerpt around the first hit, hits marked: SQLite's stand-in for ts_headline
    (prefix matching, so "squat" marks "squats")."""
    words = {w.lower() for t in terms for w in _WORD.findall(t) if w.lower() != "or"}
    if not words:
        return text if whole else text[:240]
    pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in sorted(words)) + r")\w*", re.I)
    if not whole:
        first = pattern.search(text)
        start = max(0, (first.start() if first else 0) - 80)
        text = ("…" if start else "") + text[start : start + 240]
    return pattern.sub(lambda m: f"{_START}{m.group(0)}{_STOP}", text)
