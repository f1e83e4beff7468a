"""Fixtures for tests/core/export: small real projects, each built once per session and
copied per test (helpers live in export_fixtures.py)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from export_fixtures import build_project, build_schema_project

from studio.core.db.project import Project, open_project


def _built(factory: pytest.TempPathFactory, build: Callable[[Path], None]) -> Path:
    path = factory.mktemp("export_template") / "export.studio"
    build(path)
    return path


def _fresh_copy(template: Path, tmp_path: Path) -> Iterator[Project]:
    path = tmp_path / template.name
    shutil.copyfile(template, path)
    project = open_project(path)
    yield project
    project.close()


@pytest.fixture(scope="session")
def export_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _built(tmp_path_factory, build_project)


@pytest.fixture(scope="session")
def schema_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A classification dataset and a prompt whose response_schema wants JSON."""
    return _built(tmp_path_factory, build_schema_project)


@pytest.fixture
def export_project(export_template: Path, tmp_path: Path) -> Iterator[Project]:
    yield from _fresh_copy(export_template, tmp_path)


@pytest.fixture
def schema_project(schema_template: Path, tmp_path: Path) -> Iterator[Project]:
    yield from _fresh_copy(schema_template, tmp_path)
