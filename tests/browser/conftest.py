"""Real-browser tests: Playwright for Python driving Debian's Chromium against a live server.

- Chromium is /usr/bin/chromium (or $STOA_CHROMIUM); Playwright's own browser downloads are never
  used. Without Chromium every test here is skipped with that reason; `.ci/run` installs it.
- `live_server` is pytest-django's server thread on 127.0.0.1, in the test process, so it uses
  the tests' database; on a free port, or $STOA_LIVE_SERVER_PORT (+ the xdist worker number).
- `page` / `new_page` fail the test on any console error, uncaught exception or CSP violation the
  page reports, unless the test declares it with `page_problems.allow(regex)`.
- `axe_scan(page)` injects axe-core and returns serious/critical violations.
- `screenshot(page, name)` saves a PNG under $STOA_BROWSER_ARTIFACTS (default
  artifacts/browser/); a failing test saves one of every page it had open.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

from tests.browser import axe

# Playwright's sync API runs an event loop in the test's thread; Django would then refuse ORM
# calls from the test body ("cannot call this from an async context") although nothing here is
# async. The documented way out for test suites is this variable.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("STOA_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(
    os.environ.get(
        "STOA_BROWSER_ARTIFACTS", Path(__file__).resolve().parents[2] / "artifacts" / "browser"
    )
)
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def _chromium_path() -> str | None:
    found = shutil.which(CHROMIUM) if not os.path.isabs(CHROMIUM) else CHROMIUM
    return found if found and os.access(found, os.X_OK) else None


@pytest.fixture(scope="session")
def browser() -> Iterator:
    executable = _chromium_path()
    if executable is None:
        pytest.skip(
            f"Chromium not found at {CHROMIUM} (apt-get install -y chromium, or set STOA_CHROMIUM)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # --no-sandbox: CI and the development machines run as root, where Chromium's sandbox
        # cannot start.
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def axe_script() -> str:
    return axe.install().read_text()


@pytest.fixture(scope="session")
def live_server(request, worker_id):
    """pytest-django's live server on loopback, for the whole session."""
    from pytest_django.live_server_helper import LiveServer

    port = 0  # any free port, so that several checkouts can run the suite at once
    if base := os.environ.get("STOA_LIVE_SERVER_PORT"):
        port = int(base) + (0 if worker_id == "master" else int(worker_id.removeprefix("gw")))
    server = LiveServer(f"127.0.0.1:{port}")
    yield server
    server.stop()


@dataclass
class PageProblems:
    """Console errors, uncaught exceptions and CSP violations seen by the test's pages."""

    seen: list[str] = field(default_factory=list)
    allowed: list[re.Pattern] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        """Expect messages matching `pattern` (e.g. the 404 a test asks for on purpose)."""
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [m for m in self.seen if not any(p.search(m) for p in self.allowed)]


@pytest.fixture
def page_problems() -> PageProblems:
    return PageProblems()


# Reports every CSP violation to the test, also those Chromium would not log to the console
# (e.g. a blocked inline style attribute when style-src is tightened). Init scripts run through
# the DevTools protocol, outside the page's CSP.
_CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', (e) => {
  window.__stoaCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`
                            + ` at ${e.sourceFile || location.href}:${e.lineNumber}`);
});
"""


@pytest.fixture
def new_page(
    browser, live_server, axe_script, page_problems, request
) -> Iterator[Callable[..., object]]:
    """Open a page in a fresh browser context (its own cookies): `new_page(viewport=PHONE)`."""
    contexts = []
    pages = []

    def make(*, viewport: dict | None = None, user=None):
        context = browser.new_context(
            viewport=viewport or DESKTOP,
            base_url=live_server.url,
            # Phones report touch; the layout must not depend on hover there.
            has_touch=viewport == PHONE,
            is_mobile=viewport == PHONE,
        )
        context.set_default_timeout(10_000)
        context.expose_binding(
            "__stoaCspViolation",
            lambda source, text: page_problems.seen.append(f"CSP violation: {text}"),
        )
        context.add_init_script(_CSP_LISTENER)
        context.route(
            "**" + axe.AXE_URL_PATH,
            lambda route: route.fulfill(
                status=200, content_type="application/javascript", body=axe_script
            ),
        )
        if user is not None:
            sign_in_by_cookie(context, live_server, user)
        page = context.new_page()
        page.on(
            "console",
            lambda msg: (
                page_problems.seen.append(f"console {msg.type}: {msg.text} ({page.url})")
                if msg.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda exc: page_problems.seen.append(f"page error: {exc}"))
        contexts.append(context)
        pages.append(page)
        return page

    yield make

    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed:
        for i, page in enumerate(pages):
            screenshot(page, f"FAILED-{request.node.name}-{i}")
    for context in contexts:
        context.close()
    problems = page_problems.unexpected()
    if problems and not failed:
        pytest.fail("the browser reported problems:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def page(new_page):
    return new_page()


def sign_in_by_cookie(context, live_server, user) -> None:
    """Give a browser context the session of `user` without going through the form."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [{"name": cookie.key, "value": cookie.value, "url": live_server.url, "httpOnly": True}]
    )


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def axe_scan():
    def run(page, context: str | None = None) -> None:
        violations = axe.scan(page, context=context)
        assert not violations, f"axe on {page.url}:\n" + axe.format_violations(violations)

    return run


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    # Lets the page fixture know whether the test body failed (screenshots, no double report).
    setattr(item, f"rep_{report.when}", report)
    return report
