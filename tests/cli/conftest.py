"""Fixtures for the command-line tests. A module that needs another project (a template
with data, or the path as ``str``) overrides ``proj`` with its own."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture
def proj(empty_template: Path, tmp_path: Path) -> Path:
    """A new, empty project file (a copy of the session's empty template)."""
    path = tmp_path / "p.studio"
    shutil.copyfile(empty_template, path)
    return path
