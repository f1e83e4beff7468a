"""Fixtures for tests/core/distil: a built project on each backend."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.backends import BACKENDS, on_backend


@pytest.fixture(params=BACKENDS)
def place(request: pytest.FixtureRequest) -> Callable[[Path], Path | str]:
    """Puts a project file a builder made on the test's backend: the file itself, or a
    fresh PostgreSQL database holding a copy of it (its ``postgresql://`` location)."""
    return lambda path: on_backend(request, path, request.param)
