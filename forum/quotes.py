"""Quotes as data: building quote markup, and showing each quote as its reader may see it.

A post's stored HTML holds a placeholder ``<blockquote class="quote" data-quote="N">`` per
quote (see forum.markup). At read time each one is matched with its Quote row (prefetched by
the selectors, so no query per post or per quote) and, for the viewer at hand:

- ``removed``: the source is hidden, deleted or not readable by the viewer; none of the
  quoted text is shown, not even to someone who reads the HTML source;
- ``unverified``: the quoted post does not exist, is not by that member, or its text did not
  contain the excerpt when the quote was saved (a forged quote);
- ``edited``: the source was edited after the quote was taken;
- ``live``: the quote is what the source said, and still says.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from forum import policy
from forum.markup import MAX_QUOTE_DEPTH, analyse, cut_blocks, normalize_text
from forum.models import Post, Quote
from forum.policy import AnyUser

LIVE = "live"
EDITED = "edited"
REMOVED = "removed"
UNVERIFIED = "unverified"


def readable_source(post: Post, user: AnyUser | None) -> str:
    """The post's Markdown as `user` may read it: the quotes they would see as "removed" (and
    quotes nested too deep to be shown at all) are cut out, text and all.

    This, never ``post.source``, is what a reader is given of someone else's post: a quote
    prefill, the quote endpoint, the report page. Reads the post's prefetched quotes.
    """
    if "[" not in post.source:
        return post.source
    rows = _quotes_of(post)
    analysis = analyse(post.source)
    if [(q.position, q.username, q.excerpt) for q in rows] != [
        (spec.position, spec.username[:150], spec.excerpt) for spec in analysis.quotes
    ]:
        return _without_any_quote(post.source, analysis.blocks, rows, user)
    by_position = {q.position: q for q in rows}
    cut = []
    for block in analysis.blocks:
        if block.depth > MAX_QUOTE_DEPTH:
            cut.append(block)
        elif block.position is not None:
            quote = by_position.get(block.position)
            if quote is not None and quote_state(quote, user) == REMOVED:
                cut.append(block)
    return cut_blocks(post.source, cut) if cut else post.source


def _without_any_quote(source: str, blocks: list, rows: list[Quote], user: AnyUser | None) -> str:
    # The rows were written from another reading of the text than today's (a post saved
    # before quotes were blocks: a tag in the middle of a line was a quote then), so they
    # cannot be paired with the blocks found now. Give none of the quoted text: every block
    # found is cut, and the excerpt of every quote the reader may not see is cut wherever it
    # still stands.
    text = cut_blocks(source, blocks)
    for quote in rows:
        if quote.excerpt and quote_state(quote, user) == REMOVED:
            text = text.replace(quote.excerpt, "")
    return text


def readable_text_of(source: str, user: AnyUser | None) -> str:
    """:func:`readable_source` for text that has no Quote rows (an earlier version of a
    post): quotes of posts `user` may not read, and quotes nested too deep, are cut out.
    One query, for the quoted posts' states."""
    analysis = analyse(source)
    if not analysis.blocks:
        return source
    ids = {q.post_id for q in analysis.quotes if q.post_id is not None}
    readable = set(
        Post.objects.filter(policy.readable_posts_q(user), pk__in=ids).values_list("pk", flat=True)
    )
    by_position = {q.position: q for q in analysis.quotes}
    cut = []
    for block in analysis.blocks:
        spec = by_position.get(block.position) if block.position is not None else None
        if block.depth > MAX_QUOTE_DEPTH or (
            spec is not None and spec.post_id is not None and spec.post_id not in readable
        ):
            cut.append(block)
    return cut_blocks(source, cut) if cut else source


def quote_markup(*, post: Post, user: AnyUser, excerpt: str | None = None) -> str:
    """The markup that quotes `post` (or the `excerpt` of it) in a reply: the text the user
    may read of it (:func:`readable_source`), never its raw source.

    Raises PermissionDenied when the policy refuses the quote, and ValidationError when the
    excerpt is not part of the readable text (so an excerpt cannot probe what was cut).
    """
    policy.check_quote_post(user, post)
    text = readable_source(post, user)
    if excerpt is not None:
        excerpt = excerpt.replace("\r\n", "\n").strip()
        if not excerpt or normalize_text(excerpt) not in normalize_text(text):
            raise ValidationError({"excerpt": ["Quote a part of the post's text."]})
        text = excerpt
    return f'[quote="{post.author.username}" post={post.pk}]\n{text.strip()}\n[/quote]\n'


