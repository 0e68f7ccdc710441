"""Post markup: CommonMark rendered once at write time, then sanitised by an allow-list.

On top of CommonMark a post may hold:

- quotes, ``[quote="username" post=123]text[/quote]`` (also ``[quote=username]`` and a bare
  ``[quote]``): a block container, like a ``>`` blockquote. The opening tag starts a line
  (in a list item or a blockquote too); the text after it is parsed as blocks of its own until
  a closing tag ends a line. Each becomes a placeholder block
  ``<blockquote class="quote" data-quote="POSITION">`` around the rendered excerpt; the
  header ("username wrote:") and the state of the source are added per viewer at read time
  by ``forum.quotes.render_post_html``. Quotes nest up to ``MAX_QUOTE_DEPTH``; deeper ones
  collapse to an ellipsis. A tag in code (a code span, a fenced or an indented code block),
  a tag in the middle of a line and a quote that is never closed are text.
- mentions, ``@username``: linked to the profile of an existing active member
  (case-insensitive), never inside code.

The work is bounded: markdown-it's ``maxNesting`` caps block nesting (blockquotes, lists and
quotes), an unclosed quote is given up once, and every block and inline step counts against a
budget so that a pathological body is refused with a ValidationError instead of burning CPU.
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
from markdown_it.ruler import RuleOptionsType
from markdown_it.rules_block.paragraph import paragraph as _paragraph_rule
from markdown_it.rules_block.table import table as _table_rule
from markdown_it.rules_core.linkify import linkify as _core_linkify
from markdown_it.rules_inline.linkify import linkify as _inline_linkify
from markdown_it.token import Token

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
#
# A quote is a block container of markdown-it, like a ">" blockquote: its opening tag starts a
# line (inside a list item or a blockquote too), and the text after it, on the same line and
# the next ones, is parsed as blocks of its own until a closing tag ends a line. So a tag in a
# code block or a code span is text, a fence inside a quote keeps a "[/quote]" as code, and a
# quote written in a list item stays in the item. A quote whose closing tag never comes is
# text, as a "[" without its "]" is.

_QUOTE_OPEN = re.compile(
    r'\[quote(?:=(?:"(?P<qname>[^"\]\n]{1,150})"|(?P<name>[^\s"\]]{1,150})))?'
    r"(?:[ \t]+post=(?P<post>\d{1,18}))?[ \t]*\]",
    re.IGNORECASE,
)
_CLOSE = "[/quote]"
_CLOSE_TAG = re.compile(re.escape(_CLOSE), re.IGNORECASE)
# The type of the quote container, also the parentType of the blocks directly inside it.
_QUOTE = "stoa_quote"
# Like a ">" blockquote, a quote's tags end a paragraph, list or blockquote before them (the
# table rule stops at what ends a blockquote).
_TERMINATES: RuleOptionsType = {"alt": ["paragraph", "reference", "blockquote", "list"]}


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

    tokens: list = field(default_factory=list)
    quotes: list[QuoteSpec] = field(default_factory=list)
    blocks: list[QuoteBlock] = field(default_factory=list)
    # (lower-cased name, quote depth it was written at: 0 is the author's own text)
    mentions: list[tuple[str, int]] = field(default_factory=list)

    @property
    def own_mentions(self) -> list[str]:
        return list(dict.fromkeys(name for name, depth in self.mentions if depth == 0))


@dataclass
class _Frame:
    """A quote being parsed: the last line its content may reach, the token level of the
    blocks directly in it, and whether it sits directly in the quote around it (then one run
    of closing tags can end both)."""

    end_line: int
    level: int
    direct: bool


class _QuoteParse:
    """What the quote rules of one parse share (kept in the markdown-it environment)."""

    def __init__(self, state) -> None:
        self.frames: list[_Frame] = []
        # Opening tags (by offset) whose quote never closed: text wherever they are retried,
        # so that unclosed quotes inside unclosed quotes cost one parse each, not 2**n.
        self.failed: set[int] = set()
        # A close being handed out: the closing tags still to give, innermost quote first.
        self.closers: list[int] = []
        self.close_line = -1
        self.runs = _closing_runs(state)
        self.run_lines = sorted(self.runs)

    def in_quote(self, state) -> bool:
        """Whether the block being parsed sits directly in the innermost quote (not in a list
        or blockquote inside it). By level: markdown-it's lheading rule leaves parentType
        set to "paragraph" when it finds no underline."""
        return bool(self.frames) and state.level == self.frames[-1].level

    def closable(self) -> int:
        """How many quotes one run of closing tags may end here: the innermost one and
        those it sits directly in."""
        count, i = 1, len(self.frames) - 1
        while i > 0 and self.frames[i].direct:
            count, i = count + 1, i - 1
        return count

    def closing_tags(self, state, line: int) -> list[int]:
        """The closing tags that end `line` and would close quotes here (offsets). Tags of
        the run past what may close are the quoted text's own."""
        begin = state.bMarks[line] + state.tShift[line]
        tags = [tag for tag in self.runs.get(line, ()) if tag >= begin]
        return tags[len(tags) - min(len(tags), self.closable()) :]

    def next_run(self, line: int) -> int | None:
        k = bisect.bisect_left(self.run_lines, line)
        return self.run_lines[k] if k < len(self.run_lines) else None

    def close(self, state, line: int, tags: list[int]) -> None:
        # Stop the innermost quote's content here; the quote rule takes it from there.
        self.closers, self.close_line = list(tags), line
        state.line = self.frames[-1].end_line


