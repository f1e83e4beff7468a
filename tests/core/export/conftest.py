"""Fixtures for tests/core/export: fresh copies of the session's export and schema
templates (tests/conftest.py; the builders live in helpers/export_project.py), on each
backend: the file, or the same project copied to PostgreSQL (ISSUE-14 §1)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.backends import BACKENDS, on_backend

from studio.core.db.project import Project, open_project


def _fresh_copy(
    request: pytest.FixtureRequest, template: Path, tmp_path: Path
) -> Iterator[Project]:
    path = tmp_path / template.name
    shutil.copyfile(template, path)
    project = open_project(on_backend(request, path, request.param))
    yield project
    project.close()


@pytest.fixture(params=BACKENDS)
def export_project(
    request: pytest.FixtureRequest, export_template: Path, tmp_path: Path
) -> Iterator[Project]:
    yield from _fresh_copy(request, export_template, tmp_path)


@pytest.fixture(params=BACKENDS)
def schema_project(
    request: pytest.FixtureRequest, schema_template: Path, tmp_path: Path
) -> Iterator[Project]:
    yield from _fresh_copy(request, schema_template, tmp_path)
