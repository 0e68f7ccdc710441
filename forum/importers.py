"""Import of threads from phpBB's "printable view" saved as text.

The format, as phpBB prints a topic::

    Page 1 of 1
    <title>
    Posted: Tue Feb 08, 2011 2:25 pm
    by <username>
    <body lines...>
    Posted: ...

phpBB flattens quotes into the text ("Rik-Blades wrote:I smell a rat."); the importer turns
each back into a real quote of the earlier post by that member that contains the text.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.utils.text import slugify

from accounts.models import User
from forum import services
from forum.content import replaying_history
from forum.markup import normalize_text
from forum.models import Category, ImportedThread, Post, Thread

SOURCE = "phpbb"

_PAGE = re.compile(r"^Page (\d+) of (\d+)$")
_POSTED = re.compile(r"^Posted: (.+)$")
_BY = re.compile(r"^by (\S.{0,149})$")
_WROTE = re.compile(r"^(\S{1,150}) wrote:(.*)$")
_DATE_FORMAT = "%a %b %d, %Y %I:%M %p"


class ImportFormatError(ValueError):
    def __init__(self, line: int, message: str):
        super().__init__(f"line {line}: {message}")
        self.line = line


@dataclass
class ParsedPost:
    author: str
    created: datetime
    lines: list[str] = field(default_factory=list)
    line: int = 0  # where its "Posted:" header is

    @property
    def body(self) -> str:
        return "\n".join(self.lines).strip("\n")


@dataclass
class ParsedThread:
    title: str
    posts: list[ParsedPost]

    @property
    def key(self) -> str:
        first = self.posts[0]
        raw = f"{SOURCE}\n{self.title}\n{first.created.isoformat()}\n{first.author}"
        return hashlib.sha256(raw.encode()).hexdigest()


def _parse_date(text: str, line: int) -> datetime:
    try:
        # phpBB prints board time without a zone; it is taken as UTC.
        return datetime.strptime(text.strip(), _DATE_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise ImportFormatError(line, f"unreadable date {text.strip()!r}") from None


def parse_printable(text: str) -> ParsedThread:
    """Parse one printable view. Raises ImportFormatError with the line number."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")
    number = 0

    def next_nonblank(start: int) -> int:
        while start < len(lines) and not lines[start].strip():
            start += 1
        return start

    number = next_nonblank(0)
    if number >= len(lines):
        raise ImportFormatError(1, "the file is empty")
    page = _PAGE.match(lines[number].strip())
    if not page:
        raise ImportFormatError(number + 1, 'expected "Page 1 of 1" (a phpBB printable view)')
    if page.group(2) != "1":
        raise ImportFormatError(
            number + 1, "only single-page printouts are supported (this topic has several)"
        )
    number = next_nonblank(number + 1)
    if number >= len(lines) or _POSTED.match(lines[number].strip()):
        raise ImportFormatError(number + 1, "expected the topic title")
    title = lines[number].strip()
    number = next_nonblank(number + 1)

    posts: list[ParsedPost] = []
    while number < len(lines):
        line = lines[number].rstrip()
        posted = _POSTED.match(line)
        author = _BY.match(lines[number + 1].rstrip()) if number + 1 < len(lines) else None
        if posted and author:
            posts.append(
                ParsedPost(
                    author=author.group(1).strip(),
                    created=_parse_date(posted.group(1), number + 1),
                    line=number + 1,
                )
            )
            number += 2
            continue
        if posted:
            raise ImportFormatError(number + 2, 'expected "by <username>" after "Posted:"')
        if not posts:
            raise ImportFormatError(number + 1, 'expected "Posted: <date>" before any text')
        posts[-1].lines.append(line)
        number += 1
    if not posts:
        raise ImportFormatError(len(lines), "no posts found")
    for post in posts:
        if not post.body.strip():
            raise ImportFormatError(post.line, "this post has no text")
    return ParsedThread(title=title, posts=posts)


def _username_for(name: str) -> str:
    # Django usernames allow letters, digits and @.+-_; anything else becomes "_".
    cleaned = re.sub(r"[^\w.@+-]", "_", name)[:150]
    return cleaned or "member"