def quote_state(quote: Quote, user: AnyUser | None) -> str:
    source = quote.source
    if source is None:
        return UNVERIFIED
    if not policy.can_view_post(user, source):
        return REMOVED
    if not quote.verified:
        return UNVERIFIED
    if source.edit_count > quote.source_edit_count:
        return EDITED
    return LIVE


def _quotes_of(post: Post) -> list[Quote]:
    # .all() uses the selectors' prefetch of quotes__source__author/thread: no query here.
    return list(post.quotes.all())


def quote_states(post: Post, user: AnyUser) -> list[dict]:
    """One dict per quote of the post, in order: source_post (id or None), author, state.

    A removed quote names neither its source nor its author's account beyond what the quoting
    author wrote in the markup."""
    states = []
    for quote in _quotes_of(post):
        state = quote_state(quote, user)
        visible_source = state in {LIVE, EDITED} or (
            state == UNVERIFIED and quote.source is not None
        )
        states.append(
            {
                "source_post": quote.source_id if visible_source else None,
                "author": quote.source.author.username
                if state in {LIVE, EDITED} and quote.source is not None
                else quote.username,
                "state": state,
            }
        )
    return states


def viewer_states(post: Post, user: AnyUser) -> tuple[str, ...]:
    """What render_post_html shows differently by viewer: the state of each quote (for the
    fragment cache's key, forum.fragments)."""
    if "data-quote=" not in post.html:
        return ()
    return tuple(quote_state(quote, user) for quote in _quotes_of(post))


_BLOCKQUOTE = re.compile(r"<blockquote\b[^>]*>|</blockquote>")
_POSITION = re.compile(r'\bdata-quote="(\d+)"')


def _header(quote: Quote | None, state: str, position: int) -> str:
    opening = format_html('<blockquote class="quote quote-{}" data-quote="{}">', state, position)
    if quote is None:
        return opening + mark_safe(
            '<p class="quote-header"><span class="quote-state">Unverified quote.</span></p>'
        )
    source = quote.source
    if state in {LIVE, EDITED} and source is not None:  # live or edited: it has a source
        header = format_html(
            '<p class="quote-header"><a href="{}">{} wrote:</a>',
            reverse("forum:post", kwargs={"pk": source.pk}),
            source.author.username,
        )
        if state == EDITED:
            header += mark_safe(
                ' <span class="quote-state">(the quoted post has been edited since)</span>'
            )
        return opening + header + mark_safe("</p>")
    # Unverified: the name as the quoting author typed it, escaped; no claim that it is real.
    return opening + format_html(
        '<p class="quote-header">{} wrote: <span class="quote-state">(unverified: this is not '
        "the text of the quoted post)</span></p>",
        quote.username,
    )


def _removed_block(position: int) -> str:
    return format_html(
        '<blockquote class="quote quote-removed" data-quote="{}">'
        '<p class="quote-header">Quoted post removed.</p></blockquote>',
        position,
    )


def render_post_html(post: Post, user: AnyUser) -> SafeString:
    """The post's HTML as `user` may see it: quote headers, states, removed quotes cut out.

    The stored HTML is sanitised at write time; everything added here is escaped."""
    html = post.html
    if "data-quote=" not in html:
        return mark_safe(html)  # noqa: S308 (sanitised at write time)
    by_position = {q.position: q for q in _quotes_of(post)}

    # Pair every blockquote tag (plain Markdown ones too) to find where each quote ends.
    pairs: list[tuple[int, int, int, int]] = []  # open start, open end, close end, position
    stack: list[tuple[re.Match, int | None]] = []
    for match in _BLOCKQUOTE.finditer(html):
        if match.group(0) == "</blockquote>":
            if stack:
                opening, position = stack.pop()
                if position is not None:
                    pairs.append((opening.start(), opening.end(), match.end(), position))
        else:
            found = _POSITION.search(match.group(0))
            stack.append((match, int(found.group(1)) if found else None))
    pairs.sort()

    out: list[str] = []
    cursor = 0
    for open_start, open_end, close_end, position in pairs:
        if open_start < cursor:
            continue  # inside a quote already cut out
        out.append(html[cursor:open_start])
        quote = by_position.get(position)
        state = quote_state(quote, user) if quote is not None else UNVERIFIED
        if state == REMOVED:
            out.append(_removed_block(position))
            cursor = close_end
        else:
            out.append(_header(quote, state, position))
            cursor = open_end
    out.append(html[cursor:])
    return mark_safe("".join(out))  # noqa: S308 (sanitised parts and escaped headers)
