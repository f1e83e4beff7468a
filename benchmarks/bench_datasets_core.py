"""Dataset core at 100,000 rows: import, queries, bulk edits, duplicates, memory.

Builds 100,000-row CSV and JSONL files from banking77 (train + test, repeated with
small variations: greeting prefixes, closing phrases and a ticket number, so every
row is distinct after normalisation and the near-duplicate finder has realistic
groups), then prints each figure with its bar and a ratio to a floor measured in the
same run (plain ``sqlite3`` executemany of the same rows into the same schema).
The imports and the floor are each the best of ``--runs`` (default 3) fresh runs,
interleaved, so that load from other processes on the machine hits both alike.

Run:  /work/venv/bin/python benchmarks/bench_datasets_core.py [--rows N] [--runs 3] [--no-recall]
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
BANKING77 = REPO.parent / "shared" / "datasets" / "banking77"

PREFIXES = (
    "",
    "Hi, ",
    "Hello. ",
    "Quick question: ",
    "Please help - ",
    "Good morning! ",
    "Hey ",
    "",
)
SUFFIXES = ("", " Thanks.", " Thank you!", " Cheers", " Please advise.", "", " Many thanks.", "")


def load_banking77() -> list[tuple[str, str]]:
    rows = []
    for name in ("train.csv", "test.csv"):
        with (BANKING77 / name).open(newline="", encoding="utf-8") as fh:
            rows += [(r["text"], r["category"]) for r in csv.DictReader(fh)]
    return rows


def make_rows(n: int) -> list[tuple[str, str]]:
    base = load_banking77()
    rng = random.Random(7)
    out = []
    for i in range(n):
        text, label = base[i % len(base)]
        if i >= len(base):
            text = f"{rng.choice(PREFIXES)}{text}{rng.choice(SUFFIXES)} [ticket {i}]"
        out.append((text, label))
    return out


def write_files(rows: list[tuple[str, str]], folder: Path) -> tuple[Path, Path]:
    csv_path = folder / "bench.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "category"])
        w.writerows(rows)
    jsonl_path = folder / "bench.jsonl"
    with jsonl_path.open("wb") as fh:
        for text, label in rows:
            fh.write(orjson.dumps({"text": text, "label": label}) + b"\n")
    return csv_path, jsonl_path


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    result = fn()
    return time.perf_counter() - t, result


def best_of(n: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best = float("inf")
    result = None
    for _ in range(n):
        t, result = timed(fn)
        best = min(best, t)
    return best, result


def sqlite_floor(rows: list[tuple[str, str]], folder: Path) -> float:
    """Plain sqlite3 executemany of the same rows (same columns as ``example``)."""
    from studio.core.datasets.normalize import normalize_text, text_hash

    path = folder / "floor.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(
        "CREATE TABLE example (id INTEGER PRIMARY KEY AUTOINCREMENT, dataset_id INT,"
        " input_json TEXT,"
        " output_kind TEXT, ideal_output TEXT, status TEXT, label TEXT, tags TEXT, notes TEXT,"
        " split TEXT, split_locked INT, source TEXT, source_line INT, norm_hash TEXT,"
        " search_text TEXT,"
        " created_at TEXT, updated_at TEXT)"
    )
    for idx in (
        "dataset_id",
        "dataset_id, status",
        "dataset_id, label",
        "dataset_id, split",
        "dataset_id, norm_hash",
    ):
        conn.execute(f"CREATE INDEX ix_{idx.replace(', ', '_')} ON example ({idx})")
    # precompute outside the timing: the floor is the database write alone
    params = [
        (
            1,
            orjson.dumps({"text": t}).decode(),
            "text",
            lb,
            "needs_review",
            lb,
            "",
            "",
            0,
            "f",
            i,
            text_hash(normalize_text(t)),
            t,
            "2026-01-01 00:00:00",
            "2026-01-01 00:00:00",
        )
        for i, (t, lb) in enumerate(rows)
    ]
    t0 = time.perf_counter()
    with conn:
        conn.executemany(
            "INSERT INTO example (dataset_id, input_json, output_kind, ideal_output, status, label,"
            " tags, notes, split_locked, source, source_line, norm_hash, search_text, created_at,"
            " updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            params,
        )
    elapsed = time.perf_counter() - t0
    conn.close()
    return len(rows) / elapsed


def peak_mb() -> float:
    """Peak resident set size of this process so far (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def line(name: str, value: str, bar: str = "", ratio: str = "") -> None:
    print(f"{name:<44} {value:>14}  {bar:<16} {ratio}")


def recall_on_banking77() -> None:
    """LSH candidate recall vs an exhaustive all-pairs comparison (ground truth)."""
    import numpy as np
    from rapidfuzz import process
    from rapidfuzz.distance import Indel

    from studio.core.datasets.near_duplicates import DEFAULT_THRESHOLD, near_duplicate_pairs
    from studio.core.datasets.normalize import normalize_text

    texts = list(dict.fromkeys(normalize_text(t) for t, _ in load_banking77()))
    t0 = time.perf_counter()
    truth = set()
    for s in range(0, len(texts), 1000):
        m = process.cdist(
            texts[s : s + 1000],
            texts,
            scorer=Indel.normalized_similarity,
            score_cutoff=DEFAULT_THRESHOLD,
            dtype=np.float64,
            workers=-1,
        )
        for i, j in zip(*np.nonzero(m), strict=True):
            if s + i < j:
                truth.add((int(s + i), int(j)))
    t_exh = time.perf_counter() - t0
    t_lsh, pairs = timed(lambda: near_duplicate_pairs(texts))
    found = {(i, j) for i, j, _ in pairs}
    recall = len(found & truth) / max(1, len(truth))
    line(
        "banking77 exhaustive all-pairs (truth)",
        f"{t_exh:.2f} s",
        "",
        f"{len(truth)} pairs >= 0.90",
    )
    line(
        "banking77 MinHash-LSH + verify",
        f"{t_lsh:.2f} s",
        "",
        f"recall {recall:.2%}, x{t_exh / t_lsh:.1f} faster",
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3, help="best of N for the imports and floor")
    ap.add_argument("--no-recall", action="store_true")
    args = ap.parse_args()

    from studio.core.datasets import (
        ExampleFilter,
        counts,
        fetch_rows,
        find_duplicates,
        import_file,
        query_ids,
        set_label,
        undo,
    )
    from studio.core.datasets.mapping import ImportMapping
    from studio.core.db.project import new_project, open_project

    n = args.rows
    print(
        f"Dataset core benchmark, {n:,} rows (banking77-derived), Python {sys.version.split()[0]}, "
        f"SQLite {sqlite3.sqlite_version}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = make_rows(n)
        csv_path, jsonl_path = write_files(rows, folder)
        runs = max(1, args.runs)
        mapping = ImportMapping(
            input_fields=["text"], label_field="category", task_type="classification"
        )
        jmap = ImportMapping(input_fields=["text"], label_field="label", task_type="classification")
        floors: list[float] = []
        t_csv = t_jsonl = float("inf")
        project = None
        for run in range(runs):
            # Interleaved: floor, CSV into a fresh project, JSONL into a copy of that
            # project (so the JSONL import meets 100k existing rows, as before)
            floors.append(sqlite_floor(rows, folder))
            last = run == runs - 1
            if project is not None:
                project.close()
                for old in folder.glob(f"bench{run - 1}.studio*"):
                    old.unlink()
            project = new_project(folder / f"bench{run}.studio")
            t, res = timed(lambda p=project: import_file(p, csv_path, "csv", mapping))
            assert res.imported + res.skipped_duplicates == n, (res.imported, res.rejected[:3])
            t_csv = min(t_csv, t)
            target = project
            if not last:
                project.save_copy(folder / f"bench{run}-copy.studio")
                target = open_project(folder / f"bench{run}-copy.studio")
            t, res2 = timed(lambda p=target: import_file(p, jsonl_path, "jsonl", jmap))
            assert res2.imported + res2.skipped_duplicates == n
            t_jsonl = min(t_jsonl, t)
            if not last:
                target.close()
                for old in folder.glob(f"bench{run}-copy.studio*"):
                    old.unlink()
        assert project is not None
        floor = max(floors)
        line(
            "floor: sqlite3 executemany (same rows)", f"{floor:,.0f} rows/s", "", f"best of {runs}"
        )
        line("peak RSS after building inputs + floor", f"{peak_mb():.0f} MB", "", "benchmark data")
        line(
            "import CSV",
            f"{n / t_csv:,.0f} rows/s",
            ">= 50,000 rows/s",
            f"{t_csv:.2f} s; {n / t_csv / floor:.2f} of floor; best of {runs}",
        )
        line(
            "import JSONL",
            f"{n / t_jsonl:,.0f} rows/s",
            ">= 50,000 rows/s",
            f"{t_jsonl:.2f} s; {n / t_jsonl / floor:.2f} of floor; best of {runs}",
        )
        ds = res.dataset_id
        assert ds is not None
        line("peak RSS after both imports", f"{peak_mb():.0f} MB", "< 400 MB")

        t, ids = best_of(3, lambda: query_ids(project, ds))
        line("query_ids all, by id", f"{t * 1000:.0f} ms", "<= 500 ms")
        t, _ = best_of(3, lambda: query_ids(project, ds, sort=("input", True)))
        line("query_ids all, sort by input text", f"{t * 1000:.0f} ms", "<= 500 ms")
        t, _ = best_of(3, lambda: query_ids(project, ds, sort=("label", False)))
        line("query_ids all, sort by label desc", f"{t * 1000:.0f} ms", "<= 500 ms")
        t, hits = best_of(3, lambda: query_ids(project, ds, ExampleFilter(search="card")))
        line("search substring 'card'", f"{t * 1000:.0f} ms", "<= 500 ms", f"{len(hits):,} hits")
        t, hits = best_of(
            3, lambda: query_ids(project, ds, ExampleFilter(search=r"\bpin\b.*\?$", regex=True))
        )
        line("search regex", f"{t * 1000:.0f} ms", "<= 500 ms", f"{len(hits):,} hits")
        t, hits = best_of(
            3,
            lambda: query_ids(
                project, ds, ExampleFilter(labels=("card_arrival",), statuses=("needs_review",))
            ),
        )
        line("filter label + status", f"{t * 1000:.0f} ms", "<= 500 ms", f"{len(hits):,} hits")
        t, _ = best_of(3, lambda: counts(project, ds))
        line("live counts (status/label/split)", f"{t * 1000:.0f} ms", "<= 500 ms")
        t, _ = best_of(5, lambda: fetch_rows(project, ids[50_000:50_040]))
        line("fetch_rows (one screen, 40 rows)", f"{t * 1000:.1f} ms", "few ms")

        t, ch = timed(lambda: set_label(project, ds, ExampleFilter(), "card_arrival"))
        line(
            "bulk set_label on all rows (+history)", f"{t:.2f} s", "<= 2 s", f"{ch.count:,} changed"
        )
        t, _ = timed(lambda: undo(project, ds))
        line("undo of that bulk label", f"{t:.2f} s", "<= 2 s")

        line("peak RSS after queries and bulk edits", f"{peak_mb():.0f} MB", "< 400 MB")
        t, groups = timed(lambda: find_duplicates(project, ds))
        members = sum(len(g.example_ids) for g in groups)
        line(
            "find_duplicates",
            f"{t:.1f} s",
            "reasonable",
            f"{len(groups):,} groups, {members:,} rows",
        )
        line("peak RSS after find_duplicates", f"{peak_mb():.0f} MB", "< 400 MB")
        project.close()

        if not args.no_recall:
            recall_on_banking77()
    line("peak RSS (whole benchmark process)", f"{peak_mb():.0f} MB", "", "incl. benchmark data")


if __name__ == "__main__":
    main()
