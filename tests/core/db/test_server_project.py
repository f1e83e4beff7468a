"""A project on a real PostgreSQL server: locations, credentials, refusals, read-only
(ISSUE-14 §1). The shared data-layer tests run on the server through the ``project``
fixture; these are the server's own cases."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.memory_keyring import MemoryKeyring
from helpers.pg_server import PgServer, drop_pg_database, fresh_pg_database

from studio.core.datasets.catalog import create_dataset
from studio.core.db.project import new_project, open_project
from studio.core.db.server import KEYRING_SERVICE, parse_location
from studio.core.errors import DatabaseReadOnlyError, ProjectFileError

ALICE_PASSWORD = "alice-Secret-7f3"


@pytest.fixture
def alice(pg_server: PgServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A login with its own password and an empty database of hers; no PGPASSWORD set."""
    with pg_server.admin_connect() as conn:
        conn.execute(f"CREATE ROLE alice LOGIN PASSWORD '{ALICE_PASSWORD}'")
    location = fresh_pg_database(pg_server)
    name = location.rsplit("/", 1)[-1]
    with pg_server.admin_connect() as conn:
        conn.execute(f'ALTER DATABASE "{name}" OWNER TO alice')
    with pg_server.admin_connect(name) as conn:
        conn.execute("ALTER SCHEMA public OWNER TO alice")
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", str(Path(os.devnull)))  # no developer's ~/.pgpass
    try:
        yield f"postgresql://alice@{pg_server.host}:{pg_server.port}/{name}"
    finally:
        drop_pg_database(pg_server, location)
        with pg_server.admin_connect() as conn:
            conn.execute("DROP ROLE IF EXISTS alice")


