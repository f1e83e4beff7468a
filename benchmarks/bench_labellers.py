"""Many labellers at once (ISSUE-14 §3 "Done means"): N labeller processes × M label edits
with deliberate conflicts on a shared set of rows, then a check that no update was lost.

Each labeller is its own process (its own ``STUDIO_USER``, its own connection). An edit
reads a row's version (``fetch_rows``), then writes a label unique to that edit
(``w3-e41``) with ``update_example(..., expected_version=v)``. The rows are few (``--rows``,
default 10) and each labeller pauses between read and write (``--think-ms``, default 1),
so labellers often edit the same row at once on purpose: the later write is refused
(``StaleEditError``) or applied, never lost.

Afterwards, from the project alone:

* every applied edit is in the row's history (field ``label``, its unique value, its
  labeller) and no refused edit is;
* each row's label history is a chain: every change's *before* is the previous change's
  *after* (a lost update would show as a change made over a value nobody saw), and the
  row's version is 1 + its number of changes;
* applied + refused = N × M, other errors 0.

Reported: throughput (edits per second, applied and refused together, and applied alone),
p50/p95/max latency of one edit (read + write), conflicts refused.

Run: ``python benchmarks/bench_labellers.py [--project PATH_OR_URL | --start-postgres]
[--writers 2] [--edits 500] [--rows 10] [--json]``. Without ``--project`` a new SQLite
project is made in a temp folder. The project argument goes to ``open_project`` /
``new_project`` unchanged, so ``postgresql://user@host:port/db`` (a new database, or an
empty one; password from PGPASSWORD/~/.pgpass/keyring) runs the same benchmark;
``--start-postgres`` starts a private server first (benchmarks/local_postgres.py) and
runs on a new database there: README's "Team scale (PostgreSQL)" figures.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

DATASET = "bench-labellers"


def setup(target: str, rows: int) -> None:
    """A new project at ``target`` with ``rows`` unlabelled examples (a generation dataset)."""
    from studio.core.datasets import add_example, create_dataset
    from studio.core.db.project import new_project

    project = new_project(target)
    try:
        info = create_dataset(project, DATASET, task_type="generation")
        for i in range(rows):
            add_example(project, info.id, {"text": f"shared row {i}: where is my card?"})
    finally:
        project.close()


def worker(
    target: str,
    k: int,
    edits: int,
    seed: int,
    start: Any,
    out_path: str,
    unsafe: bool,
    think_s: float,
) -> None:
    """One labeller: ``edits`` read-version-then-write label edits on random shared rows.

    ``unsafe`` writes without the version (a bulk ``set_label``, as every edit did before
    row versions): the negative control showing the check below does catch lost updates.
    """
    os.environ["STUDIO_USER"] = f"labeller{k}"
    from studio.core.datasets import (
        fetch_rows,
        get_dataset,
        query_ids,
        set_label,
        update_example,
    )
    from studio.core.db.project import open_project
    from studio.core.errors import StaleEditError, UserError

    project = open_project(target)
    rng = random.Random(seed * 1000 + k)
    records: list[dict[str, Any]] = []
    try:
        ds = get_dataset(project, DATASET).id
        ids = query_ids(project, ds)
        start.wait()
        for i in range(edits):
            ex = rng.choice(ids)
            label = f"w{k}-e{i}"
            t0 = time.perf_counter()
            version = fetch_rows(project, [ex])[0].version
            if think_s:  # the labeller reads the row, then decides: others write meanwhile
                time.sleep(think_s)
            try:
                if unsafe:
                    set_label(project, ds, [ex], label)
                else:
                    update_example(project, ex, label=label, expected_version=version)
                outcome = "applied"
            except StaleEditError:
                outcome = "refused"
            except UserError as exc:  # busy, locked...: must stay 0
                outcome = f"error: {exc.message}"
            records.append(
                {
                    "ex": ex,
                    "label": label,
                    "read_version": version,
                    "outcome": outcome,
                    "s": time.perf_counter() - t0,
                }
            )
    finally:
        project.close()
    Path(out_path).write_text(json.dumps(records))


def check(
    target: str, results: list[list[dict[str, Any]]], writers: int, edits: int
) -> dict[str, Any]:
    """Count lost updates from the project's history (see the module docstring)."""
    from sqlalchemy import text

    from studio.core.db.project import open_project
    from studio.core.db.transactions import read_conn

    project = open_project(target)
    try:
        with read_conn(project) as conn:
            history = conn.execute(
                text(
                    "SELECT example_id, before_json, after_json, actor FROM example_history "
                    "WHERE field = 'label' ORDER BY id"
                )
            ).all()
            versions = {
                int(r[0]): int(r[1]) for r in conn.execute(text("SELECT id, version FROM example"))
            }
    finally:
        project.close()
    # Position of each change in its row's history: the change at position i took the
    # row from version i + 1 to i + 2 (only label edits run here)
    position: dict[tuple[int, str, str], int] = {}
    seen: dict[int, int] = {}
    for h in history:
        ex = int(h[0])
        position[(ex, json.loads(h[2]), str(h[3]))] = seen.get(ex, 0)
        seen[ex] = seen.get(ex, 0) + 1
    in_history = set(position)
    applied = refused = errors = applied_missing = refused_present = stale_applied = 0
    for k, records in enumerate(results):
        for r in records:
            key = (r["ex"], r["label"], f"labeller{k}")
            if r["outcome"] == "applied":
                applied += 1
                applied_missing += key not in in_history
                # A lost update: an edit made on version v that was not the change from
                # v to v + 1 (someone else's change came in between and was overwritten)
                stale_applied += key in in_history and position[key] + 1 != r["read_version"]
            elif r["outcome"] == "refused":
                refused += 1
                refused_present += key in in_history
            else:
                errors += 1
    broken_chain = 0
    changes: dict[int, int] = {}
    last: dict[int, Any] = {}
    for ex, before, after, _ in history:
        ex = int(ex)
        if json.loads(before) != last.get(ex):
            broken_chain += 1
        last[ex] = json.loads(after)
        changes[ex] = changes.get(ex, 0) + 1
    bad_versions = sum(1 for ex, v in versions.items() if v != 1 + changes.get(ex, 0))
    lost = applied_missing + refused_present + broken_chain + bad_versions + stale_applied
    return {
        "edits": writers * edits,
        "applied": applied,
        "refused": refused,
        "errors": errors,
        "accounted": applied + refused == writers * edits,
        "applied_missing_from_history": applied_missing,
        "refused_found_in_history": refused_present,
        "broken_chains": broken_chain,
        "wrong_versions": bad_versions,
        "applied_on_a_stale_read": stale_applied,
        "lost_updates": lost,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--project", help="project file or URL (default: a new temp SQLite file)")
    ap.add_argument("--writers", type=int, default=2)
    ap.add_argument("--edits", type=int, default=500, help="label edits per writer")
    ap.add_argument("--rows", type=int, default=10, help="shared rows the writers edit")
    ap.add_argument(
        "--think-ms",
        type=float,
        default=1.0,
        help="pause between reading a row and writing it (more conflicts; in the latency)",
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--unsafe",
        action="store_true",
        help="negative control: write without the version (expect lost updates)",
    )
    ap.add_argument(
        "--start-postgres",
        action="store_true",
        help="start a private PostgreSQL server (initdb/pg_ctl) and run on a database there",
    )
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.start_postgres:
        if args.project:
            ap.error("--start-postgres makes its own project: leave out --project")
        from local_postgres import private_server_database

        with private_server_database("bench_labellers") as url:
            return run(args, url)
    return run(args, args.project)


def run(args: argparse.Namespace, project: str | None) -> int:
    """Set up, run the labellers, check and print the figures; 0 when nothing was lost."""
    tmp = tempfile.TemporaryDirectory()
    target = project or str(Path(tmp.name) / "labellers.studio")
    setup(target, args.rows)
    ctx = mp.get_context("spawn")
    start = ctx.Event()
    outs = [str(Path(tmp.name) / f"w{k}.json") for k in range(args.writers)]
    procs = [
        ctx.Process(
            target=worker,
            args=(
                target,
                k,
                args.edits,
                args.seed,
                start,
                outs[k],
                args.unsafe,
                args.think_ms / 1000,
            ),
        )
        for k in range(args.writers)
    ]
    for p in procs:
        p.start()
    time.sleep(1.5)  # let every process import the studio and open the project first
    t0 = time.perf_counter()
    start.set()
    for p in procs:
        p.join()
    wall = time.perf_counter() - t0
    if any(p.exitcode != 0 for p in procs):
        print("a labeller process failed", file=sys.stderr)
        return 1
    results = [json.loads(Path(o).read_text()) for o in outs]
    summary = check(target, results, args.writers, args.edits)
    lat = sorted(r["s"] for rs in results for r in rs)
    figures = {
        "mode": "unsafe (no versions)" if args.unsafe else "versioned edits",
        "backend": "sqlite" if "://" not in target else target.split("://", 1)[0],
        "writers": args.writers,
        "edits_per_writer": args.edits,
        "shared_rows": args.rows,
        "think_ms": args.think_ms,
        "wall_s": round(wall, 3),
        "edits_per_s": round(summary["edits"] / wall, 1),
        "applied_per_s": round(summary["applied"] / wall, 1),
        "p50_ms": round(statistics.median(lat) * 1000, 2),
        "p95_ms": round(lat[int(0.95 * (len(lat) - 1))] * 1000, 2),
        "max_ms": round(lat[-1] * 1000, 2),
        **summary,
    }
    errors = sorted(
        {r["outcome"] for rs in results for r in rs if r["outcome"].startswith("error")}
    )
    if errors:
        print("errors seen:", *errors[:3], sep="\n  ", file=sys.stderr)
    tmp.cleanup()
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for k, v in figures.items():
            print(f"{k:32} {v}")
    return 0 if summary["lost_updates"] == 0 and summary["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
