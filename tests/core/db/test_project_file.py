"""The project file: new/open, migrations, refusals, damage, locks, full disk, copies.

Each bad case must give a ProjectFileError/UserError whose sentence names the file, and
must leave what was stored intact.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, text
from sqlmodel import SQLModel

import studio.core.models  # noqa: F401  (registers every table)
from studio.core.db import migrate
from studio.core.db.engine import APPLICATION_ID, make_engine
from studio.core.db.project import Project, new_project, open_project
from studio.core.errors import ProjectFileError, UserError
from studio.core.prompts import service as sv
from studio.core.prompts.spec import Message, PromptSpec

REPO = Path(__file__).resolve().parents[3]


def spec(text: str = "Sort the ticket.") -> PromptSpec:
    return PromptSpec((Message("system", text), Message("user", "{{text}}")), "gpt-4o-mini")


def revision_of(path: Path) -> str:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return str(conn.execute("SELECT version_num FROM alembic_version").fetchone()[0])


# -- new / open ----------------------------------------------------------------------


def test_new_project_is_a_stamped_wal_database(tmp_path: Path) -> None:
    path = tmp_path / "a.studio"
    with new_project(path) as project:
        assert project.path == path
        with project.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        meta = dict(conn.execute("SELECT key, value FROM project_meta").fetchall())
    assert meta["app_id"] == "prompt-dataset-studio"
    assert revision_of(path) == migrate.head_revision()
    assert not list(tmp_path.glob("*.creating*"))


def test_new_project_refuses_existing_file_and_missing_folder(tmp_path: Path) -> None:
    path = tmp_path / "a.studio"
    new_project(path).close()
    with pytest.raises(ProjectFileError, match="already exists"):
        new_project(path)
    with pytest.raises(ProjectFileError, match="does not exist"):
        new_project(tmp_path / "no" / "b.studio")


def test_reopen_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "a.studio"
    with new_project(path) as p:
        sv.save_version(p, "p", spec(), "first")
    with open_project(path) as p:
        assert [v.message for v in sv.log(p, "p")] == ["first"]


def test_open_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ProjectFileError, match="does not exist"):
        open_project(tmp_path / "nope.studio")
    with pytest.raises(ProjectFileError, match="is a folder"):
        open_project(tmp_path)


# -- migrations ----------------------------------------------------------------------


def make_old_project(path: Path, revision: str = "0001") -> None:
    """A project file as an older Studio wrote it, with a prompt in it."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    engine = make_engine(path)
    try:
        cfg = migrate.alembic_config()
        with engine.connect() as conn:
            conn.execute(text("PRAGMA foreign_keys = OFF"))
            conn.commit()
            with conn.begin():
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO project_meta (key, value) VALUES ('app_id', "
                    "'prompt-dataset-studio')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO prompt (id, name, description, created_at, updated_at) VALUES "
                    "(1, 'legacy', 'from 0001', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                )
            )
            s = spec("Old text.")
            conn.execute(
                text(
                    "INSERT INTO prompt_version (id, prompt_id, version, spec_json, content_hash, "
                    "message, author, created_at) VALUES (1, 1, 1, :j, :h, 'old', 'alice', "
                    "'2026-01-01 00:00:00')"
                ),
                {"j": s.storage_json(), "h": s.content_hash()},
            )
            conn.execute(
                text(
                    "INSERT INTO prompt_label "
                    "(prompt_id, name, version_id, updated_at, updated_by) "
                    "VALUES (1, 'production', 1, '2026-01-01 00:00:00', 'alice')"
                )
            )
    finally:
        engine.dispose()


def test_older_file_is_backed_up_then_upgraded_keeping_data(tmp_path: Path) -> None:
    path = tmp_path / "old.studio"
    make_old_project(path, "0001")
    assert revision_of(path) == "0001"
    with open_project(path) as p:
        assert revision_of(path) == migrate.head_revision()
        v = sv.get_version(p, "legacy", "production")
        assert (v.version, v.message, v.author, v.spec) == (1, "old", "alice", spec("Old text."))
        assert sv.get_prompt(p, "legacy").description == "from 0001"
        # the upgraded file takes new versions
        assert sv.save_version(p, "legacy", spec("New text.")).version == 2
    backups = list(tmp_path.glob("old.studio.backup-0001-*"))
    assert len(backups) == 1
    assert revision_of(backups[0]) == "0001"  # the backup is the file as it was
    with contextlib.closing(sqlite3.connect(backups[0])) as conn:
        assert conn.execute("SELECT name FROM prompt").fetchall() == [("legacy",)]


