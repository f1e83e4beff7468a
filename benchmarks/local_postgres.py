"""A private PostgreSQL server for a benchmark run (``--start-postgres``).

The server-starting code is the test suite's (tests/helpers/pg_server.py: initdb and
pg_ctl from the distribution's ``postgresql`` package, loopback only, a free port, its
folder deleted afterwards); it uses the standard library only, so the benchmarks import
it from there rather than keep a second copy.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

_TESTS = Path(__file__).resolve().parents[1] / "tests"


@contextlib.contextmanager
def private_server_database(name: str) -> Iterator[str]:
    """Start a throwaway server; yield the location of database ``name`` (not created).

    The password goes to ``PGPASSWORD`` (inherited by worker processes), never into the
    location.
    """
    if str(_TESTS) not in sys.path:
        sys.path.insert(0, str(_TESTS))
    from helpers.pg_server import running_server

    previous = os.environ.get("PGPASSWORD")
    with running_server() as server:
        os.environ["PGPASSWORD"] = server.password
        try:
            yield server.url(name)
        finally:
            if previous is None:
                os.environ.pop("PGPASSWORD", None)
            else:
                os.environ["PGPASSWORD"] = previous
