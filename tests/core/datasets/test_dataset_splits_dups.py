"""Splits (stratified, seeded, locked test), duplicates, leaks, stats, demo dataset."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from studio.core.datasets import (
    ExampleFilter,
    ImportMapping,
    counts,
    dataset_stats,
    drop_duplicates,
    fetch_rows,
    find_duplicates,
    find_leaks,
    get_example,
    import_file,
    keep_group,
    lock_test_split,
    merge_duplicates,
    query_ids,
    resolve_leak,
    set_split,
    split_dataset,
    undo,
    update_example,
)
from studio.core.datasets.near_duplicates import near_duplicate_pairs
from studio.core.datasets.normalize import normalize_text
from studio.core.datasets.splits import plan_split
from studio.core.errors import ValidationError

MAPPING = ImportMapping(input_fields=["text"], label_field="category", task_type="classification")


@pytest.fixture
def labelled(project, tmp_path: Path) -> int:  # type: ignore[no-untyped-def]
    path = tmp_path / "l.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "category"])
        for i in range(300):
            w.writerow(
                [
                    f"query {i} about topic {i % 3} with words {i * 7}",
                    ["a", "b", "c"][i % 3] if i < 240 else "rare",
                ]
            )
    res = import_file(project, path, "l", MAPPING)
    assert res.dataset_id is not None
    return res.dataset_id


def test_split_is_stratified_reproducible_and_exact(project, labelled) -> None:  # type: ignore[no-untyped-def]
    res = split_dataset(project, labelled, test=0.2, validation=0.1, seed=3)
    assert (res.train, res.validation, res.test) == (210, 30, 60)
    # 80 each of a/b/c and 60 "rare": every label keeps its share in every split
    for label, (n_test, n_val) in {
        "a": (16, 8),
        "b": (16, 8),
        "c": (16, 8),
        "rare": (12, 6),
    }.items():
        c = counts(project, labelled, ExampleFilter(labels=(label,)))
        assert (c.by_split["test"], c.by_split["validation"]) == (n_test, n_val)
    first = {r.id: r.split for r in fetch_rows(project, query_ids(project, labelled))}
    again = split_dataset(project, labelled, test=0.2, validation=0.1, seed=3)
    assert again.moved == 0 and again.changes.op_id is None
    other = split_dataset(project, labelled, test=0.2, validation=0.1, seed=4)
    assert other.moved > 0
    undo(project, labelled)
    assert {r.id: r.split for r in fetch_rows(project, query_ids(project, labelled))} == first


def test_plan_split_depends_only_on_ids_labels_seed() -> None:
    rows = [(i, "x" if i % 2 else "y", None, False) for i in range(1, 101)]
    a, _ = plan_split(rows, 0.3, 0.0, 9, True, False)
    b, _ = plan_split(list(reversed(rows)), 0.3, 0.0, 9, True, False)
    assert a == b and sum(v == "test" for v in a.values()) == 30
    full, _ = plan_split(rows, 1.0, 0.0, 0, True, False)
    assert set(full.values()) == {"test"}
    none, _ = plan_split(rows, 0.0, 0.0, 0, False, False)
    assert set(none.values()) == {"train"}


def test_locked_test_examples_stay_unless_confirmed(project, labelled) -> None:  # type: ignore[no-untyped-def]
    split_dataset(project, labelled, test=0.2, seed=1)
    test_ids = set(query_ids(project, labelled, ExampleFilter(splits=("test",))))
    assert lock_test_split(project, labelled) == 60
    res = split_dataset(project, labelled, test=0.1, seed=99)
    assert res.kept_locked == 60 and res.test == 60
    assert set(query_ids(project, labelled, ExampleFilter(splits=("test",)))) == test_ids
    moved = split_dataset(project, labelled, test=0.1, seed=99, move_locked=True)
    assert moved.test == 30 and moved.kept_locked == 0
    assert "split_locked" in moved.changes.fields


@pytest.mark.parametrize(
    "kwargs", [{"test": 1.5}, {"test": -0.1}, {"test": 0.6, "validation": 0.5}]
)
def test_split_fractions_are_checked(project, labelled, kwargs) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        split_dataset(project, labelled, **kwargs)


def _dup_dataset(project, tmp_path: Path) -> int:  # type: ignore[no-untyped-def]
    rows = [
        ("I am still waiting for my card.", "card_arrival"),
        ("I am still waiting for my card ?", "card_arrival"),
        ("How do I change my PIN?", "change_pin"),
        ("Where can I change my PIN number?", "change_pin"),
        ("Has my top up gone through?", "pending_top_up"),
        ("Has my top-up gone through?", "top_up_reverted"),
        ("What is the exchange rate for euros?", "exchange_rate"),
    ]
    path = tmp_path / "d.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "category"])
        w.writerows(rows)
    res = import_file(project, path, "dups", MAPPING)
    assert res.dataset_id is not None
    return res.dataset_id


def test_near_duplicates_found_and_resolved_undoably(project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ds = _dup_dataset(project, tmp_path)
    ids = query_ids(project, ds)
    groups = find_duplicates(project, ds)
    found = {g.example_ids for g in groups}
    assert found == {(ids[0], ids[1]), (ids[4], ids[5])}
    assert all(not g.exact and 0.9 <= g.similarity < 1 for g in groups)
    # exact duplicates created by an edit are found as exact
    update_example(project, ids[6], inputs={"text": "how do i change my pin?"})
    exact = [g for g in find_duplicates(project, ds) if g.exact]
    assert exact and exact[0].example_ids == (ids[2], ids[6]) and exact[0].similarity == 1.0
    undo(project, ds)

    add = update_example(project, ids[1], tags=["typo"])
    assert add.op_id
    merged = merge_duplicates(project, ds, [ids[0], ids[1]])
    kept = get_example(project, ids[0])
    assert kept.tags == ("typo",) and f"#{ids[1]}" in kept.notes
    assert ids[1] in merged.example_ids and len(query_ids(project, ds)) == 6
    undo(project, ds)
    assert len(query_ids(project, ds)) == 7 and get_example(project, ids[0]).tags == ()

    drop_duplicates(project, ds, [ids[4], ids[5]], keep_id=ids[5])
    assert ids[4] not in query_ids(project, ds)
    undo(project, ds)
    keep_group(project, ds, [ids[4], ids[5]])
    assert (ids[4], ids[5]) not in {g.example_ids for g in find_duplicates(project, ds)}
    assert (ids[4], ids[5]) in {
        g.example_ids for g in find_duplicates(project, ds, include_reviewed=True)
    }


def test_leaks_between_test_and_train(project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ds = _dup_dataset(project, tmp_path)
    ids = query_ids(project, ds)
    set_split(project, ds, ids, "train")
    set_split(project, ds, [ids[1]], "test")
    leaks = find_leaks(project, ds)
    assert [(lk.test_id, lk.train_id, lk.exact) for lk in leaks] == [(ids[1], ids[0], False)]
    resolve_leak(project, ds, leaks[0], "move_to_train")
    assert find_leaks(project, ds) == []
    undo(project, ds)
    resolve_leak(project, ds, leaks[0], "keep")
    assert find_leaks(project, ds) == []
    with pytest.raises(ValidationError):
        resolve_leak(project, ds, leaks[0], "explode")


def test_banking77_known_near_duplicates(banking77_dir: Path) -> None:
    with (banking77_dir / "train.csv").open(newline="") as fh:
        texts = sorted({normalize_text(r["text"]) for r in csv.DictReader(fh)})[:4000]
    pairs = near_duplicate_pairs(texts)
    found = {(texts[i], texts[j]) for i, j, _ in pairs}
    assert all(s >= 0.9 for _, _, s in pairs)
    assert len(pairs) > 50
    assert any("card" in a for a, _ in found)


def test_stats_shape_and_token_histogram(project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ds = _dup_dataset(project, tmp_path)
    ids = query_ids(project, ds)
    set_split(project, ds, ids, "train")
    set_split(project, ds, [ids[1]], "test")
    stats = dataset_stats(project, "dups")
    assert stats["examples"] == 7 and stats["by_split"]["test"] == 1
    assert stats["duplicates"] == 2 and stats["duplicate_groups"] == 2 and stats["leaks"] == 1
    assert stats["by_label"]["change_pin"] == 2
    assert stats["label_balance"][0]["count"] == 2
    tl = stats["token_lengths"]
    assert sum(tl["counts"]) == 7 and tl["exact"] is True and "o200k" in tl["method"]
    est = dataset_stats(project, ds, with_duplicates=False, exact_tokens=False)["token_lengths"]
    assert est["exact"] is False and "estimate" in est["method"]


def test_demo_dataset_is_realistic(project) -> None:  # type: ignore[no-untyped-def]
    from studio.core.demo.dataset import add_demo_dataset

    ds = add_demo_dataset(project)
    stats = dataset_stats(project, ds)
    assert 590 <= stats["examples"] <= 610 and len(stats["by_label"]) == 10
    assert stats["by_status"]["approved"] > 400 and 50 < stats["by_status"]["needs_review"] < 150
    assert 1 <= stats["by_status"]["rejected"] <= 10
    assert 100 <= stats["by_split"]["test"] <= 130
    assert stats["leaks"] == 1 and stats["duplicates"] >= 2
    tagged = query_ids(project, ds, ExampleFilter(tags=("hard",)))
    assert tagged
    fixed = [
        i
        for i in query_ids(project, ds, ExampleFilter(search="Label fixed"))
        if sum(h.field == "label" for h in get_example(project, i).history) >= 2
    ]
    assert len(fixed) >= 2


def test_duplicate_search_reports_progress_and_cancels(project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from studio.core.errors import CancelledError
    from studio.core.progress import CancelToken, Progress

    ds = _dup_dataset(project, tmp_path)
    seen: list[Progress] = []
    find_duplicates(project, ds, progress=seen.append)
    assert seen and seen[-1].done == seen[-1].total
    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        find_duplicates(project, ds, cancel=token)