def _closing_runs(state) -> dict[int, list[int]]:
    """Lines that end in closing tags (spaces between allowed): line -> offsets of the tags.

    Scanned once per body, each line from its end, so a long run costs its length only."""
    src = state.src
    ends = state.eMarks
    last = len(ends) - 1  # every line of the body (lineMax is smaller inside a blockquote)
    size = len(_CLOSE)
    runs: dict[int, list[int]] = {}
    for found in _CLOSE_TAG.finditer(src):
        line = bisect.bisect_left(ends, found.start(), 0, last)
        if line >= last or line in runs:
            continue
        begin = ends[line - 1] + 1 if line else 0
        pos, tags = ends[line], []
        while True:
            while pos > begin and src[pos - 1] in " \t":
                pos -= 1
            if pos - size < begin or src[pos - size : pos].lower() != _CLOSE:
                break
            pos -= size
            tags.append(pos)
        runs[line] = tags[::-1]
    return {line: tags for line, tags in runs.items() if tags}


def _quote_rule(state, start_line: int, end_line: int, silent: bool) -> bool:
    if state.is_code_block(start_line):
        return False
    pos = state.bMarks[start_line] + state.tShift[start_line]
    maximum = state.eMarks[start_line]
    if state.src[pos : pos + 6].lower() != "[quote":
        return False
    opening = _QUOTE_OPEN.match(state.src, pos, maximum)
    if opening is None:
        return False
    if silent:
        return True  # an opening tag ends the paragraph before it, as ">" does
    parse = state.env.get("_quote_parse")
    if parse is None:
        parse = state.env["_quote_parse"] = _QuoteParse(state)
    if pos in parse.failed or state.level + 1 >= state.md.options.maxNesting:
        return False

    tokens_before, level_before = len(state.tokens), state.level
    parent_type = state.parentType
    direct = parse.in_quote(state)
    line_marks = (
        state.bMarks[start_line],
        state.tShift[start_line],
        state.sCount[start_line],
        state.bsCount[start_line],
    )
    # Reference definitions resolve inside the text that holds them only: the quoting author
    # cannot turn the quoted member's "[the guide]" into their link, nor the other way round.
    outer_references = state.env.get("references")
    references: dict = {}
    state.env["references"] = references

    name = opening.group("qname") or opening.group("name")
    post = opening.group("post")
    token = state.push("stoa_quote_open", "blockquote", 1)
    token.markup = opening.group(0)
    token.map = [start_line, start_line + 1]
    token.meta = {
        "start": pos,
        "open_end": opening.end(),
        "name": name.strip() if name else None,
        "post": int(post) if post else None,
        "references": references,
    }
    parse.frames.append(_Frame(end_line=end_line, level=state.level, direct=direct))
    state.parentType = _QUOTE
    first = opening.end()
    while first < maximum and state.src[first] in " \t":
        first += 1
    content_line = start_line
    if first < maximum:
        # Text after the tag on its line: the quote's first line, as after a ">" marker.
        state.bMarks[start_line], state.tShift[start_line] = first, 0
        state.sCount[start_line] = state.bsCount[start_line] = state.blkIndent
    else:
        content_line += 1
    try:
        state.md.block.tokenize(state, content_line, end_line)
    finally:
        (
            state.bMarks[start_line],
            state.tShift[start_line],
            state.sCount[start_line],
            state.bsCount[start_line],
        ) = line_marks
        state.parentType = parent_type
        if outer_references is None:
            state.env.pop("references", None)
        else:
            state.env["references"] = outer_references
        parse.frames.pop()

    if not parse.closers:
        # Never closed: the tag is text. Undo what the attempt produced.
        del state.tokens[tokens_before:]
        state.level, state.line = level_before, start_line
        parse.failed.add(pos)
        if direct:
            # The quote around this one reads the same lines at the same level, so it finds
            # no closing tag either: give it up now instead of parsing the rest again.
            state.line = parse.frames[-1].end_line
            return True
        return False
    tag = parse.closers.pop(0)
    token.meta["close"] = tag
    token.map[1] = parse.close_line + 1
    closing = state.push("stoa_quote_close", "blockquote", -1)
    closing.markup = _CLOSE
    # Further closing tags of the run end the quotes around this one, on the same line.
    state.line = parse.frames[-1].end_line if parse.closers else parse.close_line + 1
    return True


