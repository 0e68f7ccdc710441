"""Post markup: CommonMark rendered once at write time, then sanitised by an allow-list.

On top of CommonMark a post may hold:

- quotes, ``[quote="username" post=123]text[/quote]``: each becomes a placeholder block
  ``<blockquote class="quote" data-quote="POSITION">`` around the rendered excerpt; the
  header ("username wrote:") and the state of the source are added per viewer at read time
  by ``forum.quotes.render_post_html``. Quotes nest up to ``MAX_QUOTE_DEPTH``; deeper ones
  collapse to an ellipsis. A tag inside code is text: an inline code span, or a fenced or
  indented code block as markdown-it reads the body's block structure (so four spaces under
  a list item continue the item, and are no code).
- mentions, ``@username``: linked to the profile of an existing active member
  (case-insensitive), never inside code.

The work is bounded: markdown-it's ``maxNesting`` caps block nesting (blockquotes, lists), the
quote parser never recurses, and every inline step counts against a budget so that a
pathological body is refused with a ValidationError instead of burning CPU.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache

import nh3
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_block.table import table as _table_rule
from markdown_it.rules_core.linkify import linkify as _core_linkify
from markdown_it.rules_inline.linkify import linkify as _inline_linkify

# Deeper blockquotes and lists are left as text by markdown-it past this level.
MAX_NESTING = 20
# Quotes inside quotes: the third level shows, the fourth collapses.
MAX_QUOTE_DEPTH = 3
# Parser steps (block rule attempts plus inline rule attempts) one body may cost. A step
# costs 4-25 microseconds, so the budget keeps any body under ~100 ms of parsing. Plain prose
# of 60,000 characters takes ~2,000 steps, a 15,000-character post dense with lists, links and
# emphasis ~5,000; runs like "[" * 20000 or "a\n" * 30000 would take 40,000-120,000.
STEP_BUDGET = 5_000
# Lines one body may have. Line-by-line work is what the step budget bounds least tightly
# ("a\n" * 30000 still costs ~80 ms before the budget runs out); a count is microseconds,
# and a real post of 60,000 characters in 2,000 lines is already a long one.
MAX_LINES = 2_000
# Distinct @names looked up per post; further ones stay plain text.
MAX_MENTION_CANDIDATES = 100
# Bare URLs and domains are linked in a body with at most this many link-like runs.
MAX_LINK_CANDIDATES = 100
_LINK_CANDIDATE = re.compile(r"://|www\.|\w\.\w")
# Rows of one table (header and delimiter rows aside); the rest of it shows as text.
MAX_TABLE_ROWS = 200


class MarkupTooComplex(Exception):
    pass


def _spend(env: dict) -> bool:
    # One budget for the whole body, shared by the environments of all its quote levels.
    budget = env.setdefault("_budget", [0])
    budget[0] += 1
    if budget[0] > STEP_BUDGET:
        raise MarkupTooComplex
    return False


def _inline_budget_rule(state, silent: bool) -> bool:
    # First inline rule: runs once per step of the inline parser (lookahead included).
    return _spend(state.env)


def _block_budget_rule(state, start_line: int, end_line: int, silent: bool) -> bool:
    # First block rule, also in the termination chains: runs once per block attempt.
    return _spend(state.env)


_MENTION_NAME = re.compile(r"[\w](?:[\w.+-]{0,148}[\w])?")


def _mention_rule(state, silent: bool) -> bool:
    pos = state.pos
    if state.src[pos] != "@" or state.linkLevel > 0:
        return False
    if pos > 0 and (state.src[pos - 1].isalnum() or state.src[pos - 1] in "_.+-@/"):
        return False  # part of an e-mail address or a word
    match = _MENTION_NAME.match(state.src, pos + 1)
    if match is None:
        return False
    if not silent:
        token = state.push("mention", "", 0)
        token.content = match.group(0)
    state.pos = match.end()
    return True


def _render_mention(self, tokens, idx, options, env) -> str:
    name = tokens[idx].content
    user = env.get("mention_users", {}).get(name.lower())
    if user is None:
        return escape("@" + name)
    url = reverse("accounts:profile", kwargs={"username": user.username})
    return f'<a class="mention" href="{escape(url)}">@{escape(user.username)}</a>'


def _render_heading_open(self, tokens, idx, options, env) -> str:
    # The page's title is its h1 and each post's header an h2: a post's own headings start at
    # h3, so no post outranks the page it is on.
    return f"<h{_demoted(tokens[idx].tag)}>"


def _render_heading_close(self, tokens, idx, options, env) -> str:
    return f"</h{_demoted(tokens[idx].tag)}>\n"


def _demoted(tag: str) -> int:
    return min(int(tag[1]) + 2, 6)


def _render_image(self, tokens, idx, options, env) -> str:
    # No remote images: loading them would tell another server who reads the post. The image
    # becomes a link that says what it shows (its alt text), opened only if the reader wants.
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env).strip()
    src = token.attrGet("src") or ""
    label = alt or src.rsplit("/", 1)[-1] or "image"
    return f'<a class="image-link" href="{escape(src)}">Image: {escape(label)}</a>'


def _render_table_open(self, tokens, idx, options, env) -> str:
    # A wide table scrolls inside its own box instead of widening the page; tabindex lets a
    # keyboard reach and scroll it.
    return '<div class="table-wrap" tabindex="0"><table>\n'


def _render_table_close(self, tokens, idx, options, env) -> str:
    return "</table></div>\n"


_ALIGN = re.compile(r"^text-align:(left|center|right)$")


def _render_cell_open(self, tokens, idx, options, env) -> str:
    # Column alignment as a class: style attributes stay outside the allow-list.
    token = tokens[idx]
    found = _ALIGN.match(token.attrGet("style") or "")
    return f'<{token.tag} class="align-{found.group(1)}">' if found else f"<{token.tag}>"


# Raw HTML in a post is shown as text: html=False makes markdown-it escape it. On top of
# CommonMark: GitHub-style tables and ~~strikethrough~~, and bare URLs linked (linkify).
_md = MarkdownIt(
    "commonmark",
    {"html": False, "linkify": True, "typographer": False, "maxNesting": MAX_NESTING},
)
_md.enable(["table", "strikethrough", "linkify"])


def _linkify_decide(state) -> None:
    # linkify-it costs ~0.3 ms a link and a scan of the whole text: a body with hundreds of
    # link-like runs ("a.b " * 7000) would take seconds. Such a body keeps its text unlinked;
    # one with none skips the scan.
    candidates = len(_LINK_CANDIDATE.findall(state.src))
    state.env["_linkify"] = 0 < candidates <= MAX_LINK_CANDIDATES


def _bounded_linkify(state) -> None:
    if state.env.get("_linkify"):
        _core_linkify(state)


def _bounded_inline_linkify(state, silent: bool) -> bool:
    return bool(state.env.get("_linkify")) and _inline_linkify(state, silent)


def _bounded_table(state, start_line: int, end_line: int, silent: bool) -> bool:
    # A table is parsed in one go, outside the step budget: cap its rows, so that 2,000 rows of
    # "| x | y |" do not cost a second. Rows past the cap are left as text.
    if _table_rule(state, start_line, min(end_line, start_line + MAX_TABLE_ROWS + 2), silent):
        _spend(state.env)
        return True
    return False


_md.core.ruler.before("inline", "stoa_linkify_decide", _linkify_decide)
_md.core.ruler.at("linkify", _bounded_linkify)
_md.inline.ruler.at("linkify", _bounded_inline_linkify)
_md.block.ruler.at("table", _bounded_table, {"alt": ["paragraph", "reference"]})
_md.add_render_rule("heading_open", _render_heading_open)
_md.add_render_rule("heading_close", _render_heading_close)
_md.add_render_rule("image", _render_image)
_md.add_render_rule("table_open", _render_table_open)
_md.add_render_rule("table_close", _render_table_close)
_md.add_render_rule("th_open", _render_cell_open)


def _focusable_pre(rule):
    # A long code line scrolls inside its block; tabindex lets a keyboard reach and scroll it.
    def render(self, tokens, idx, options, env) -> str:
        return rule(tokens, idx, options, env).replace("<pre>", '<pre tabindex="0">', 1)

    return render


# MarkdownIt types its renderer as a protocol; the default one, with its rules, is HTML's.
assert isinstance(_md.renderer, RendererHTML)
_md.add_render_rule("fence", _focusable_pre(_md.renderer.rules["fence"]))
_md.add_render_rule("code_block", _focusable_pre(_md.renderer.rules["code_block"]))
_md.add_render_rule("td_open", _render_cell_open)
_md.inline.ruler.before("text", "stoa_budget", _inline_budget_rule)
_md.block.ruler.before(
    "table",
    "stoa_budget",
    _block_budget_rule,
    {"alt": ["paragraph", "reference", "blockquote", "list"]},
)
_md.inline.ruler.before("link", "stoa_mention", _mention_rule)
_md.add_render_rule("mention", _render_mention)

ALLOWED_TAGS = {
    "a",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "ul",
    "s",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "div",
    "span",
    "cite",
    "footer",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "class"},
    "blockquote": {"class", "data-quote"},
    "div": {"class", "tabindex"},
    "pre": {"tabindex"},
    "span": {"class"},
    "cite": {"class"},
    "footer": {"class"},
    "p": {"class"},
    "ol": {"start"},
    "code": {"class"},
    "th": {"class"},
    "td": {"class"},
}


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
        strip_comments=True,
    )


# --- quotes ---------------------------------------------------------------------------------

_QUOTE_TAG = re.compile(
    r'\[quote(?:=(?:"(?P<qname>[^"\]\n]{1,150})"|(?P<name>[^\s"\]]{1,150})))?'
    r"(?:[ \t]+post=(?P<post>\d{1,18}))?[ \t]*\]"
    r"|(?P<close>\[/quote\])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class QuoteSpec:
    """A quote as written: who and which post it claims to quote, and the raw excerpt."""

    position: int
    username: str
    post_id: int | None
    excerpt: str
    depth: int


@dataclass(frozen=True)
class QuoteBlock:
    """Where a quote sits in the source, ``[quote...]`` to ``[/quote]`` inclusive.

    ``position`` pairs it with its QuoteSpec and Quote row; None for a quote that names nobody
    (plain quoted text) and for one nested deeper than MAX_QUOTE_DEPTH (never shown)."""

    position: int | None
    depth: int
    start: int
    end: int


@dataclass
class Analysis:
    """The structure of a body, independent of the database: safe to cache by source."""

    ops: list = field(default_factory=list)
    quotes: list[QuoteSpec] = field(default_factory=list)
    blocks: list[QuoteBlock] = field(default_factory=list)
    # (lower-cased name, quote depth it was written at: 0 is the author's own text)
    mentions: list[tuple[str, int]] = field(default_factory=list)

    @property
    def own_mentions(self) -> list[str]:
        return list(dict.fromkeys(name for name, depth in self.mentions if depth == 0))


# Block structure only, no inline parse: where markdown-it sees fenced and indented code.
_blocks = MarkdownIt("commonmark", {"maxNesting": MAX_NESTING}).disable("inline")


def _code_block_ranges(text: str) -> list[tuple[int, int]]:
    """Spans of the fenced and indented code blocks of `text`, as markdown-it reads them (a
    list item's indented continuation is not code; four spaces after a blank line are)."""
    if "```" not in text and "~~~" not in text and "    " not in text and "\t" not in text:
        return []
    # markdown-it breaks lines at \n and at a lone \r: keep one character per character so
    # that its line numbers map back onto `text`.
    tokens = _blocks.parse(text.replace("\r", " "))
    starts = [0]
    for line in text.split("\n"):
        starts.append(starts[-1] + len(line) + 1)
    ranges = []
    for token in tokens:
        if token.type in ("fence", "code_block") and token.map:
            first, last = token.map
            ranges.append((starts[first], min(starts[last], len(text))))
    return ranges


def _code_ranges(text: str) -> list[tuple[int, int]]:
    """Spans of code blocks (fenced and indented) and inline code spans, where [quote] is
    just text.

    Linear scans only: a body of 60,000 backticks must not cost quadratic time."""
    ranges = _code_block_ranges(text)
    outside: list[tuple[int, int]] = []
    cursor = 0
    for start, end in ranges:
        outside.append((cursor, start))
        cursor = end
    outside.append((cursor, len(text)))

    # Inline code: a run of n backticks closes at the next run of exactly n backticks.
    for start, end in outside:
        runs = [(m.start(), m.end()) for m in re.finditer(r"`+", text[start:end])]
        by_length: dict[int, list[int]] = {}
        for i, (a, b) in enumerate(runs):
            by_length.setdefault(b - a, []).append(i)
        i = 0
        while i < len(runs):
            a, b = runs[i]
            same = by_length[b - a]
            k = bisect.bisect_right(same, i)
            if k < len(same):
                j = same[k]
                ranges.append((start + a, start + runs[j][1]))
                i = j + 1
            else:
                i += 1
    ranges.sort()
    return ranges


def _quote_events(text: str) -> list[tuple[re.Match, re.Match]]:
    """Matched [quote]...[/quote] pairs outside code; unmatched tags stay text."""
    code = _code_ranges(text)
    starts = [a for a, _ in code]

    def in_code(pos: int) -> bool:
        k = bisect.bisect_right(starts, pos) - 1
        return k >= 0 and code[k][0] <= pos < code[k][1]

    stack: list[re.Match] = []
    pairs: list[tuple[re.Match, re.Match]] = []
    for match in _QUOTE_TAG.finditer(text):
        if code and in_code(match.start()):
            continue
        if match.group("close"):
            if stack:
                pairs.append((stack.pop(), match))
        else:
            stack.append(match)
    return pairs


def _parse_md(text: str, env: dict) -> list:
    try:
        return _md.parse(text, env)
    except MarkupTooComplex:
        raise ValidationError(
            {
                "body": [
                    "This post has too much formatting to display safely (brackets, asterisks "
                    "or underscores in long runs). Please simplify it."
                ]
            }
        ) from None


def _collect_mentions(tokens: list, depth: int, into: list[tuple[str, int]]) -> None:
    for token in tokens:
        if token.type == "inline" and token.children:
            for child in token.children:
                if child.type == "mention":
                    into.append((child.content.lower(), depth))


@lru_cache(maxsize=8)
def analyse(source: str) -> Analysis:
    """Parse a body once: markdown tokens of each piece, quotes and mentions.

    Cached by source (pure function of the text), so that the content check, the render and
    the sync of one write parse it once. Treat the result as read-only.
    Raises ValidationError when the body is too complex to render within budget.
    """
    if source.count("\n") >= MAX_LINES:
        raise ValidationError(
            {"body": [f"A post can have at most {MAX_LINES:,} lines. Please shorten it."]}
        )
    budget = [0]
    # One markdown-it environment per quote (and one for the author's own text): reference
    # definitions ("[guide]: https://...") are resolved inside the text that holds them only,
    # so the quoting author cannot turn the quoted member's "[the guide]" into their link,
    # and a quoted definition cannot restyle the author's text.
    frames: list[dict] = [{"_budget": budget}]
    analysis = Analysis()
    events: list[tuple[int, str, re.Match, re.Match | None]] = []
    for opening, end_tag in _quote_events(source):
        events.append((opening.start(), "open", opening, end_tag))
        events.append((end_tag.start(), "close", end_tag, None))
    events.sort(key=lambda e: e[0])

    depth = 0
    cursor = 0

    def text_piece(end: int) -> None:
        piece = source[cursor:end]
        if depth <= MAX_QUOTE_DEPTH and piece.strip():
            tokens = _parse_md(piece, frames[-1])
            analysis.ops.append(("md", tokens))
            _collect_mentions(tokens, depth, analysis.mentions)

    for _, kind, match, closing in events:
        text_piece(match.start())
        if kind == "open":
            assert closing is not None  # an opening tag's event carries its closing tag
            depth += 1
            frames.append({"_budget": budget})
            position = None
            if depth <= MAX_QUOTE_DEPTH:
                name = match.group("qname") or match.group("name")
                if name:
                    position = len(analysis.quotes)
                    post_id = match.group("post")
                    analysis.quotes.append(
                        QuoteSpec(
                            position=position,
                            username=name.strip(),
                            post_id=int(post_id) if post_id else None,
                            excerpt=source[match.end() : closing.start()].strip(),
                            depth=depth,
                        )
                    )
                analysis.ops.append(("open", position))
            elif depth == MAX_QUOTE_DEPTH + 1:
                analysis.ops.append(("collapsed", None))
            analysis.blocks.append(QuoteBlock(position, depth, match.start(), closing.end()))
        else:
            if depth <= MAX_QUOTE_DEPTH:
                analysis.ops.append(("close", None))
            depth -= 1
            frames.pop()
        cursor = match.end()
    text_piece(len(source))
    return analysis


def resolve_mentions(names, *, limit: int | None = MAX_MENTION_CANDIDATES) -> dict:
    """Active members by lower-cased username, for the given lower-cased names (the first
    `limit` of them): one query."""
    from django.db.models.functions import Lower

    from accounts.models import User

    names = list(dict.fromkeys(names))[:limit]
    if not names:
        return {}
    users = User.objects.filter(is_active=True).annotate(lname=Lower("username"))
    return {u.lname: u for u in users.filter(lname__in=names)}


def mention_names(analysis: Analysis) -> list[str]:
    """The names whose mentions render as links (the first MAX_MENTION_CANDIDATES)."""
    return list(dict.fromkeys(name for name, _ in analysis.mentions))[:MAX_MENTION_CANDIDATES]


def render_markdown(source: str, *, mention_users: dict | None = None) -> str:
    """Sanitised HTML of a body, with quote placeholders and mention links. `mention_users`
    (resolve_mentions of mention_names) saves the lookup when the caller made it already."""
    analysis = analyse(source)
    if mention_users is None:
        mention_users = resolve_mentions(mention_names(analysis))
    env = {"mention_users": mention_users}
    out: list[str] = []
    for kind, value in analysis.ops:
        if kind == "md":
            out.append(_md.renderer.render(value, _md.options, env))
        elif kind == "open":
            attr = f' data-quote="{value}"' if value is not None else ""
            out.append(f'<blockquote class="quote"{attr}>\n')
        elif kind == "close":
            out.append("</blockquote>\n")
        else:
            out.append('<p class="quote-collapsed">[…]</p>\n')
    return sanitize("".join(out))


def cut_blocks(source: str, blocks: list[QuoteBlock]) -> str:
    """`source` without the given quote blocks (nested ones go with their parent); the blank
    lines left behind are folded to one paragraph break."""
    out: list[str] = []
    cursor = 0
    for block in sorted(blocks, key=lambda b: b.start):
        if block.start < cursor:
            continue  # inside a block already cut
        out.append(source[cursor : block.start])
        cursor = block.end
    out.append(source[cursor:])
    return re.sub(r"\n{3,}", "\n\n", "".join(out)).strip()


def own_text(source: str) -> str:
    """What the author wrote themselves: the body without any quote. This is the text to
    index for search, so that words found only in quoted posts (which may be hidden since)
    never find the quoting post."""
    return cut_blocks(source, analyse(source).blocks)


def normalize_text(text: str) -> str:
    """Whitespace-insensitive form used to check that an excerpt occurs in its source."""
    return " ".join(text.split())


def plain_excerpt(html: str, length: int = 160) -> str:
    """The post's own words as plain text, for a one-line preview: quoted blocks are left out
    whole (they are someone else's words, and may be of a post this reader cannot see)."""
    import html as html_lib

    from django.utils.text import Truncator

    text = nh3.clean(
        html, tags=set(), attributes={}, clean_content_tags={"blockquote", "script", "style"}
    )
    return Truncator(" ".join(html_lib.unescape(text).split())).chars(length)
