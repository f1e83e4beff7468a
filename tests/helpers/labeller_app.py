"""The app as labeller alice beside labeller bob on the command line (team UI tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers.backends import on_backend
from studio.core.db.project import Project, open_project

REPO = Path(__file__).resolve().parents[2]


def as_alice_on(
    request: pytest.FixtureRequest, project: Project, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Project]:
    """The datasets views' project with the app's user alice: as it is (``sqlite``) or
    copied to a fresh database on the test server (``postgresql``), by ``request.param``."""
    monkeypatch.setenv("STUDIO_USER", "alice")
    if request.param == "sqlite":
        yield project
        return
    assert project.file is not None
    server = open_project(on_backend(request, project.file, "postgresql"))
    yield server
    server.close()


def bob(project: Project, *argv: str) -> None:
    """``studio dataset COMMAND --project P banking77 …`` as labeller bob in another process."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "STUDIO_USER": "bob"}
    where = str(project.file or project.location)
    command, *rest = argv
    cli = [sys.executable, "-m", "studio", "dataset", command, "--project", where, "banking77"]
    done = subprocess.run(
        [*cli, *rest],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env=env,
    )
    assert done.returncode == 0, done.stderr
