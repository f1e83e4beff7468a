"""Test-wide fixtures: offscreen Qt, a private data/config/cache home, no real keyring."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests never use the developer's keyring (CI has none either): the null backend
# makes keyring report "no backend", the case the studio must handle honestly.
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
os.environ.pop("OPENAI_API_KEY", None)

REPO = Path(__file__).resolve().parents[1]
BANKING77 = REPO / "tests" / "data" / "banking77"  # vendored: tests/data/banking77/README.md


@pytest.fixture(autouse=True)
def studio_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Redirect every per-user folder (data, config, cache, log) to a fresh temp folder."""
    home = tmp_path_factory.mktemp("studio_home")
    monkeypatch.setenv("STUDIO_HOME", str(home))
    monkeypatch.setenv("STUDIO_USER", "tester")
    return home


@pytest.fixture(autouse=True)
def forget_remembered_keys() -> Iterator[None]:
    """Each test starts with no key remembered by the redactor (studio.core.redact) and
    no plain-http opt-in (studio.core.llm.key_policy)."""
    from studio.core.llm.key_policy import forget_insecure_opt_ins
    from studio.core.redact import forget_all

    forget_all()
    forget_insecure_opt_ins()
    yield
    forget_all()
    forget_insecure_opt_ins()


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """Fail a test that leaves a non-daemon thread running (napari-style leak check)."""
    before = set(threading.enumerate())
    yield
    leaked = [
        t
        for t in threading.enumerate()
        if t not in before and t.is_alive() and not t.daemon and t is not threading.main_thread()
    ]
    for t in leaked:
        t.join(timeout=5)
    still = [t.name for t in leaked if t.is_alive()]
    assert not still, f"test leaked running threads: {still}"


@pytest.fixture
def banking77_dir() -> Path:
    """The banking77 dataset (CC BY 4.0, PolyAI), vendored under tests/data."""
    return BANKING77
