from __future__ import annotations

import time
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import User
from forum import markup, quotes, services
from forum.models import Post

pytestmark = pytest.mark.django_db

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<svg onload="alert(1)">',
    "<svg><script>alert(1)</script></svg>",
    "<math><mtext><script>alert(1)</script></mtext></math>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<body onload=alert(1)>",
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](%6Aavascript:alert(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    "[click](file:///etc/passwd)",
    "[ref link][r]\n\n[r]: javascript:alert(1)",
    "[ref link][r]\n\n[r]: data:text/html,<script>alert(1)</script>",
    '[ref][r]\n\n[r]: https://ok.example "a" onmouseover="alert(1)',
    "<javascript:alert(1)>",
    "<data:text/html,alert(1)>",
    "![x](javascript:alert(1))",
    '![x](https://example.com/a.png" onerror="alert(1))',
    '[x](https://example.com/" onclick="alert(1))',
    '<a href="https://ok.example" onclick="alert(1)">x</a>',
    "<object data=javascript:alert(1)></object>",
    "<embed src=javascript:alert(1)>",
    "<form action=javascript:alert(1)><input type=submit></form>",
    "<details open ontoggle=alert(1)>",
    "<marquee onstart=alert(1)>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<base href=javascript:alert(1)//>",
    "<link rel=stylesheet href=javascript:alert(1)>",
    "`<script>` and ```\n<script>alert(1)</script>\n```",
    "**<img src=x onerror=alert(1)>**",
    "> <script>alert(1)</script>",
    "- <svg/onload=alert(1)>",
    "<<script>script>alert(1)<</script>/script>",
    "<!--<script>alert(1)//-->",
    '<blockquote class="quote" data-quote="0">forged placeholder</blockquote>',
    '[quote="x" post=1]<script>alert(1)</script>[/quote]',
    '[quote="x" post=1][click](javascript:alert(1))[/quote]',
    '[quote="<script>alert(1)</script>" post=1]x[/quote]',
    "[quote=\"x' onmouseover='alert(1)\" post=1]x[/quote]",
    '[quote="x\\" onmouseover=\\"alert(1)" post=1]x[/quote]',
    "[quote=<img/src/onerror=alert(1)> post=1]x[/quote]",
    "@<script>alert(1)</script>",
]

SAFE_SCHEMES = {"", "http", "https", "mailto"}  # "" is a relative link
FORBIDDEN_TAGS = {
    "script",
    "style",
    "iframe",
    "svg",
    "math",
    "img",
    "object",
    "embed",
    "form",
    "input",
    "meta",
    "base",
    "link",
    "details",
    "marquee",
    "body",
}


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def assert_safe(html: str, *, page: bool = False) -> None:
    """No active content. `page`: a whole page, whose own chrome has forms and plain links."""
    parser = _Collector()
    parser.feed(html)
    forbidden = FORBIDDEN_TAGS - {"form", "input"} if page else FORBIDDEN_TAGS
    for tag, attrs in parser.tags:
        assert tag not in forbidden, html
        for name, value in attrs.items():
            assert not name.startswith("on"), html
            assert name != "style", html
            if name in {"href", "src", "action", "formaction"}:
                # Browsers drop whitespace and control characters inside a scheme.
                squeezed = "".join(c for c in value or "" if c.isprintable() and not c.isspace())
                assert urlsplit(squeezed.lower()).scheme in SAFE_SCHEMES, html
        if tag == "a" and not page:
            assert set(attrs.get("rel", "").split()) >= {"nofollow", "ugc", "noopener"}, html


def test_there_are_at_least_forty_payloads():
    assert len(XSS_PAYLOADS) >= 40


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_no_xss_payload_survives_the_stored_html(payload):
    assert_safe(markup.render_markdown(payload))


def test_no_xss_payload_survives_rendering_for_a_reader_or_the_page(member, thread, client):
    services.post_reply(author=member, thread=thread, body="x = 1")
    for payload in XSS_PAYLOADS:
        post = services.post_reply(author=member, thread=thread, body=payload)
        post = Post.objects.prefetch_related("quotes__source__author").get(pk=post.pk)
        assert_safe(quotes.render_post_html(post, member))
    client.force_login(member)
    for page in range(1, 4):
        content = client.get(thread.get_absolute_url(), {"page": page}).content.decode()
        body = content[content.index("<article") : content.rindex("</article>")]
        assert_safe(body, page=True)


def test_raw_html_is_shown_as_text():
    html = markup.render_markdown("Hello <b>bold</b> & <script>alert(1)</script>")
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "&lt;script&gt;" in html
    assert "<b>" not in html


def test_links_get_nofollow_ugc_noopener():
    html = markup.render_markdown("[site](https://example.com) and <https://example.org>")
    assert html.count('rel="nofollow ugc noopener"') == 2


def test_hostile_username_is_escaped_in_quotes_and_pages(member, thread, client):
    evil = User.objects.create(username='<img src=x onerror="alert(1)">', display_name="<b>x")
    source = services.post_reply(author=evil, thread=thread, body="Original words")
    body = quotes.quote_markup(post=source, user=member)
    reply = services.post_reply(author=member, thread=thread, body=body)
    reply = Post.objects.prefetch_related("quotes__source__author").get(pk=reply.pk)
    html = quotes.render_post_html(reply, member)
    assert_safe(html)
    assert "&lt;img src=x" in html
    page = client.get(thread.get_absolute_url()).content.decode()
    assert '<img src=x onerror="alert(1)">' not in page


def test_oversize_body_is_refused_before_parsing(member, thread):
    with pytest.raises(ValidationError) as exc:
        services.post_reply(author=member, thread=thread, body="a" * 60_001)
    assert "60,000" in str(exc.value.message_dict["body"])
    assert thread.posts.count() == 1


def test_markdown_bomb_over_http_is_a_form_error_not_a_500(client, member, thread):
    client.force_login(member)
    response = client.post(reverse("forum:reply", args=[thread.pk]), {"body": "[" * 20000})
    assert response.status_code == 200
    assert b"too much formatting" in response.content
    assert thread.posts.count() == 1


PATHOLOGICAL = {
    '">" * 10000': ">" * 10000,
    '"> " * 10000': "> " * 10000 + "x",
    '"[" * 20000': "[" * 20000,
    "10,000 nested lists": "\n".join("  " * i + "- x" for i in range(10000))[:60000],
    '"- " * 10000': "- " * 10000 + "x",
    "10k nested quotes": "[quote]" * 5000 + "x" + "[/quote]" * 5000,
    "10k nested named quotes": '[quote="a" post=1]' * 2000 + "x" + "[/quote]" * 2000,
    '"*a" * 20000': "*a" * 20000,
    '"![" * 10000': "![" * 10000,
    '"`" * 60000': "`" * 60000,
    '"```\\n" * 15000': "```\n" * 15000,
    '"a\\n" * 30000': "a\n" * 30000,
    '"<" * 60000': "<" * 60000,
    '"@a " * 20000': "@a " * 20000,
}


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_pathological_bodies_render_or_are_refused_quickly(name, capsys):
    source = PATHOLOGICAL[name][:60_000]
    markup.analyse.cache_clear()
    started = time.perf_counter()
    try:
        html = markup.render_markdown(source)
    except ValidationError as exc:
        outcome = "refused"
        assert "too much formatting" in str(exc) or "at most 2,000 lines" in str(exc)
    else:
        outcome = f"rendered {len(html)} chars"
        assert_safe(html)
        # Nesting is capped: markdown-it stops nesting at maxNesting, quotes collapse.
        assert html.count("<blockquote") <= markup.MAX_NESTING + markup.MAX_QUOTE_DEPTH
    elapsed = (time.perf_counter() - started) * 1000
    with capsys.disabled():
        print(f"\n  {name:28} {outcome:24} {elapsed:7.1f} ms")
    # The target is ~100 ms; the bound is generous so a loaded CI machine does not flake.
    assert elapsed < 1500


def test_a_body_of_too_many_lines_is_refused_before_parsing():
    with pytest.raises(ValidationError) as exc:
        markup.analyse("a\n" * markup.MAX_LINES)
    assert "2,000 lines" in str(exc.value)
    # A long but ordinary post, a training log of a few hundred lines, is fine.
    log = "".join(f"Day {i}: squat 5x5 at {60 + i} kg, felt good\n\n" for i in range(300))
    assert markup.render_markdown(log).count("<p>") == 300


def test_plain_long_prose_is_not_refused():
    prose = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 20 + "\n\n") * 50
    html = markup.render_markdown(prose[:60_000])
    assert html.count("<p>") >= 40