def test_file_from_a_newer_studio_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "new.studio"
    new_project(path).close()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
        conn.commit()
    before = path.read_bytes()
    with pytest.raises(ProjectFileError) as info:
        open_project(path)
    assert "newer version of Studio" in info.value.message and str(path) in info.value.message
    assert path.read_bytes() == before
    assert not list(tmp_path.glob("*.backup-*"))


def test_upgrading_an_empty_database_matches_the_models(tmp_path: Path) -> None:
    engine = make_engine(tmp_path / "empty.sqlite")
    try:
        migrate.upgrade_to_head(engine)
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    finally:
        engine.dispose()
    assert diffs == []


# -- corrupt and foreign files ---------------------------------------------------------


def test_garbage_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "garbage.studio"
    path.write_bytes(os.urandom(4096))
    with pytest.raises(ProjectFileError, match="not a studio project"):
        open_project(path)


def test_empty_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "empty.studio"
    path.write_bytes(b"")
    with pytest.raises(ProjectFileError, match="is empty"):
        open_project(path)
    assert path.read_bytes() == b""


def test_other_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "music.db"
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE tracks (id INTEGER PRIMARY KEY, title TEXT)")
        conn.execute("INSERT INTO tracks (title) VALUES ('Blue in Green')")
        conn.commit()
    before = path.read_bytes()
    with pytest.raises(ProjectFileError, match="an SQLite database but not a studio project"):
        open_project(path)
    assert path.read_bytes() == before


def test_truncated_file_is_reported_as_damaged(tmp_path: Path) -> None:
    path = tmp_path / "cut.studio"
    with new_project(path) as p:
        for i in range(40):
            sv.save_version(p, f"p{i}", spec("x" * 3000))
    data = path.read_bytes()
    assert len(data) > 100_000
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ProjectFileError) as info:
        open_project(path)
    assert str(path) in info.value.message
    assert "damaged" in info.value.message or "malformed" in info.value.message


def test_header_with_garbage_after_it_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "half.studio"
    path.write_bytes(b"SQLite format 3\x00" + os.urandom(8000))
    with pytest.raises(ProjectFileError) as info:
        open_project(path)
    assert str(path) in info.value.message


# -- read-only, locked, full disk ---------------------------------------------------------