def _quote_close_rule(state, start_line: int, end_line: int, silent: bool) -> bool:
    """A line of closing tags only: ends the quote(s) it is directly in. As a terminator it
    ends a paragraph, list or blockquote inside a quote."""
    parse = state.env.get("_quote_parse")
    if parse is None or not parse.frames or start_line not in parse.runs:
        return False
    if state.is_code_block(start_line) or (not silent and not parse.in_quote(state)):
        return False
    tags = parse.closing_tags(state, start_line)
    if not tags or tags[0] != state.bMarks[start_line] + state.tShift[start_line]:
        return False  # text before the tags: the paragraph ends there (_quote_paragraph)
    if not silent:
        parse.close(state, start_line, tags)
    return True


def _quote_paragraph(state, start_line: int, end_line: int, silent: bool) -> bool:
    """A paragraph directly in a quote ends at a line that ends in closing tags; the text
    before the tags is its last line."""
    parse = state.env.get("_quote_parse")
    if parse is None or not parse.in_quote(state):
        return _paragraph_rule(state, start_line, end_line, silent)
    line = parse.next_run(start_line)
    if line is None or line >= state.lineMax:
        return _paragraph_rule(state, start_line, end_line, silent)
    tags = parse.closing_tags(state, line)
    begin = state.bMarks[line] + state.tShift[line]
    if not tags or (line == start_line and tags[0] <= begin):
        return _paragraph_rule(state, start_line, end_line, silent)
    line_max, line_end = state.lineMax, state.eMarks[line]
    state.lineMax, state.eMarks[line] = line + 1, tags[0]
    try:
        found = _paragraph_rule(state, start_line, end_line, silent)
    finally:
        state.lineMax, state.eMarks[line] = line_max, line_end
    if found and not silent and state.line == line + 1 and tags[0] > begin:
        parse.close(state, line, tags)
    return found