def test_blockquote_nesting_is_capped():
    html = markup.render_markdown(">" * 10000 + " deep")
    assert html.count("<blockquote>") <= markup.MAX_NESTING


def test_deep_quotes_collapse_past_the_third_level():
    body = '[quote="a" post=1]' * 6 + "x" + "[/quote]" * 6
    analysis = markup.analyse(body)
    assert [q.depth for q in analysis.quotes] == [1, 2, 3]
    html = markup.render_markdown(body)
    assert html.count('class="quote"') == 3
    assert "quote-collapsed" in html


def test_quote_tags_inside_code_are_text():
    body = 'Write `[quote="a" post=1]x[/quote]` like this:\n\n```\n[quote]y[/quote]\n```'
    assert markup.analyse(body).quotes == []
    html = markup.render_markdown(body)
    assert "data-quote" not in html
    assert '<code>[quote="a" post=1]x[/quote]</code>' in html


def test_a_quote_tag_in_an_indented_code_block_is_code():
    body = 'Type it like this:\n\n    [quote="a" post=1]x[/quote]\n\nand it quotes.'
    assert markup.analyse(body).quotes == []
    assert markup.analyse(body).blocks == []
    html = markup.render_markdown(body)
    assert "data-quote" not in html
    assert '<code>[quote="a" post=1]x[/quote]\n</code>' in html
    # Its text stays in what the author wrote themselves (search indexes it).
    assert "[quote=" in markup.own_text(body)


