"""`studio new postgresql://…`, `--project postgresql://…` and `studio project copy`
against a real PostgreSQL server (tests/helpers/pg_server.py), ISSUE-14 §1-§2."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers.pg_server import PgServer, drop_pg_database, fresh_pg_database


def studio(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a child process."""
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
    )


def _sqlite_rows(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows in rowid order, read with the stdlib (not the studio's code)."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
                "AND name NOT IN ('alembic_version') ORDER BY name"
            )
        ]
        return {n: conn.execute(f'SELECT * FROM "{n}" ORDER BY 1').fetchall() for n in names}


def test_round_trip_of_the_demo_project_keeps_every_row(
    demo_template: Path, pg_server: PgServer, tmp_path: Path
) -> None:
    """sqlite -> PostgreSQL -> sqlite: equal checksums both ways, and the file that comes
    back holds exactly the rows of the original, compared row by row with sqlite3."""
    location = fresh_pg_database(pg_server)
    back = tmp_path / "back.studio"
    try:
        there = studio("project", "copy", str(demo_template), location, "--json")
        assert there.returncode == 0, there.stderr
        to_pg = json.loads(there.stdout)
        home = studio("project", "copy", location, str(back), "--json")
        assert home.returncode == 0, home.stderr
        to_file = json.loads(home.stdout)
        # the same project read from PostgreSQL gives the sums the file gave
        assert to_pg["ok"] and to_file["ok"]
        sums_file = {t["table"]: (t["source_rows"], t["source_sha256"]) for t in to_pg["tables"]}
        sums_pg = {t["table"]: (t["dest_rows"], t["dest_sha256"]) for t in to_pg["tables"]}
        sums_back = {t["table"]: (t["dest_rows"], t["dest_sha256"]) for t in to_file["tables"]}
        assert sums_file == sums_pg == sums_back
        # independent of the checksum code: counts by sqlite3, then the rows themselves
        original = _sqlite_rows(demo_template)
        assert {t: len(r) for t, r in original.items()} == {t: n for t, (n, _) in sums_file.items()}
        assert sum(len(r) for r in original.values()) == to_pg["total_rows"] > 1000
        returned = _sqlite_rows(back)
        for table, rows in original.items():
            if table == "project_meta":
                assert returned[table] == rows  # created_at etc. of the original, not new ones
            else:
                assert len(returned[table]) == len(rows), table
        assert returned["example"] == original["example"]
        assert returned["prompt_version"] == original["prompt_version"]
        # --project postgresql://… works on an ordinary command, on the copy
        listed = studio("prompt", "list", "--project", location, "--json")
        assert listed.returncode == 0, listed.stderr
        with contextlib.closing(sqlite3.connect(demo_template)) as conn:
            n_prompts = conn.execute("SELECT count(*) FROM prompt").fetchone()[0]
        assert len(json.loads(listed.stdout)) == n_prompts
    finally:
        drop_pg_database(pg_server, location)


def test_copy_ids_continue_after_the_copied_ones(demo_template: Path, pg_server: PgServer) -> None:
    """A row added on PostgreSQL after the copy gets the next id, never a copied one."""
    location = fresh_pg_database(pg_server)
    try:
        assert studio("project", "copy", str(demo_template), location).returncode == 0
        with contextlib.closing(sqlite3.connect(demo_template)) as conn:
            top = conn.execute("SELECT max(id) FROM dataset").fetchone()[0]
        from studio.core.datasets.catalog import create_dataset
        from studio.core.db.project import open_project

        with open_project(location) as project:
            new_id = create_dataset(project, "after the copy", task_type="classification")
        assert new_id.id == top + 1
    finally:
        drop_pg_database(pg_server, location)


def test_copy_refuses_a_destination_that_is_not_empty(
    demo_template: Path, pg_server: PgServer, tmp_path: Path
) -> None:
    existing = tmp_path / "there.studio"
    existing.write_bytes(b"x")
    refused = studio("project", "copy", str(demo_template), str(existing))
    assert refused.returncode == 2
    assert "already exists" in refused.stderr and "Traceback" not in refused.stderr
    assert existing.read_bytes() == b"x"

    location = fresh_pg_database(pg_server)
    try:
        with pg_server.admin_connect(location.rsplit("/", 1)[-1]) as conn:
            conn.execute("CREATE TABLE invoices (id int primary key)")
        refused = studio("project", "copy", str(demo_template), location)
        assert refused.returncode == 2, refused.stdout
        assert "not a studio project" in refused.stderr and "invoices" in refused.stderr
    finally:
        drop_pg_database(pg_server, location)


def test_new_on_a_server_and_its_refusals(pg_server: PgServer) -> None:
    location = pg_server.url("made_by_new")
    try:
        made = studio("new", location)
        assert made.returncode == 0, made.stderr
        again = studio("new", location)
        assert again.returncode == 2 and "already holds a studio project" in again.stderr
    finally:
        drop_pg_database(pg_server, location)


def test_connection_failures_exit_2_with_a_sentence(pg_server: PgServer) -> None:
    secret = "hunter2-in-the-url"
    with_password = f"postgresql://{pg_server.user}:{secret}@{pg_server.host}:{pg_server.port}/x"
    refused = studio("prompt", "list", "--project", with_password)
    assert refused.returncode == 2
    assert "password" in refused.stderr and secret not in refused.stderr + refused.stdout

    missing = studio("prompt", "list", "--project", pg_server.url("no_such_db"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr

    wrong = dict(os.environ, PGPASSWORD="not-the-password")
    denied = studio("prompt", "list", "--project", pg_server.url("postgres"), env=wrong)
    assert denied.returncode == 2 and "Could not log in" in denied.stderr

    with contextlib.closing(__import__("socket").socket()) as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    unreachable = studio(
        "prompt", "list", "--project", f"postgresql://studio@127.0.0.1:{closed_port}/x"
    )
    assert unreachable.returncode == 2 and "Cannot reach" in unreachable.stderr

    foreign = fresh_pg_database(pg_server)
    try:
        with pg_server.admin_connect(foreign.rsplit("/", 1)[-1]) as conn:
            conn.execute("CREATE TABLE invoices (id int primary key)")
        other = studio("prompt", "list", "--project", foreign)
        assert other.returncode == 2 and "not a studio project" in other.stderr
    finally:
        drop_pg_database(pg_server, foreign)
    for proc in (refused, missing, denied, unreachable, other):
        assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("sslmode", ["disable", "require"])
def test_sslmode_in_the_url_reaches_libpq(pg_server: PgServer, sslmode: str) -> None:
    """The test server has no TLS: sslmode=disable connects, sslmode=require is refused
    by libpq with its own reason, which proves the parameter was passed on."""
    location = fresh_pg_database(pg_server)
    try:
        made = studio("new", f"{location}?sslmode={sslmode}")
        listed = studio("prompt", "list", "--project", f"{location}?sslmode={sslmode}")
        if sslmode == "disable":
            assert made.returncode == 0 and listed.returncode == 0, made.stderr + listed.stderr
        else:
            for proc in (made, listed):
                assert proc.returncode == 2
                assert "SSL" in proc.stderr and "Traceback" not in proc.stderr
    finally:
        drop_pg_database(pg_server, location)
