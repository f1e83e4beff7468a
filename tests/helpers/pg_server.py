"""A real, private PostgreSQL server for the tests: initdb + pg_ctl in a temp folder.

Why not pytest-postgresql: it does the same initdb/pg_ctl calls but cannot start the
server as root (initdb refuses root, and CI runs as root), and it adds a dependency for
about 100 lines. This helper finds the distribution's binaries (Debian puts them in
``/usr/lib/postgresql/<major>/bin``, off PATH), runs them as the unprivileged
``postgres`` user through ``runuser`` when the tests run as root, listens on loopback
only (a free port) with its unix socket inside its own folder, and stops the server
when the session ends. Missing binaries are an error, not a skip: CI installs the
``postgresql`` package (.ci/run), and a developer is told to.

Logins: the superuser ``studio`` has a password (scram-sha-256 on loopback), handed to
the tests through ``PGPASSWORD`` — the environment route of ISSUE-14 §1.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "studio"
MISSING = (
    "PostgreSQL server binaries (initdb, pg_ctl) were not found: the data-layer tests run on "
    "PostgreSQL too. Install the server (Debian/Ubuntu: `apt-get install -y postgresql`; "
    "macOS: `brew install postgresql@15`) or point PG_BIN at the folder holding pg_ctl."
)


def find_bin_dir() -> Path | None:
    """The folder holding initdb and pg_ctl: $PG_BIN, PATH, or the newest Debian/RHEL one."""
    candidates: list[str] = []
    if os.environ.get("PG_BIN"):
        candidates.append(os.environ["PG_BIN"])
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(str(Path(on_path).resolve().parent))

    def major(path: str) -> int:
        digits = "".join(ch for ch in Path(path).parent.name if ch.isdigit())
        return int(digits or 0)

    for pattern in ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/opt/homebrew/bin"):
        candidates.extend(sorted(glob.glob(pattern), key=major, reverse=True))
    for folder in candidates:
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    """A running server: where it listens and how to log in."""

    host: str
    port: int
    user: str
    password: str
    data_dir: Path

    def url(self, database: str) -> str:
        """The studio location of ``database`` on this server (no password in it)."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"

    def admin_connect(self, database: str = "postgres"):  # type: ignore[no-untyped-def]
        """An autocommit psycopg connection (CREATE/DROP DATABASE)."""
        import psycopg

        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=database,
            autocommit=True,
        )


def _as_server_user(cmd: list[str]) -> list[str]:
    """Run ``cmd`` as ``postgres`` when we are root (initdb and postgres refuse root)."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser:
            return [runuser, "-u", "postgres", "--", *cmd]
        return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(cmd)]
    return cmd


START_ATTEMPTS = 3
"""Starts tried, each on a fresh port, when the picked port was taken meanwhile."""

START_WAIT_S = 300
"""How long ``pg_ctl start -w`` may wait for the server to accept connections.

Its default, 60 s, only bounds a hang; on a loaded 2-core CI machine starting the server
is seconds, so the bound is set far above it rather than near it.
"""


def _start(
    bin_dir: Path, data: Path, root: Path, log: Path, port: int
) -> subprocess.CompletedProcess[str]:
    """``pg_ctl start`` on ``port``, waiting until the server accepts connections."""
    # fsync off and no WAL archiving: a throwaway server, speed over durability
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -k {root} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
        "-c max_connections=200"
    )
    return subprocess.run(
        _as_server_user(
            [
                str(bin_dir / "pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(log),
                "-w",
                "-t",
                str(START_WAIT_S),
                "-o",
                options,
                "start",
            ]
        ),
        check=False,
        capture_output=True,
        text=True,
    )


@contextlib.contextmanager
def running_server() -> Iterator[PgServer]:
    """Start a fresh server in a temp folder; stop it and delete the folder afterwards."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise RuntimeError(MISSING)
    root = Path(tempfile.mkdtemp(prefix="studio-pg-"))
    data = root / "data"
    password = secrets.token_urlsafe(16)
    pwfile = root / "pw"
    pwfile.write_text(password + "\n", encoding="utf-8")
    as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if as_root:  # the server user must own its folder and read the password file
        import pwd

        ids = pwd.getpwnam("postgres")
        os.chown(root, ids.pw_uid, ids.pw_gid)
        os.chown(pwfile, ids.pw_uid, ids.pw_gid)
    os.chmod(root, 0o700)
    log = root / "server.log"
    port = 0
    try:
        subprocess.run(
            _as_server_user(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    SUPERUSER,
                    f"--pwfile={pwfile}",
                    "--auth-host=scram-sha-256",
                    "--auth-local=scram-sha-256",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
            text=True,
        )
        for attempt in range(START_ATTEMPTS):
            # The port is free when picked but bound seconds later (after initdb, on a busy
            # machine): another process may take it first. The server then fails with
            # "could not bind"; a new port is picked and the start tried again.
            port = _free_port()
            log.unlink(missing_ok=True)  # judge this attempt by its own log only
            started = _start(bin_dir, data, root, log, port)
            if started.returncode == 0:
                break
            in_use = "could not bind" in (log.read_text() if log.exists() else "")
            if not in_use or attempt == START_ATTEMPTS - 1:
                raise subprocess.CalledProcessError(
                    started.returncode, started.args, started.stdout, started.stderr
                )
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or "") + (log.read_text() if log.exists() else "")
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"Could not start the test PostgreSQL server: {detail}") from exc
    try:
        yield PgServer("127.0.0.1", port, SUPERUSER, password, data)
    finally:
        subprocess.run(
            _as_server_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


_pg_db_counter = itertools.count(1)


def fresh_pg_database(server: PgServer, template: str | None = None) -> str:
    """Create a new database (a copy of ``template`` when given); returns its location."""
    name = f"t{next(_pg_db_counter)}_{os.getpid()}"
    with server.admin_connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return server.url(name)


def drop_pg_database(server: PgServer, location: str) -> None:
    """Drop the database of ``location`` (closing whatever still holds it)."""
    name = location.rsplit("/", 1)[-1]
    with server.admin_connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
