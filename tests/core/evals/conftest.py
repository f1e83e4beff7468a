"""Fixtures for tests/core/evals: the A/B project on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.ab_project import AbProject, build_ab_project
from helpers.backends import BACKENDS, on_backend


@pytest.fixture(params=BACKENDS)
def ab(request: pytest.FixtureRequest, tmp_path: Path) -> AbProject:
    """The shared A/B project (tests/conftest.py ``ab``) as a file, or copied to a fresh
    PostgreSQL database: ``ab.path`` is then its ``postgresql://`` location."""
    n_train = getattr(request.module, "AB_N_TRAIN", None)
    extra = {} if n_train is None else {"n_train": n_train}
    built = build_ab_project(tmp_path / "ab.studio", n_test=request.module.N, **extra)
    built.path = on_backend(request, built.path, request.param)  # type: ignore[assignment]
    return built
