"""Fixtures for tests/core/export: a small real project, built once per session and copied
per test (helpers live in export_fixtures.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from export_fixtures import build_project

from studio.core.db.project import Project, open_project


@pytest.fixture(scope="session")
def export_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("export_template") / "export.studio"
    build_project(path)
    return path


@pytest.fixture
def export_project(export_template: Path, tmp_path: Path) -> Iterator[Project]:
    path = tmp_path / "export.studio"
    shutil.copyfile(export_template, path)
    project = open_project(path)
    yield project
    project.close()