def test_read_only_file_opens_read_only_and_refuses_writes(tmp_path: Path) -> None:
    # ISSUE-11 §6: a file without write permission opens read-only; reads work, a save
    # fails with a sentence, the bytes never change; opening it for writing is refused.
    folder = Path(tempfile.mkdtemp(prefix="studio-ro-"))
    try:
        path = folder / "ro.studio"
        with new_project(path) as p:
            sv.save_version(p, "p", spec())
        os.chmod(path, 0o444)
        before = path.read_bytes()
        code = textwrap.dedent(f"""
            import sys
            from studio.core.db.project import open_project
            from studio.core.errors import ProjectFileError, UserError
            from studio.core.prompts import service as sv
            from studio.core.prompts.spec import PromptSpec, Message
            try:
                open_project({str(path)!r}, allow_read_only=False)
                sys.exit(1)
            except ProjectFileError as exc:
                print("refused:", exc.message)
            p = open_project({str(path)!r})
            print("read_only:", p.read_only)
            print("prompts:", [x.name for x in sv.list_prompts(p)])
            try:
                sv.save_version(p, "q", PromptSpec((Message("user", "Hi"),), "gpt-4o-mini"))
                sys.exit(2)
            except UserError as exc:
                print("write:", exc.message)
            p.close()
        """)
        argv = [sys.executable, "-c", code]
        if os.geteuid() == 0 and shutil.which("setpriv"):
            # root ignores permission bits; without CAP_DAC_OVERRIDE it obeys them
            argv = [
                shutil.which("setpriv"),
                "--bounding-set",
                "-dac_override,-dac_read_search",
                *argv,
            ]
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert done.returncode == 0, done.stdout + done.stderr
        assert "refused:" in done.stdout and "read-only" in done.stdout
        assert "read_only: True" in done.stdout
        assert "prompts: ['p']" in done.stdout
        assert "write: Could not save to" in done.stdout and "read-only" in done.stdout
        assert path.read_bytes() == before
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def holder() -> Iterator[callable]:  # type: ignore[valid-type]
    procs: list[subprocess.Popen[str]] = []

    def hold(path: Path) -> None:
        code = textwrap.dedent(f"""
            import sqlite3, sys
            conn = sqlite3.connect({str(path)!r}, timeout=0.1, isolation_level=None)
            conn.execute("BEGIN EXCLUSIVE")
            conn.execute("INSERT INTO project_meta (key, value) VALUES ('held', 'yes')")
            print("holding", flush=True)
            sys.stdin.read()
            conn.execute("ROLLBACK")
        """)
        proc = subprocess.Popen(
            [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        procs.append(proc)
        assert proc.stdout is not None and proc.stdout.readline() == "holding\n"

    yield hold
    for proc in procs:
        proc.communicate(timeout=30)


def test_file_held_by_another_process(tmp_path: Path, holder) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "held.studio"
    with new_project(path) as p:
        sv.save_version(p, "p", spec())
    holder(path)
    with pytest.raises(ProjectFileError) as info:
        open_project(path)
    assert "locked" in info.value.message and str(path) in info.value.message


def test_write_while_another_process_holds_the_file(tmp_path: Path, holder) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "held2.studio"
    project = new_project(path)
    try:
        sv.save_version(project, "p", spec())
        project.engine.dispose()
        event.listen(
            project.engine, "connect", lambda c, _r: c.execute("PRAGMA busy_timeout = 200")
        )
        holder(path)
        with pytest.raises(UserError, match="locked"):
            sv.save_version(project, "p", spec("changed"))
    finally:
        project.close()


def test_full_disk_during_a_write_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "full.studio"
    project = new_project(path)
    try:
        sv.save_version(project, "p", spec(), "kept")
        project.engine.dispose()

        def cap_size(conn: sqlite3.Connection, _rec: object) -> None:
            # SQLite returns SQLITE_FULL once the file would grow past max_page_count
            pages = conn.execute("PRAGMA page_count").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {pages}")

        event.listen(project.engine, "connect", cap_size)
        with pytest.raises(UserError) as info:
            sv.save_version(project, "p", spec("x" * 200_000), "too big")
        assert "disk is full" in info.value.message and str(path) in info.value.message
        event.remove(project.engine, "connect", cap_size)
        project.engine.dispose()
        assert [(v.version, v.message) for v in sv.log(project, "p")] == [(1, "kept")]
    finally:
        project.close()
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# -- save a copy -----------------------------------------------------------------------


def test_save_copy_uses_backup_api_and_opens(tmp_path: Path) -> None:
    path = tmp_path / "a.studio"
    with new_project(path) as p:
        sv.save_version(p, "p", spec(), "first")
        sv.set_label(p, "p", "production", 1)
        copy = tmp_path / "copy.studio"
        p.save_copy(copy)  # while the project is open, with its WAL
        with pytest.raises(UserError, match="the open project itself"):
            p.save_copy(path)
        with pytest.raises(UserError, match="Could not write a copy"):
            p.save_copy(tmp_path / "missing" / "c.studio")
    assert not list(tmp_path.glob("*.part"))
    assert not Path(str(copy) + "-wal").exists()
    with open_project(copy) as c:
        assert sv.labels(c, "p") == {"production": 1}
        assert [v.message for v in sv.log(c, "p")] == ["first"]


def test_project_is_usable_as_context_manager(tmp_path: Path) -> None:
    with new_project(tmp_path / "a.studio") as p:
        assert isinstance(p, Project)


def test_a_read_only_project_serves_many_reading_threads_and_regex_search(
    tmp_path: Path,
) -> None:
    # The app reads from its database thread, its work pool and the change watcher at
    # once; a read-only project must hand each its own connection (a pool that closes
    # connections another thread still uses crashed SQLite), and REGEXP must exist there
    # as on a writable project.
    import threading

    from studio.core.datasets.importing import import_file
    from studio.core.datasets.queries import ExampleFilter, query_ids

    path = tmp_path / "ro.studio"
    csv = tmp_path / "rows.csv"
    csv.write_text(
        "text,label\n" + "".join(f"card {i} arrived,a\nwhere is my pin {i},b\n" for i in range(50)),
        encoding="utf-8",
    )
    with new_project(path) as p:
        dataset = import_file(p, csv, "d", None).dataset_id
    os.chmod(path, 0o444)
    project = open_project(path)
    try:
        assert project.read_only
        pattern = ExampleFilter(search=r"^where is my pin \d+$", regex=True)
        found: list[int] = []
        errors: list[BaseException] = []

        def read() -> None:
            try:
                for _ in range(20):
                    found.append(len(query_ids(project, dataset, pattern)))
            except BaseException as exc:  # reported below, with the thread's error
                errors.append(exc)

        threads = [threading.Thread(target=read) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
        assert found == [50] * (12 * 20)  # 50 of the 100 rows match, every time
    finally:
        project.close()
