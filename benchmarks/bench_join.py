"""One A/B run finished by 1 process vs 2 joined processes (ISSUE-14 §4).

The same run (N test examples x 2 variants = 2N cases, concurrency C per process) is
executed by one ``studio runs resume`` process, and on an identical project by two
``studio runs resume --join`` processes started together; against the simulated model
server with a fixed latency. Prints the wall time of each, the requests per case (from
the server's record) and the cases each process claimed; on a project file and, when
the PostgreSQL server binaries are there, on a PostgreSQL database.

Run: ``PYTHONPATH=.:tests python benchmarks/bench_join.py [--n 150] [--latency 0.2] [-j 4]``
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from helpers import loopback, provider_for
from helpers.ab_project import build_ab_project, query_index

from studio.core.db.project import open_project
from studio.core.evals.run_setup import RunSpec, VariantSpec, create_run


def _create(location: str | Path, url: str, concurrency: int) -> int:
    project = open_project(location)
    try:
        spec = RunSpec(
            dataset="intents",
            variants=[VariantSpec("intent@2", model="big"), VariantSpec("intent@2", model="small")],
            provider=provider_for(url),
            concurrency=concurrency,
        )
        return create_run(project, spec)
    finally:
        project.close()


def _resume(location: str | Path, run_id: int, *extra: str) -> subprocess.Popen[str]:
    args = ["runs", "resume", str(run_id), "--project", str(location), "--no-cache", "--json"]
    return subprocess.Popen(
        [sys.executable, "-m", "studio", *args, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait(procs: list[subprocess.Popen[str]]) -> list[dict[str, Any]]:
    docs = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        if proc.returncode != 0:
            raise SystemExit(f"studio exited {proc.returncode}: {err}")
        docs.append(json.loads(out))
    return docs


def bench(kind: str, one: str | Path, two: str | Path, args: argparse.Namespace) -> None:
    with loopback(record_bodies=True, latency=args.latency) as server:
        run_one = _create(one, server.base_url, args.j)
        t0 = time.monotonic()
        _wait([_resume(one, run_one)])
        single_s = time.monotonic() - t0
        n_single = len(server.chat_bodies)

        run_two = _create(two, server.base_url, args.j)
        t0 = time.monotonic()
        docs = _wait([_resume(two, run_two, "--join"), _resume(two, run_two, "--join")])
        joined_s = time.monotonic() - t0
        bodies = list(server.chat_bodies)[n_single:]
    per_case = Counter((b["model"], query_index(b)) for b in bodies)
    claimed = [d["resumed"]["claimed"] for d in docs]
    print(
        f"{kind}: {2 * args.n} cases, concurrency {args.j} per process, latency "
        f"{args.latency} s: 1 process {single_s:.1f} s; 2 joined {joined_s:.1f} s "
        f"(claimed {claimed}); requests per case {sorted(Counter(per_case.values()).items())}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=150, help="test examples (cases = 2 n)")
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("-j", type=int, default=4, help="concurrency per process")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-join-"))
    one = build_ab_project(root / "one.studio", n_test=args.n).path
    two = build_ab_project(root / "two.studio", n_test=args.n).path
    bench("sqlite", one, two, args)
    if args.no_pg:
        return
    from helpers.pg_server import fresh_pg_database, running_server

    from studio.core.db.copy import copy_project

    one = build_ab_project(root / "one-pg.studio", n_test=args.n).path
    two = build_ab_project(root / "two-pg.studio", n_test=args.n).path
    with running_server() as server:
        import os

        os.environ["PGPASSWORD"] = server.password
        pg_one, pg_two = fresh_pg_database(server), fresh_pg_database(server)
        copy_project(one, pg_one)
        copy_project(two, pg_two)
        bench("postgresql", pg_one, pg_two, args)


if __name__ == "__main__":
    main()