def test_a_closing_tag_in_a_fenced_block_does_not_close_the_quote():
    body = '[quote="a" post=1]\nSee:\n\n```\n[/quote]\n```\nstill quoted\n[/quote]\nmine'
    analysis = markup.analyse(body)
    assert [q.username for q in analysis.quotes] == ["a"]
    assert "still quoted" in analysis.quotes[0].excerpt
    html = markup.render_markdown(body)
    assert html.count('class="quote"') == 1
    assert "<code>[/quote]\n</code>" in html


def test_a_quote_in_a_list_item_is_a_quote():
    # Indented under a list item the lines continue it: not an indented code block.
    body = '- first\n\n  [quote="a" post=1]\n  quoted words\n  [/quote]\n- second'
    analysis = markup.analyse(body)
    assert [(q.username, q.excerpt) for q in analysis.quotes] == [("a", "quoted words")]
    assert 'data-quote="0"' in markup.render_markdown(body)


def test_an_unclosed_quote_tag_and_an_unclosed_fence_stay_text():
    body = '[quote="a" post=1]\n```\n[/quote]'
    assert markup.analyse(body).quotes == []
    assert "data-quote" not in markup.render_markdown(body)
    assert markup.analyse('[quote="a" post=1] never closed').quotes == []


def test_nested_quotes_past_the_depth_are_collapsed_even_beside_code():
    inner = '[quote="c" post=3]deep[/quote]'
    body = (
        "    [quote]not a quote[/quote]\n\n"
        f'[quote="a" post=1]\n[quote="b" post=2]\n[quote="c" post=3]\n{inner}\n'
        "[/quote]\n[/quote]\n[/quote]"
    )
    analysis = markup.analyse(body)
    assert [q.depth for q in analysis.quotes] == [1, 2, 3]
    assert "quote-collapsed" in markup.render_markdown(body)


def test_unbalanced_quote_tags_stay_text():
    html = markup.render_markdown('[/quote] stray [quote="a" post=1] never closed')
    assert "data-quote" not in html
    assert "[/quote] stray" in html