def _imported_user(name: str) -> User:
    """The account holding an imported author's posts: one per name, created on first use,
    with an unusable password so that nobody can log in as it until it is claimed.

    A local member who already has that name keeps it: the import gets a suffixed account
    instead of writing in their name."""
    username = _username_for(name)
    candidate = username
    for attempt in range(1, 100):
        existing = User.objects.filter(username__iexact=candidate).first()
        if existing is None:
            user = User(username=candidate, display_name=name[:60], imported_from=SOURCE)
            user.set_unusable_password()
            user.save()
            return user
        if existing.imported_from == SOURCE and existing.display_name == name[:60]:
            return existing
        candidate = f"{username[:140]}.{SOURCE}{attempt if attempt > 1 else ''}"
    raise ValueError(f"no free username for {name!r}")


def _with_quotes(body: str, earlier: list[Post]) -> str:
    """Turn phpBB's flattened "NAME wrote:TEXT" lines back into quote markup.

    TEXT becomes a quote of the latest earlier post by NAME that contains it; the quote grows
    over the following lines as long as the source contains them too, since phpBB drops the
    quote's end. A line with no such source stays as written.
    """
    raw = body.split("\n")
    lines = [line.rstrip() for line in raw]  # without the hard-break spaces, for matching
    out: list[str] = []
    i = 0
    while i < len(lines):
        match = _WROTE.match(lines[i])
        source = None
        if match and match.group(2).strip():
            name, text = match.group(1), match.group(2).strip()
            candidates = [
                p
                for p in reversed(earlier)
                if p.author.display_name == name or p.author.username == _username_for(name)
            ]
            source = next(
                (p for p in candidates if normalize_text(text) in normalize_text(p.source)),
                None,
            )
        if source is None:
            out.append(raw[i])
            i += 1
            continue
        excerpt = [text]
        i += 1
        while i < len(lines) and lines[i].strip() and not _WROTE.match(lines[i]):
            longer = normalize_text("\n".join([*excerpt, lines[i]]))
            if longer not in normalize_text(source.source):
                break
            excerpt.append(lines[i])
            i += 1
        quoted = "\n".join(excerpt)
        out.append(f'[quote="{source.author.username}" post={source.pk}]\n{quoted}\n[/quote]\n')
        if i < len(lines) and lines[i].strip() and not _WROTE.match(lines[i]):
            out.append("")  # the reply's own text starts a new paragraph
    return "\n".join(out)


def _as_markdown(body: str) -> str:
    # phpBB shows single line breaks as breaks; CommonMark joins them unless marked.
    return re.sub(r"(?<=\S)\n(?=\S)", "  \n", body)


@transaction.atomic
def thread_import(*, parsed: ParsedThread, category: Category) -> Thread | None:
    """Create the thread of a parsed printout, or return None if it was imported before.

    Permission checks and posting caps are skipped (an administrator runs the import);
    everything else goes through the services: numbering, counters, quotes as data and the
    moderation screening of every post, with the posts' original authors and times. Nobody is
    notified of history.
    """
    key = parsed.key
    if ImportedThread.objects.filter(key=key).exists():
        return None
    first = parsed.posts[0]
    thread = services.thread_create_imported(
        category=category,
        title=parsed.title,
        author=_imported_user(first.author),
        created=first.created,
    )
    try:
        with transaction.atomic():
            ImportedThread.objects.create(key=key, source=SOURCE, thread=thread)
    except IntegrityError:
        # Imported concurrently by someone else: undo ours.
        transaction.set_rollback(True)
        return None
    created: list[Post] = []
    with replaying_history():
        for parsed_post in parsed.posts:
            post = services.post_create_imported(
                thread=thread,
                author=_imported_user(parsed_post.author),
                body=_with_quotes(_as_markdown(parsed_post.body), created),
                created=parsed_post.created,
            )
            created.append(post)
    return thread


def category_for_import(slug: str) -> Category:
    slug = slugify(slug)
    category, _ = Category.objects.get_or_create(
        slug=slug, defaults={"name": slug.replace("-", " ").capitalize() or "Imported"}
    )
    return category
