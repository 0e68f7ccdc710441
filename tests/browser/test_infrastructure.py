"""The browser fixtures themselves: they must catch what they promise to catch."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE, screenshot

pytestmark = pytest.mark.django_db(transaction=True)

_CSP = "default-src 'self'; script-src 'self'"


def _serve(page, html: str) -> None:
    # A same-origin page with Stoa's kind of CSP, answered by the browser fixture itself.
    page.route(
        "**/__browser-tests__/probe/",
        lambda route: route.fulfill(
            status=200,
            headers={"Content-Type": "text/html", "Content-Security-Policy": _CSP},
            body=html,
        ),
    )
    page.goto("/__browser-tests__/probe/")


def test_an_inline_script_is_reported_as_a_csp_violation(page, page_problems):
    _serve(page, "<!doctype html><title>x</title><script>console.log('ran')</script>")
    page.wait_for_timeout(100)
    assert any("CSP violation: script-src" in p for p in page_problems.seen), page_problems.seen
    page_problems.allow("CSP violation|Content Security Policy")


def test_an_uncaught_exception_and_a_console_error_are_reported(page, page_problems):
    page.goto("/")
    page.evaluate("() => { console.error('boom'); setTimeout(() => { throw new Error('bang') }) }")
    page.wait_for_timeout(100)
    assert any("console error: boom" in p for p in page_problems.seen), page_problems.seen
    assert any("page error: " in p and "bang" in p for p in page_problems.seen)
    page_problems.allow("boom|bang")


def test_axe_runs_under_the_strict_csp_and_finds_a_real_violation(page, page_problems):
    from tests.browser import axe

    _serve(page, '<!doctype html><html lang="en"><title>x</title><main><img src="/x.png"></main>')
    violations = axe.scan(page)
    assert [v["id"] for v in violations] == ["image-alt"]
    page_problems.allow(r"status of 404")
    assert not [p for p in page_problems.seen if "CSP" in p]


def test_the_index_has_no_serious_accessibility_violation(new_page, axe_scan):
    for viewport in (None, PHONE):
        page = new_page(viewport=viewport)
        page.goto("/")
        assert page.title().startswith("Stoa")
        axe_scan(page)


def test_screenshots_are_saved_as_artefacts(page):
    page.goto("/")
    path = screenshot(page, "infrastructure-index")
    assert path.is_file() and path.stat().st_size > 1000