def test_a_quote_in_a_list_item_renders_inside_the_item():
    body = '- first\n\n  [quote="a" post=1]\n  quoted words\n  [/quote]\n- second'
    html = markup.render_markdown(body)
    first_item = html[html.index("<li>") : html.index("</li>")]
    assert 'data-quote="0"' in first_item
    assert "<p>quoted words</p>" in first_item
    assert html.index("</blockquote>") < html.index("<li>", html.index("<li>") + 1)
    # On one line, in a tight list, too.
    html = markup.render_markdown('- [quote="a" post=1]short[/quote]\n- next')
    assert html.startswith('<ul>\n<li>\n<blockquote class="quote" data-quote="0">\n<p>short')
    assert html.endswith("</blockquote>\n</li>\n<li>next</li>\n</ul>\n")


def test_a_quote_tag_in_the_middle_of_a_line_is_text():
    body = 'As she said [quote="a" post=1]squat deep[/quote] and so on'
    assert markup.analyse(body).quotes == []
    html = markup.render_markdown(body)
    assert "data-quote" not in html
    assert 'As she said [quote="a" post=1]squat deep[/quote] and so on' in html
    # A closing tag that does not end its line does not close.
    body = '[quote="a" post=1]\nwords [/quote] more words'
    assert markup.analyse(body).quotes == []


def test_an_unclosed_quote_is_text_and_the_rest_of_the_post_renders():
    body = '[quote="a" post=1]\nforgot to close\n\n**mine**'
    analysis = markup.analyse(body)
    assert analysis.quotes == [] and analysis.blocks == []
    html = markup.render_markdown(body)
    assert '<p>[quote="a" post=1]\nforgot to close</p>' in html
    assert "<strong>mine</strong>" in html
    assert markup.own_text(body) == body


def test_a_quote_in_fenced_or_indented_code_is_code():
    fenced = 'Like this:\n\n```\n[quote="a" post=1]\nx\n[/quote]\n```\n'
    indented = 'Like this:\n\n    [quote="a" post=1]\n    x\n    [/quote]\n'
    for body in (fenced, indented):
        assert markup.analyse(body).quotes == []
        html = markup.render_markdown(body)
        assert "data-quote" not in html
        assert '<code>[quote="a" post=1]\nx\n[/quote]\n</code>' in html
    # Code inside a quote stays code, and the quote still closes after it.
    body = '[quote="a" post=1]\n    [/quote]\n[/quote]'
    assert [q.excerpt for q in markup.analyse(body).quotes] == ["[/quote]"]
    assert "<code>[/quote]\n</code>" in markup.render_markdown(body)


def test_one_run_of_closing_tags_ends_the_quotes_it_closes_and_no_more():
    body = '[quote="a" post=1]\n[quote="b" post=2]\ninner[/quote][/quote]\nmine'
    analysis = markup.analyse(body)
    assert [(q.username, q.depth, q.excerpt) for q in analysis.quotes] == [
        ("a", 1, '[quote="b" post=2]\ninner[/quote]'),
        ("b", 2, "inner"),
    ]
    html = markup.render_markdown(body)
    assert html.endswith("</blockquote>\n</blockquote>\n<p>mine</p>\n")
    # A closing tag too many is the quoted text's own.
    html = markup.render_markdown('[quote="a" post=1]x[/quote][/quote]')
    assert '<blockquote class="quote" data-quote="0">\n<p>x[/quote]</p>\n</blockquote>' in html


def test_a_closed_quote_inside_an_unclosed_one_is_still_a_quote():
    body = '[quote="a" post=1]\n[quote="b" post=2]\ninner\n[/quote]\nno end'
    analysis = markup.analyse(body)
    assert [(q.username, q.depth) for q in analysis.quotes] == [("b", 1)]
    assert markup.render_markdown(body).startswith('<p>[quote="a" post=1]</p>')


def test_many_unclosed_quotes_cost_one_attempt_each():
    body = "".join(f'[quote="m{i}" post={i}]\nline {i}\n\n' for i in range(40))
    started = time.perf_counter()
    assert markup.analyse(body).quotes == []
    assert time.perf_counter() - started < 0.5