def test_the_password_comes_from_the_keyring(
    alice: str, working_keyring: MemoryKeyring, caplog: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(ProjectFileError, match="Could not log in") as refused:
        new_project(alice)
    assert KEYRING_SERVICE in refused.value.message  # the sentence says where to put it
    loc = parse_location(alice)
    working_keyring.set_password(KEYRING_SERVICE, loc.keyring_key, ALICE_PASSWORD)
    caplog.set_level(logging.DEBUG)
    with new_project(alice) as project:
        assert project.is_server and project.location == alice
        assert create_dataset(project, "d").id == 1
        assert ALICE_PASSWORD not in repr(project.engine.url)
    with open_project(alice) as project:
        assert project.read_only is False
    assert ALICE_PASSWORD not in caplog.text


def test_the_password_comes_from_pgpassword_or_pgpass(
    alice: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libpq reads both itself when the location carries no password."""
    monkeypatch.setenv("PGPASSWORD", ALICE_PASSWORD)
    new_project(alice).close()
    monkeypatch.delenv("PGPASSWORD")
    with pytest.raises(ProjectFileError, match="Could not log in"):
        open_project(alice)
    loc = parse_location(alice)
    pgpass = tmp_path / ".pgpass"
    pgpass.write_text(f"{loc.host}:{loc.port}:*:alice:{ALICE_PASSWORD}\n", encoding="utf-8")
    pgpass.chmod(0o600)  # libpq ignores a .pgpass others can read
    monkeypatch.delenv("PGPASSFILE")
    monkeypatch.setenv("HOME", str(tmp_path))  # ~/.pgpass
    with open_project(alice) as project:
        assert project.read_only is False


def test_a_password_in_the_location_is_refused_and_never_repeated() -> None:
    for text in (
        "postgresql://bob:s3cret-pw@db.example:5432/team",
        "postgres://bob:s3cret-pw@db.example/team",
        "postgresql://bob@db.example/team?password=s3cret-pw",
    ):
        with pytest.raises(ProjectFileError, match="password") as refused:
            parse_location(text)
        assert "s3cret-pw" not in refused.value.message
        assert "s3cret-pw" not in str(refused.value.where)


def test_locations_parse_and_print_back_without_secrets() -> None:
    loc = parse_location("postgres://bob@db.example/team?sslmode=require")
    assert (loc.user, loc.host, loc.port, loc.database) == ("bob", "db.example", 5432, "team")
    assert loc.display == "postgresql://bob@db.example:5432/team?sslmode=require"
    assert loc.keyring_key == "bob@db.example:5432"
    assert loc.sqlalchemy_url().query == {"sslmode": "require"}  # handed to libpq
    for bad, why in (
        ("postgresql://db.example/team", "no user"),
        ("postgresql://bob@h", "no database"),
    ):
        with pytest.raises(ProjectFileError, match=why):
            parse_location(bad)


def test_a_login_that_may_only_read_opens_read_only(pg_server: PgServer) -> None:
    location = fresh_pg_database(pg_server)
    name = location.rsplit("/", 1)[-1]
    try:
        with new_project(location) as project:
            create_dataset(project, "d")
        with pg_server.admin_connect(name) as conn:
            conn.execute(f"CREATE ROLE reader LOGIN PASSWORD '{pg_server.password}'")
            conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader")
        reader = location.replace(f"//{pg_server.user}@", "//reader@")
        with pytest.raises(ProjectFileError, match="read-only"):
            open_project(reader, allow_read_only=False)
        with open_project(reader) as project:
            assert project.read_only
            from studio.core.datasets.catalog import list_datasets

            assert [d.name for d in list_datasets(project)] == ["d"]
            with pytest.raises(DatabaseReadOnlyError, match="read-only"):
                create_dataset(project, "e")
    finally:
        drop_pg_database(pg_server, location)
        with pg_server.admin_connect() as conn:
            conn.execute("DROP ROLE IF EXISTS reader")


def test_new_refuses_a_database_with_other_tables_and_open_refuses_an_empty_one(
    pg_server: PgServer,
) -> None:
    location = fresh_pg_database(pg_server)
    try:
        with pytest.raises(ProjectFileError, match="empty database, not a studio project"):
            open_project(location)
        with pg_server.admin_connect(location.rsplit("/", 1)[-1]) as conn:
            conn.execute("CREATE TABLE invoices (id int)")
        with pytest.raises(ProjectFileError, match=r"not a studio project \(invoices\)"):
            new_project(location)
        with pytest.raises(ProjectFileError, match="not a studio project"):
            open_project(location)
    finally:
        drop_pg_database(pg_server, location)


def test_retry_write_waits_out_a_table_lock_another_session_holds(
    pg_server: PgServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's lock_timeout is the busy timeout: past it the write is run again."""
    import threading

    from sqlalchemy import Connection, text

    from studio.core.db import server, transactions

    monkeypatch.setattr(server, "LOCK_TIMEOUT_MS", 50)
    location = fresh_pg_database(pg_server)
    name = location.rsplit("/", 1)[-1]
    try:
        with new_project(location) as project:
            with transactions.write_tx(project) as conn:
                conn.execute(text("CREATE TABLE t (x INTEGER)"))
            other = pg_server.admin_connect(name)
            other.autocommit = False
            other.execute("LOCK TABLE t IN ACCESS EXCLUSIVE MODE")  # another program
            released = threading.Timer(0.4, other.commit)
            released.start()
            attempts: list[int] = []

            def work(conn: Connection) -> int:
                attempts.append(1)
                conn.execute(text("INSERT INTO t VALUES (7)"))
                return 7

            try:
                assert transactions.retry_write(project, work, attempts=20, pause_s=0.05) == 7
                assert len(attempts) >= 2  # the first attempt met the lock, rolled back
            finally:
                released.join()
                other.close()
            with transactions.read_conn(project) as conn:
                assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 1
    finally:
        drop_pg_database(pg_server, location)


def test_the_regex_search_reads_like_sqlites_regexp(pg_server: PgServer) -> None:
    """Case-insensitive, ^ and $ at every line, NULL never matches (as engine.py's REGEXP)."""
    from sqlalchemy import text

    from studio.core.db.dialect import regexp_sql

    location = fresh_pg_database(pg_server)
    try:
        with new_project(location) as project, project.engine.connect() as conn:

            def matches(value: str | None, pattern: str) -> object:
                sql = f"SELECT {regexp_sql('CAST(:v AS text)', 'p', postgresql=True)}"
                return conn.execute(text(sql), {"v": value, "p": pattern}).scalar_one()

            assert matches("Refund please", "^refund") is True
            assert matches("card lost", "refund") is False
            assert matches("first\nsecond", "^second$") is True
            assert matches("first\nsecond", "first.second") is False  # . stops at a newline
            assert matches(None, "x") is None  # NULL: not a match in a WHERE
    finally:
        drop_pg_database(pg_server, location)


def test_an_older_server_project_is_upgraded_when_opened(pg_server: PgServer) -> None:
    """Every migration runs on PostgreSQL one by one, from an older schema up to head."""
    from alembic import command
    from sqlalchemy import inspect, text

    from studio.core.db import migrate
    from studio.core.db.server import make_server_engine

    location = fresh_pg_database(pg_server)
    try:
        engine = make_server_engine(parse_location(location))
        cfg = migrate.alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0003")  # a project saved by an older studio
            conn.execute(
                text("INSERT INTO project_meta (key, value) VALUES ('app_id', :v)"),
                {"v": "prompt-dataset-studio"},
            )
        with engine.connect() as conn:
            assert "decision_answers" not in inspect(conn).get_table_names()
        engine.dispose()
        with open_project(location) as project:
            with project.engine.connect() as conn:
                assert migrate.current_revision(conn) == migrate.head_revision()
                assert {"decision_answers", "candidate"} <= set(inspect(conn).get_table_names())
            assert create_dataset(project, "after the upgrade").id == 1
    finally:
        drop_pg_database(pg_server, location)


def test_missing_server_binaries_fail_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """No PostgreSQL on the machine: the server tests fail and say how to install it."""
    from helpers import pg_server

    monkeypatch.setattr(pg_server, "find_bin_dir", lambda: None)
    with pytest.raises(RuntimeError) as missing, pg_server.running_server():
        pass
    assert "apt-get install -y postgresql" in str(missing.value)
    assert "PG_BIN" in str(missing.value)


def test_two_programs_opening_an_old_server_project_upgrade_it_once(pg_server: PgServer) -> None:
    """The upgrade runs under an advisory lock: the second program waits, then finds the
    schema at head and runs nothing (a second run would fail creating existing tables)."""
    import subprocess
    import sys

    from alembic import command
    from sqlalchemy import text

    from studio.core.db import migrate
    from studio.core.db.server import make_server_engine

    location = fresh_pg_database(pg_server)
    try:
        engine = make_server_engine(parse_location(location))
        cfg = migrate.alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0001")
            conn.execute(
                text("INSERT INTO project_meta (key, value) VALUES ('app_id', :v)"),
                {"v": "prompt-dataset-studio"},
            )
        engine.dispose()
        child = (
            "import sys\nfrom studio.core.db.project import open_project\n"
            "open_project(sys.argv[1]).close()\n"
        )
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", child, location],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(2)
        ]
        results = [(p.wait(120), p.stderr.read() if p.stderr else "") for p in procs]
        for p in procs:
            for stream in (p.stdout, p.stderr):
                if stream is not None:
                    stream.close()
        assert [rc for rc, _ in results] == [0, 0], results
        with open_project(location) as project, project.engine.connect() as conn:
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).all()
        assert [v[0] for v in versions] == [migrate.head_revision()]
    finally:
        drop_pg_database(pg_server, location)
