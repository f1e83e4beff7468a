"""Test-wide fixtures: offscreen Qt, a private data/config/cache home, no real keyring,
and the shared project templates (each built once per session, copied per test).

Fixtures used by more than one folder live here, each written once; a folder's own
conftest.py holds those only its tests use.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # imported inside the fixtures: the environment below is set first
    from helpers.ab_project import AbProject
    from helpers.decide_project import BuiltProject
    from helpers.memory_keyring import MemoryKeyring
    from helpers.pg_server import PgServer

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
    from studio.core.llm import keys
    from studio.core.llm.key_policy import forget_insecure_opt_ins
    from studio.core.redact import forget_all

    forget_all()
    forget_insecure_opt_ins()
    yield
    forget_all()
    forget_insecure_opt_ins()
    keys.clear_session_keys()  # and no key typed in for "this session" outlives its test


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


@pytest.fixture
def working_keyring() -> Iterator[MemoryKeyring]:
    """A working in-memory keyring for the test (instead of the failing one); restored after."""
    import keyring
    from helpers.memory_keyring import MemoryKeyring

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


# -- project templates: built once per session; tests copy them (shutil.copyfile) ---------


@pytest.fixture(scope="session")
def empty_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new, empty, migrated project file."""
    from studio.core.db.project import new_project

    path = tmp_path_factory.mktemp("empty_template") / "template.studio"
    new_project(path).close()  # closing checkpoints the WAL: the file alone is complete
    return path


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo project (prompts, dataset, recorded runs, decision)."""
    from studio.core.demo import create_demo_project

    path = tmp_path_factory.mktemp("demo_template") / "demo.studio"
    # The demo is built on the user's machine by the user who opens it, so its dataset
    # operations are theirs to undo (personal undo): built here as the tests' user
    # (``studio_home`` sets it per test, after this session fixture would have run)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STUDIO_USER", "tester")
        create_demo_project(path)
    return path


@pytest.fixture(scope="session")
def decision_template(tmp_path_factory: pytest.TempPathFactory) -> BuiltProject:
    """A team's project with banking77 data and runs (helpers/decide_project.py)."""
    from helpers.decide_project import build_decision_project

    path = tmp_path_factory.mktemp("decision_template") / "template.studio"
    return build_decision_project(path, BANKING77)


def _built(factory: pytest.TempPathFactory, build: Callable[[Path], object]) -> Path:
    path = factory.mktemp("export_template") / "export.studio"
    build(path)
    return path


@pytest.fixture(scope="session")
def export_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One dataset, one prompt version, preferences (helpers/export_project.py)."""
    from helpers.export_project import build_project

    return _built(tmp_path_factory, build_project)


@pytest.fixture(scope="session")
def schema_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A classification dataset and a prompt whose response_schema wants JSON."""
    from helpers.export_project import build_schema_project

    return _built(tmp_path_factory, build_schema_project)


@pytest.fixture
def ab(request: pytest.FixtureRequest, tmp_path: Path) -> AbProject:
    """A fresh A/B project (helpers/ab_project.py) with the test module's ``N`` test
    examples (and ``AB_N_TRAIN`` train examples where the module sets it)."""
    from helpers.ab_project import build_ab_project

    n_train = getattr(request.module, "AB_N_TRAIN", None)
    extra = {} if n_train is None else {"n_train": n_train}
    return build_ab_project(tmp_path / "ab.studio", n_test=request.module.N, **extra)


# -- PostgreSQL: one real server per session (tests/helpers/pg_server.py) ------------------


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A private PostgreSQL server on loopback for the session; its password in PGPASSWORD.

    Missing server binaries fail the tests that need it (never a skip): CI installs the
    distribution's ``postgresql`` package, README says how to locally.
    """
    from helpers.pg_server import running_server

    try:
        server_cm = running_server()
        server = server_cm.__enter__()
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    previous = os.environ.get("PGPASSWORD")
    # libpq's environment route for the password (ISSUE-14 §1); CLI subprocesses inherit it
    os.environ["PGPASSWORD"] = server.password
    try:
        yield server
    finally:
        if previous is None:
            os.environ.pop("PGPASSWORD", None)
        else:
            os.environ["PGPASSWORD"] = previous
        server_cm.__exit__(None, None, None)


@pytest.fixture(scope="session")
def pg_empty_template(pg_server: PgServer) -> str:
    """The name of a migrated, empty studio database that per-test databases copy."""
    from studio.core.db.project import new_project

    location = pg_server.url("studio_empty_template")
    new_project(location).close()  # closing drops every connection: it can be a template
    return "studio_empty_template"
