"""The apps' dependency direction ([tool.importlinter] in pyproject.toml): accounts <- forum <-
moderation, with core and integrations importing no app. Checked with import-linter on the
code as it is, and on copies of it given one forbidden import, so the check itself is shown to
bite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("accounts", "forum", "moderation", "core", "integrations", "stoa")
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - the venv's own lint-imports, fixed arguments
        [str(LINT), "--no-cache", "--config", str(cwd / "pyproject.toml")],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_code_keeps_every_import_contract():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture
def copy_of_the_code(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.onnx", "*.npz", "*.json*", "static"),
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize(
    ("module", "forbidden", "contract"),
    [
        ("forum/services.py", "from moderation import services", "accounts <- forum <- moderation"),
        ("forum/selectors.py", "from moderation.models import Notice", "accounts <- forum"),
        ("accounts/views.py", "from forum import selectors", "accounts <- forum <- moderation"),
        ("core/api/views.py", "from forum import policy", "core and integrations import no app"),
        ("integrations/mail.py", "import accounts.models", "core and integrations import no app"),
    ],
)
def test_an_import_against_the_direction_breaks_a_contract(
    copy_of_the_code: Path, module: str, forbidden: str, contract: str
):
    path = copy_of_the_code / module
    path.write_text((path.read_text() if path.exists() else "") + f"\n{forbidden}\n")
    result = _lint(copy_of_the_code)
    assert result.returncode != 0
    assert f"{contract}" in result.stdout and "BROKEN" in result.stdout
