"""A fresh project per test, copied from one created per session (creating runs migrations)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.core.db.project import Project, new_project, open_project


@pytest.fixture(scope="session")
def template_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.studio"
    new_project(path).close()  # closing checkpoints the WAL: the file alone is complete
    return path


@pytest.fixture
def project(template_project: Path, tmp_path: Path) -> Iterator[Project]:
    path = tmp_path / "t.studio"
    shutil.copyfile(template_project, path)
    p = open_project(path)
    yield p
    p.close()
