"""Fixtures for tests/core: a fresh, empty project per test, on each backend.

The data-layer tests (tests/core/{db,datasets,evals,prompts,distil,decide}) run twice
through this one ``project`` fixture: on an SQLite file and on a PostgreSQL database
(ISSUE-14 §1: one parametrised suite); a module with its own ``project`` fixture is left to
parametrise it itself. A test about the file itself (permissions, locks beside the file,
the SQLite header) is marked ``sqlite_only``; every other test runs on both.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.core.db.project import Project, open_project

BACKENDS = ("sqlite", "postgresql")
_BOTH_BACKENDS = ("db", "datasets", "evals", "prompts", "distil", "decide")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: the test is about the SQLite file itself (one backend)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "project" not in metafunc.fixturenames:
        return
    if "project" in vars(metafunc.module):
        return  # the module defines its own ``project`` (parametrised there if it needs)
    folder = Path(str(metafunc.definition.path)).parent.name
    both = (
        folder in _BOTH_BACKENDS and metafunc.definition.get_closest_marker("sqlite_only") is None
    )
    metafunc.parametrize("project", BACKENDS if both else ("sqlite",), indirect=True)


@pytest.fixture
def project(
    request: pytest.FixtureRequest, empty_template: Path, tmp_path: Path
) -> Iterator[Project]:
    """A new, empty project: a file copied from the session's template (creating one runs
    the migrations), or a PostgreSQL database copied from the migrated template database."""
    backend = getattr(request, "param", "sqlite")
    if backend == "postgresql":
        from helpers.pg_server import drop_pg_database, fresh_pg_database

        server = request.getfixturevalue("pg_server")
        template = request.getfixturevalue("pg_empty_template")
        location = fresh_pg_database(server, template)
        p = open_project(location)
        try:
            yield p
        finally:
            p.close()
            drop_pg_database(server, location)
        return
    path = tmp_path / "test.studio"
    shutil.copyfile(empty_template, path)
    p = open_project(path)
    try:
        yield p
    finally:
        p.close()
