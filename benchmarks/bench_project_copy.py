"""Round trip of the demo project: SQLite file -> PostgreSQL -> SQLite file (ISSUE-14 §2,
"Done means"), each leg by ``studio project copy`` as a user runs it, timed.

Checked twice:

* ``studio project copy`` verifies each leg itself (per table: row count and SHA-256
  over the rows in primary-key order, values normalised across backends); its ``--json``
  report gives those figures for both legs.
* Independently of the copy code, the first and the last file are compared with plain
  ``sqlite3``: per table, the row count and a SHA-256 over ``repr`` of the raw rows
  (sorted). SQLite to SQLite needs no normalisation, so equal sums mean every value
  came back exactly as it went.

Run: ``python benchmarks/bench_project_copy.py --start-postgres [--json]`` (a private
server, benchmarks/local_postgres.py), or ``--database postgresql://user@host:port/db``
(a new or empty database on a server of yours; password from PGPASSWORD/~/.pgpass/keyring).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def studio(*args: str) -> tuple[float, str]:
    """Run ``python -m studio ARGS`` (this checkout first on the path); (seconds, stdout)."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "studio", *args], capture_output=True, text=True, env=env
    )
    took = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"studio {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return took, done.stdout


def raw_checksums(path: Path) -> dict[str, tuple[int, str]]:
    """Per table of a project file: (rows, SHA-256 of its raw rows, sorted)."""
    conn = sqlite3.connect(path)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        out: dict[str, tuple[int, str]] = {}
        for name in names:
            # sorted: a table keyed by text (project_meta) is copied in key order, so
            # its rowids may differ; the set of rows must not
            rows = sorted(repr(row) for row in conn.execute(f'SELECT * FROM "{name}"'))
            digest = hashlib.sha256("\n".join(rows).encode())
            out[name] = (len(rows), digest.hexdigest())
        return out
    finally:
        conn.close()


def run(database: str, as_json: bool) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        demo, back = Path(tmp) / "demo.studio", Path(tmp) / "back.studio"
        studio("new", "--demo", str(demo))
        there_s, there_out = studio("project", "copy", str(demo), database, "--json")
        back_s, back_out = studio("project", "copy", database, str(back), "--json")
        there, home = json.loads(there_out), json.loads(back_out)
        before, after = raw_checksums(demo), raw_checksums(back)
    # alembic_version and the like are made by each project's own migrations, not copied
    copied = {t["table"] for t in there["tables"]}
    tables = []
    for t1 in there["tables"]:
        t2 = next(t for t in home["tables"] if t["table"] == t1["table"])
        name = t1["table"]
        tables.append(
            {
                "table": name,
                "rows": t1["source_rows"],
                "sha256": t1["source_sha256"][:16],
                "postgresql_sha256": t1["dest_sha256"][:16],
                "back_sha256": t2["dest_sha256"][:16],
                "raw_sqlite_equal": before.get(name) == after.get(name),
            }
        )
    figures: dict[str, Any] = {
        "database": database,
        "tables": len(tables),
        "rows": there["total_rows"],
        "sqlite_to_postgresql_s": round(there_s, 2),
        "postgresql_to_sqlite_s": round(back_s, 2),
        "round_trip_s": round(there_s + back_s, 2),
        "copy_verified_both_legs": bool(there["ok"] and home["ok"]),
        "raw_file_tables_equal": sum(t["raw_sqlite_equal"] for t in tables),
        "raw_tables_not_copied": sorted(set(before) - copied),
        "per_table": tables,
    }
    ok = figures["copy_verified_both_legs"] and figures["raw_file_tables_equal"] == len(tables)
    if as_json:
        print(json.dumps(figures, indent=2))
    else:
        for k, v in figures.items():
            if k != "per_table":
                print(f"{k:26} {v}")
        print(f"\n{'table':28}{'rows':>7}  {'sqlite':17}{'postgresql':17}{'back':17}raw equal")
        for t in tables:
            print(
                f"{t['table']:28}{t['rows']:>7}  {t['sha256']:17}{t['postgresql_sha256']:17}"
                f"{t['back_sha256']:17}{t['raw_sqlite_equal']}"
            )
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--database", help="a new or empty postgresql://user@host:port/db")
    where.add_argument(
        "--start-postgres", action="store_true", help="start a private server (initdb/pg_ctl)"
    )
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.start_postgres:
        from local_postgres import private_server_database

        with private_server_database("demo_copy") as url:
            return run(url, args.json)
    return run(args.database, args.json)


if __name__ == "__main__":
    sys.exit(main())
