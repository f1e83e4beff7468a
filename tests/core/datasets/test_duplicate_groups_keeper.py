"""Near-duplicate groups are keeper-centred (no chaining), one count everywhere, and
"move test to train" / "drop the others" do what they say.

Figures are checked against independent computations: rapidfuzz's all-pairs ``cdist``
on the normalised texts (brute force, no MinHash/LSH) and hand-built examples.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Indel

from studio.core import datasets as core
from studio.core.datasets.normalize import normalize_text
from studio.core.db.project import Project

T = core.DEFAULT_THRESHOLD
A = "How do I get my new card delivered quickly"
B = "How do I get a new card delivered quick"  # near A
C = "How can I get a new card delivered quick"  # near B, not near A


def _sim(a: str, b: str) -> float:
    return float(Indel.normalized_similarity(normalize_text(a), normalize_text(b)))


def _csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, ["text", "label", "split"])
        w.writeheader()
        w.writerows(rows)
    return path


def _import(project: Project, path: Path, name: str = "ds") -> int:
    result = core.import_file(project, path, name)
    assert result.imported > 0 and not result.rejected
    assert result.dataset_id is not None
    return result.dataset_id


def test_a_chain_of_paraphrases_is_not_one_group(project: Project, tmp_path: Path) -> None:
    # The premise, checked independently: A~B and B~C but not A~C
    assert _sim(A, B) >= T and _sim(B, C) >= T and _sim(A, C) < T
    others = ["What is the exchange rate today?", "Why was my transfer declined?"]
    rows = [{"text": t, "label": "x", "split": ""} for t in (A, B, C, *others)]
    ds = _import(project, _csv(tmp_path / "chain.csv", rows))
    ids = core.query_ids(project, ds)
    groups = core.find_duplicates(project, ds)
    # Union-find made {A, B, C}; the keeper (A, the oldest) keeps only B
    assert [g.example_ids for g in groups] == [(ids[0], ids[1])]
    g = groups[0]
    assert g.keep_id == ids[0] and g.duplicates == 1
    assert g.similarities == (1.0, round(_sim(A, B), 4))
    stats = core.dataset_stats(project, ds, with_tokens=False)
    assert (stats["duplicates"], stats["duplicate_groups"]) == (1, 1)


def test_drop_others_drops_only_near_duplicates_of_the_chosen_row(
    project: Project, tmp_path: Path
) -> None:
    rows = [{"text": t, "label": "x", "split": ""} for t in (B, A, C)]
    ds = _import(project, _csv(tmp_path / "g.csv", rows))
    b, a, c = core.query_ids(project, ds)
    # B (oldest) keeps A and C (both within the threshold of B)
    assert [g.example_ids for g in core.find_duplicates(project, ds)] == [(b, a, c)]
    # The user keeps A instead: C is not a near-duplicate of A, so it stays
    changes = core.drop_duplicates(project, ds, [b, a, c], keep_id=a)
    assert changes.example_ids == (b,)
    assert "kept 1 example less than 0.90 similar" in changes.description
    assert sorted(core.query_ids(project, ds)) == sorted([a, c])
    # Merge behaves the same way
    core.undo(project, ds)
    merged = core.merge_duplicates(project, ds, [b, a, c], keep_id=a)
    assert set(merged.example_ids) == {a, b}
    assert sorted(core.query_ids(project, ds)) == sorted([a, c])


def _banking_sample(banking77_dir: Path, labels: int, dest: Path) -> Path:
    """train + test rows of the first ``labels`` banking77 categories, with a split column."""
    keep: list[str] = []
    rows = []
    for split in ("train", "test"):
        with (banking77_dir / f"{split}.csv").open(newline="", encoding="utf-8") as fh:
            for r in csv.DictReader(fh):
                cat = r["category"]
                if cat not in keep and len(keep) < labels:
                    keep.append(cat)
                if cat in keep:
                    rows.append({"text": r["text"], "label": cat, "split": split})
    return _csv(dest, rows)


def _brute_force(
    texts: list[str], splits: list[str]
) -> tuple[list[list[int]], set[int], np.ndarray]:
    """Keeper-centred groups and leaking test rows from the full similarity matrix."""
    norm = [normalize_text(t) for t in texts]
    sim = process.cdist(norm, norm, scorer=Indel.normalized_similarity, dtype=np.float64)
    n = len(texts)
    grouped: set[int] = set()
    groups = []
    for k in range(n):  # rows in id order: the oldest ungrouped row keeps a group
        if k in grouped:
            continue
        members = [k] + [j for j in range(k + 1, n) if j not in grouped and sim[k, j] >= T]
        grouped.update(members)
        if len(members) > 1:
            groups.append(members)
    leaking = {
        i
        for i in range(n)
        if splits[i] == "test"
        and any(sim[i, j] >= T for j in range(n) if splits[j] in ("train", "validation"))
    }
    return groups, leaking, sim


def test_banking77_sample_groups_and_leaks_match_brute_force(
    project: Project, tmp_path: Path, banking77_dir: Path
) -> None:
    src = _banking_sample(banking77_dir, 20, tmp_path / "b77.csv")
    ds = _import(project, src)
    ids = core.query_ids(project, ds)
    rows = {r.id: r for r in core.fetch_rows(project, ids)}
    detail = [core.get_example(project, i) for i in ids]
    texts = [str(d.inputs["text"]) for d in detail]
    splits = [rows[i].split or "" for i in ids]
    assert len(ids) > 3000 and splits.count("test") > 500
    index = {eid: k for k, eid in enumerate(ids)}

    groups, leaks = core.analyse(project, ds)
    bf_groups, bf_leaking, sim = _brute_force(texts, splits)
    assert groups, "the sample has near-duplicates"
    # 1. Every member is within the threshold of the row its group keeps (no chain)
    for g in groups:
        k = index[g.keep_id]
        for eid, s in zip(g.example_ids, g.similarities, strict=True):
            assert sim[k, index[eid]] >= T - 1e-9
            assert abs(sim[k, index[eid]] - s) < 1e-3
    # 2. The groups are the brute-force keeper groups (MinHash candidates miss a few
    #    pairs: measured recall 99.6 %, so allow at most 3 % of groups to differ)
    found = {tuple(index[e] for e in g.example_ids) for g in groups}
    expected = {tuple(m) for m in bf_groups}
    assert len(expected - found) <= 0.03 * len(expected)
    assert len(found - expected) <= 0.03 * len(expected)
    print(f"groups {len(found)} found, {len(expected)} brute force, {len(expected - found)} differ")
    # 3. Union-find on the same pairs would chain: the largest component is bigger
    #    than the largest keeper group (the defect this replaces)
    parent = list(range(len(ids)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in zip(*np.nonzero(np.triu(sim >= T, 1)), strict=True):
        parent[find(int(i))] = find(int(j))
    sizes: dict[int, int] = {}
    for i in range(len(ids)):
        sizes[find(i)] = sizes.get(find(i), 0) + 1
    assert max(sizes.values()) > max(len(g.example_ids) for g in groups)
    # 4. Leaks: test rows with a near copy in train, counted once each
    leaking = {core_leak.test_id for core_leak in leaks}
    assert len(core.group_leaks(leaks)) == len(leaking)
    assert len({index[t] for t in leaking} ^ bf_leaking) <= 0.02 * len(bf_leaking)
    # 5. One count: stats equals the groups and leak groups
    stats = core.dataset_stats(project, ds, with_tokens=False)
    assert stats["duplicate_groups"] == len(groups)
    assert stats["duplicates"] == sum(len(g.example_ids) - 1 for g in groups)
    assert stats["leaks"] == len(leaking)
    # ... and `studio dataset stats --json` prints the same figures
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "studio",
            "dataset",
            "stats",
            "ds",
            "--project",
            project.location,  # a file or postgresql://… alike
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert (out["duplicates"], out["duplicate_groups"], out["leaks"]) == (
        stats["duplicates"],
        stats["duplicate_groups"],
        stats["leaks"],
    )


def test_move_test_to_train_counts_moved_and_skipped(project: Project, tmp_path: Path) -> None:
    rows = [
        {"text": f"question {i} about a transfer that is late", "label": "x", "split": "test"}
        for i in range(4)
    ] + [{"text": "a train row", "label": "x", "split": "train"}]
    ds = _import(project, _csv(tmp_path / "m.csv", rows))
    t0, t1, t2, t3, tr = core.query_ids(project, ds)
    core.lock_test_split(project, ds)  # an evaluation used the test rows
    core.set_split(project, ds, [t3], "test")  # still test, still locked
    r = core.move_test_to_train(project, ds, [t0, t1, tr])
    assert (r.moved, r.skipped_locked, r.skipped_not_test) == (0, 2, 1)
    assert r.changes.op_id is None
    assert "2 skipped: locked" in r.message and "1 skipped: no longer in test" in r.message
    assert core.get_example(project, t0).split == "test"
    # The user agrees to unlock: both move, in one undoable operation
    r = core.move_test_to_train(project, ds, [t0, t1], unlock=True)
    assert (r.moved, r.skipped_locked, r.skipped_not_test) == (2, 0, 0)
    for t in (t0, t1):
        ex = core.get_example(project, t)
        assert ex.split == "train" and not ex.split_locked
    core.undo(project, ds)
    for t in (t0, t1):
        ex = core.get_example(project, t)
        assert ex.split == "test" and ex.split_locked
    # Unlocked rows move without asking
    project_ids = [t2]
    with_lock = core.get_example(project, t2).split_locked
    assert with_lock
    moved = core.move_test_to_train(project, ds, project_ids, unlock=True)
    assert moved.moved == 1 and moved.message.startswith("Moved 1 test example to train")
