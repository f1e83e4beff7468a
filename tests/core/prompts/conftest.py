"""A fresh project per test, copied from the session's empty template (creating runs migrations)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.core.db.project import Project, open_project


@pytest.fixture
def project(empty_template: Path, tmp_path: Path) -> Iterator[Project]:
    path = tmp_path / "t.studio"
    shutil.copyfile(empty_template, path)
    p = open_project(path)
    yield p
    p.close()