def test_references_resolve_inside_the_quote_that_defines_them_only():
    body = (
        '[quote="a" post=1]\nsee [guide]\n\n[guide]: https://quoted.example/\n[/quote]\n\n'
        "and [guide] and [mine]\n\n[mine]: https://author.example/"
    )
    html = markup.render_markdown(body)
    quoted = html[: html.index("</blockquote>")]
    assert 'href="https://quoted.example/"' in quoted
    assert html.count("quoted.example") == 1
    assert "and [guide] and " in html
    assert 'href="https://author.example/"' in html[html.index("</blockquote>") :]


def test_mentions_carry_the_depth_of_the_quote_they_are_in():
    body = '@ann\n\n[quote="a" post=1]\n@bob\n[quote="b" post=2]@cy[/quote]\n[/quote]'
    assert markup.analyse(body).mentions == [("ann", 0), ("bob", 1), ("cy", 2)]
    assert markup.analyse(body).own_mentions == ["ann"]


def test_mentions_link_existing_active_members_case_insensitively(member):
    inactive = User.objects.create(username="sleeper", is_active=False)
    html = markup.render_markdown(
        f"Hi @{member.username.upper()}, @{inactive.username} and @nobody; "
        f"mail {member.username}@example.com"
    )
    assert html.count('class="mention"') == 1
    assert f'href="/accounts/u/{member.username}/"' in html or member.get_absolute_url() in html
    assert "@sleeper" in html
    assert "@nobody" in html


def test_mentions_are_not_linked_inside_code(member):
    html = markup.render_markdown(f"`@{member.username}`\n\n```\n@{member.username}\n```")
    assert 'class="mention"' not in html


def test_gfm_tables_render_inside_a_scrolling_box_with_alignment_as_classes():
    html = markup.render_markdown("| lift | kg |\n|:-----|---:|\n| squat | 140 |")
    assert '<div class="table-wrap" tabindex="0"><table>' in html
    assert '<th class="align-left">lift</th>' in html
    assert '<td class="align-right">140</td>' in html
    assert "style=" not in html
    assert "|" not in html


def test_strikethrough():
    assert "<s>5x5</s>" in markup.render_markdown("~~5x5~~ 3x8 now")


def test_bare_urls_and_domains_are_linked_but_not_inside_code():
    html = markup.render_markdown(
        "See kimlifts.example.org or https://example.com/x. `https://no.example`"
    )
    assert '<a href="http://kimlifts.example.org" rel="nofollow ugc noopener">' in html
    assert '<a href="https://example.com/x" rel="nofollow ugc noopener">' in html
    assert "<code>https://no.example</code>" in html


@pytest.mark.parametrize(
    ("source", "tag"), [("# Big", "h3"), ("## Less", "h4"), ("### Small", "h5"), ("#### x", "h6")]
)
def test_headings_in_a_post_never_outrank_the_page_and_post_headings(source, tag):
    html = markup.render_markdown(source)
    assert html.startswith(f"<{tag}>")
    assert "<h1" not in html and "<h2" not in html


def test_setext_headings_are_demoted_too():
    assert markup.render_markdown("Title\n=====").startswith("<h3>")


def test_images_become_links_named_by_their_alt_text_and_are_never_loaded():
    html = markup.render_markdown("![my squat rack](https://tracker.example/p.png)")
    assert "<img" not in html
    assert (
        '<a class="image-link" href="https://tracker.example/p.png" rel="nofollow ugc noopener">'
        "Image: my squat rack</a>"
    ) in html
    assert ">Image: p.png</a>" in markup.render_markdown("![](https://tracker.example/p.png)")


def test_an_image_with_a_dangerous_url_is_not_linked():
    html = markup.render_markdown("![x](javascript:alert(1))")
    assert "javascript" not in html.split(">", 1)[0]
    assert 'href="javascript' not in html


def test_a_body_full_of_link_like_runs_stays_text_instead_of_costing_seconds():
    started = time.perf_counter()
    html = markup.render_markdown("www.a.example " * 3000)
    assert "<a " not in html
    assert time.perf_counter() - started < 1.0


def test_a_huge_table_keeps_its_first_rows_as_a_table():
    rows = "".join(f"| {i} | x |\n" for i in range(markup.MAX_TABLE_ROWS + 50))
    html = markup.render_markdown("| n | v |\n|---|---|\n" + rows)
    assert html.count("<tr>") == markup.MAX_TABLE_ROWS + 1
