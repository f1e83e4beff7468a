"""Fixtures for tests/core/export: fresh copies of the session's export and schema
templates (tests/conftest.py; the builders live in helpers/export_project.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.core.db.project import Project, open_project


def _fresh_copy(template: Path, tmp_path: Path) -> Iterator[Project]:
    path = tmp_path / template.name
    shutil.copyfile(template, path)
    project = open_project(path)
    yield project
    project.close()


@pytest.fixture
def export_project(export_template: Path, tmp_path: Path) -> Iterator[Project]:
    yield from _fresh_copy(export_template, tmp_path)


@pytest.fixture
def schema_project(schema_template: Path, tmp_path: Path) -> Iterator[Project]:
    yield from _fresh_copy(schema_template, tmp_path)
