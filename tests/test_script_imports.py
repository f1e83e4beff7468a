"""Scripts outside the package (benchmarks, packaging, the screenshot script) import names
that exist: no test imports them, so a module moved inside studio/ would break them
silently (the screenshot script did, once, after the evals were split)."""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(
    p
    for folder in ("benchmarks", "packaging", "resources/screenshots")
    for p in (REPO / folder).glob("*.py")
)


def _studio_imports(path: Path) -> list[tuple[int, str, str]]:
    """(line, module, name) of every ``from studio… import name``, at any depth."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        (node.lineno, node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("studio")
        for alias in node.names
    ]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_studio_name_a_script_imports_exists(script: Path) -> None:
    missing = []
    for line, module, name in _studio_imports(script):
        try:
            # `from package import submodule` names a module, not an attribute
            found = hasattr(importlib.import_module(module), name) or (
                importlib.util.find_spec(f"{module}.{name}") is not None
            )
        except ImportError:
            found = False
        if not found:
            missing.append(f"{script.name}:{line}: from {module} import {name}")
    assert missing == []
