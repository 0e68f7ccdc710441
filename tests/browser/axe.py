"""axe-core for the browser tests: where the script lives, how to install it, how to scan a page.

axe-core comes from the npm registry (it is JavaScript, not a Python package). `.ci/run`
installs it with `python -m tests.browser.axe`; a developer's first browser test run installs it
the same way when npm is present. The script is injected with `page.add_script_tag(url=...)`
from a same-origin URL that Playwright answers itself (`page.route`), so the page's strict CSP
(`script-src 'self'`) stays on while axe runs: a scan never needs `bypass_csp`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

AXE_VERSION = "4.14.1"
# Never served by Stoa: the browser fixture answers this path from the file on disk.
AXE_URL_PATH = "/__browser-tests__/axe.min.js"
# WCAG 2.0/2.1/2.2 A and AA rules; axe's "best-practice" rules are reported too but only
# serious and critical results fail a test.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
FAILING_IMPACTS = {"serious", "critical"}


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "stoa" / f"axe-core-{AXE_VERSION}"


def script_path() -> Path:
    """axe.min.js: $STOA_AXE_CORE when set, else the npm install in the user's cache."""
    if explicit := os.environ.get("STOA_AXE_CORE"):
        return Path(explicit)
    return cache_dir() / "node_modules" / "axe-core" / "axe.min.js"


def install() -> Path:
    """Install axe-core from the npm registry into the cache (idempotent)."""
    path = script_path()
    if path.is_file():
        return path
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError(
            f"axe-core is not installed at {path} and npm is not on PATH: "
            f"install Node.js (apt-get install -y npm) or set STOA_AXE_CORE to axe.min.js"
        )
    cache_dir().mkdir(parents=True, exist_ok=True)
    subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [
            npm,
            "install",
            "--no-save",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(cache_dir()),
            f"axe-core@{AXE_VERSION}",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    if not path.is_file():
        raise RuntimeError(f"npm installed axe-core but {path} is missing")
    return path


def scan(page, *, context: str | None = None) -> list[dict]:
    """Run axe on the page as it is now; return the serious and critical violations.

    `context` is an optional CSS selector to limit the scan (the whole document otherwise).
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        origin = page.evaluate("() => location.origin")
        page.add_script_tag(url=origin + AXE_URL_PATH)
    result = page.evaluate(
        """async ([context, tags]) => {
            const r = await axe.run(
                context ? document.querySelector(context) : document,
                {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(
                    n => ({target: n.target, summary: n.failureSummary})),
            }));
        }""",
        [context, AXE_TAGS],
    )
    return [v for v in result if v["impact"] in FAILING_IMPACTS]


def format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['impact']}: {v['id']} ({v['help']})")
        for node in v["nodes"]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['summary']}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(install())
    sys.exit(0)
