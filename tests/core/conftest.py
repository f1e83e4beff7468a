"""Fixtures for tests/core: a fresh, empty project per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.core.db.project import Project, open_project


@pytest.fixture
def project(empty_template: Path, tmp_path: Path) -> Iterator[Project]:
    """A new, empty project file, copied from the session's template (creating one runs
    the migrations)."""
    path = tmp_path / "test.studio"
    shutil.copyfile(empty_template, path)
    p = open_project(path)
    try:
        yield p
    finally:
        p.close()