def _quote_structure(state) -> None:
    """Core rule after the block parse: numbers the quotes, records what they hold and where
    they are, and folds quotes nested past MAX_QUOTE_DEPTH into one marker each (so their
    text is never parsed inline)."""
    quotes: list[QuoteSpec] = []
    blocks: list[QuoteBlock] = []
    state.env["_quote_found"] = (quotes, blocks)
    if "_quote_parse" not in state.env:
        return
    source = state.env.get("_source", state.src)
    kept = []
    depth = 0
    for token in state.tokens:
        if token.type == "stoa_quote_open":
            depth += 1
            meta = token.meta
            position = None
            if depth <= MAX_QUOTE_DEPTH and meta["name"]:
                position = len(quotes)
                quotes.append(
                    QuoteSpec(
                        position=position,
                        username=meta["name"],
                        post_id=meta["post"],
                        excerpt=source[meta["open_end"] : meta["close"]].strip(),
                        depth=depth,
                    )
                )
            meta["position"] = position
            blocks.append(QuoteBlock(position, depth, meta["start"], meta["close"] + len(_CLOSE)))
            if depth == MAX_QUOTE_DEPTH + 1:
                kept.append(Token("stoa_quote_collapsed", "p", 0))
        elif token.type == "stoa_quote_close":
            depth -= 1
            if depth >= MAX_QUOTE_DEPTH:
                continue
        if depth <= MAX_QUOTE_DEPTH:
            kept.append(token)
    state.tokens = kept


def _inline_by_quote(state) -> None:
    """markdown-it's inline step, with each quote's text resolved against the references
    defined in that quote only (the author's own text against the author's)."""
    envs = [state.env]
    for token in state.tokens:
        if token.type == "stoa_quote_open":
            envs.append({**state.env, "references": token.meta["references"]})
        elif token.type == "stoa_quote_close":
            envs.pop()
        elif token.type == "inline":
            if token.children is None:
                token.children = []
            state.md.inline.parse(token.content, state.md, envs[-1], token.children)


def _render_quote_open(self, tokens, idx, options, env) -> str:
    position = tokens[idx].meta.get("position")
    attr = f' data-quote="{position}"' if position is not None else ""
    return f'<blockquote class="quote"{attr}>\n'


def _render_quote_close(self, tokens, idx, options, env) -> str:
    return "</blockquote>\n"


def _render_quote_collapsed(self, tokens, idx, options, env) -> str:
    return '<p class="quote-collapsed">[…]</p>\n'


_md.block.ruler.before("reference", "stoa_quote", _quote_rule, _TERMINATES)
_md.block.ruler.before("reference", "stoa_quote_close", _quote_close_rule, _TERMINATES)
_md.block.ruler.at("paragraph", _quote_paragraph)
_md.core.ruler.after("block", "stoa_quotes", _quote_structure)
_md.core.ruler.at("inline", _inline_by_quote)
_md.add_render_rule("stoa_quote_open", _render_quote_open)
_md.add_render_rule("stoa_quote_close", _render_quote_close)
_md.add_render_rule("stoa_quote_collapsed", _render_quote_collapsed)


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


@lru_cache(maxsize=8)
def analyse(source: str) -> Analysis:
    """Parse a body once: its markdown tokens, quotes and mentions.

    Cached by source (pure function of the text), so that the content check, the render and
    the sync of one write parse it once. Treat the result as read-only.
    Raises ValidationError when the body is too complex to render within budget.
    """
    if source.count("\n") >= MAX_LINES:
        raise ValidationError(
            {"body": [f"A post can have at most {MAX_LINES:,} lines. Please shorten it."]}
        )
    # markdown-it turns "\r\n" into one character: keep one character per character so that
    # the quotes' offsets are offsets into `source` (clean_body leaves no "\r\n" anyway).
    text = source.replace("\r", " ") if "\r" in source else source
    env: dict = {"_budget": [0], "_source": source}
    tokens = _parse_md(text, env)
    quotes, blocks = env["_quote_found"]
    analysis = Analysis(tokens=tokens, quotes=quotes, blocks=blocks)
    depth = 0
    for token in tokens:
        if token.type == "stoa_quote_open":
            depth += 1
        elif token.type == "stoa_quote_close":
            depth -= 1
        elif token.type == "inline" and token.children:
            for child in token.children:
                if child.type == "mention":
                    analysis.mentions.append((child.content.lower(), depth))
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
    return sanitize(_md.renderer.render(analysis.tokens, _md.options, env))


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
