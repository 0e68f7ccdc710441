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


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _is_project_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return name.split(".")[0] in PACKAGES and (
        path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()
    )


def private_imports(source: str, module: str) -> list[str]:
    """Where `source` (the code of `module`) uses another project module's private names:
    ``from forum.markup import _scan`` and ``markup._scan`` after ``from forum import markup``
    (or ``import forum.markup as markup``)."""
    import ast

    tree = ast.parse(source)
    found: list[str] = []
    modules: dict[str, str] = {}  # local name -> project module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                if _is_project_module(submodule):
                    modules[alias.asname or alias.name] = submodule
                elif (
                    _is_private(alias.name)
                    and _is_project_module(node.module)
                    and node.module != module
                ):
                    found.append(f"{module}:{node.lineno} from {node.module} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname and _is_project_module(alias.name):
                    modules[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and modules[node.value.id] != module
            and _is_private(node.attr)
        ):
            found.append(f"{module}:{node.lineno} {modules[node.value.id]}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names():
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            found += private_imports(path.read_text(), _module_name(path))
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    "source",
    [
        "from forum.markup import _scan\n",
        "from forum import markup\nmarkup._scan('x')\n",
        "import forum.markup as markup\nvalue = markup._LIMIT\n",
    ],
)
def test_the_private_name_check_bites(source):
    assert private_imports(source, "forum.quotes")


def test_the_private_name_check_allows_public_and_own_names():
    source = (
        "from forum import markup\nfrom forum.markup import analyse\n"
        "markup.analyse('x')\nmarkup.__name__\n"
    )
    assert not private_imports(source, "forum.quotes")
    assert not private_imports("from forum.quotes import _own\n", "forum.quotes")
