"""Table queries moved from the UI into the core: faceted counts, nulls-last case-insensitive
sorting, history with limits, tags, text samples, token lengths, exact duplicate counts."""

from __future__ import annotations

import pytest

from studio.core.datasets import (
    NONE_KEY,
    ExampleFilter,
    add_example,
    add_tag,
    all_tags,
    counts,
    create_dataset,
    dataset_stats,
    exact_duplicate_count,
    example_history,
    fetch_rows,
    get_example,
    query_ids,
    set_label,
    set_split,
    set_status,
    text_samples,
    token_lengths,
    update_example,
)
from studio.core.db.project import Project


def _add(project: Project, ds: int, text: str, **kw: object) -> int:
    ch = add_example(project, ds, {"text": text}, **kw)  # type: ignore[arg-type]
    return ch.example_ids[0]


@pytest.fixture
def ds(project: Project) -> int:
    """Six examples: labels with mixed case and a gap, statuses and splits varied."""
    info = create_dataset(project, "q", "classification", ["apple", "Banana", "cherry"])
    d = info.id
    rows = [
        ("zebra crossing", "cherry", "approved", "train"),
        ("Apple pie", "apple", "approved", "test"),
        ("banana split", "Banana", "needs_review", "train"),
        ("apricot jam", None, "needs_review", None),
        ("Cherry tart", "cherry", "rejected", "train"),
        ("blueberry", None, "approved", None),
    ]
    for text, label, status, split in rows:
        _add(project, d, text, label=label, status=status, split=split)
    return d


def test_counts_are_faceted(project: Project, ds: int) -> None:
    plain = counts(project, ds)
    assert plain.total == plain.dataset_total == 6
    assert plain.by_status == {"draft": 0, "needs_review": 2, "approved": 3, "rejected": 1}
    assert plain.by_label == {"Banana": 1, "apple": 1, "cherry": 2, NONE_KEY: 2}
    assert plain.by_split == {"train": 3, "validation": 0, "test": 1, NONE_KEY: 2}
    # Choosing "approved" keeps the other statuses' numbers (what choosing them would show)
    c = counts(project, ds, ExampleFilter(statuses=("approved",)))
    assert c.total == 3 and c.dataset_total == 6
    assert c.by_status == plain.by_status
    # ... while the other facets count only approved examples
    assert c.by_label == {"apple": 1, "cherry": 1, NONE_KEY: 1}
    assert c.by_split == {"train": 1, "validation": 0, "test": 1, NONE_KEY: 1}
    # Two facets chosen: each is counted with the other applied, not itself
    c2 = counts(project, ds, ExampleFilter(statuses=("approved",), splits=("train", None)))
    assert c2.total == 2
    assert c2.by_status == {"draft": 0, "needs_review": 2, "approved": 2, "rejected": 1}
    assert c2.by_split == {"train": 1, "validation": 0, "test": 1, NONE_KEY: 1}
    assert c2.by_label == {"cherry": 1, NONE_KEY: 1}
    # Search narrows every facet (it is not a facet)
    c3 = counts(project, ds, ExampleFilter(search="ap", labels=(None,)))
    assert c3.total == 1  # "apricot jam"
    assert c3.by_label == {"apple": 1, NONE_KEY: 1}  # "Apple pie" and "apricot jam"
    assert c3.by_status["needs_review"] == 1 and c3.by_status["approved"] == 0
    # The faceted number beside a value equals the size of the result when it is chosen
    for status, n in c2.by_status.items():
        chosen = ExampleFilter(statuses=(status,), splits=("train", None))
        assert len(query_ids(project, ds, chosen)) == n


def test_sort_is_case_insensitive_with_nulls_last(project: Project, ds: int) -> None:
    def labels(asc: bool) -> list[str | None]:
        return [r.label for r in fetch_rows(project, query_ids(project, ds, sort=("label", asc)))]

    assert labels(True) == ["apple", "Banana", "cherry", "cherry", None, None]
    assert labels(False) == ["cherry", "cherry", "Banana", "apple", None, None]
    splits = [r.split for r in fetch_rows(project, query_ids(project, ds, sort=("split", True)))]
    assert splits[-2:] == [None, None] and splits[0] == "test"
    texts = [r.input for r in fetch_rows(project, query_ids(project, ds, sort=("input", True)))]
    assert texts == sorted(texts, key=str.casefold)
    # ties (and the nulls) are broken by id in the sort direction
    ids = query_ids(project, ds)
    nulls_asc = query_ids(project, ds, sort=("label", True))[-2:]
    nulls_desc = query_ids(project, ds, sort=("label", False))[-2:]
    assert nulls_asc == sorted(nulls_asc) and nulls_desc == sorted(nulls_desc, reverse=True)
    assert set(nulls_asc) == {ids[3], ids[5]}
    # rating: unrated last both ways
    update_example(project, ids[0], rating=2)
    update_example(project, ids[1], rating=5)
    assert query_ids(project, ds, sort=("rating", True))[:2] == [ids[0], ids[1]]
    assert query_ids(project, ds, sort=("rating", False))[:2] == [ids[1], ids[0]]


def test_history_with_limit_and_descriptions(project: Project, ds: int) -> None:
    eid = query_ids(project, ds)[0]
    set_label(project, ds, [eid], "apple")
    set_status(project, ds, [eid], "rejected")
    update_example(project, eid, notes="checked")
    full = example_history(project, eid)
    assert [h.field for h in full[:2]] == ["notes", "status"]
    label = next(h for h in full if h.field == "label")
    assert full == get_example(project, eid).history
    two = example_history(project, eid, limit=2)
    assert two == full[:2]
    assert example_history(project, eid, limit=0) == []
    assert all(h.description for h in full)
    assert "label" in label.description.lower() and not label.undone
    assert label.before == "cherry" and label.after == "apple"
    assert example_history(project, 999_999) == []


def test_all_tags(project: Project, ds: int) -> None:
    ids = query_ids(project, ds)
    assert all_tags(project, ds) == []
    add_tag(project, ds, ids[:2], "hard")
    add_tag(project, ds, ids[1:3], "Ambiguous")
    add_tag(project, ds, [ids[4]], "b-side")
    assert all_tags(project, ds) == ["Ambiguous", "b-side", "hard"]


def test_text_samples_tokens_and_exact_duplicates(project: Project, ds: int) -> None:
    everything = text_samples(project, ds)
    assert len(everything) == 6 and everything[0] == ("zebra crossing", "cherry")
    sample = text_samples(project, ds, limit=3)
    assert len(sample) == 3 and sample[0] == everything[0] and sample[1] == everything[2]
    lengths = token_lengths(project, ds)
    assert not lengths.sampled and lengths.population == 6 and len(lengths.lengths) == 6
    assert all(n >= 2 for n in lengths.lengths) and lengths.method == "o200k_base"
    sampled = token_lengths(project, ds, exact_limit=4, sample=2)
    assert sampled.sampled and len(sampled.lengths) == 2 and sampled.population == 6
    assert exact_duplicate_count(project, ds) == 0
    _add(project, ds, "APPLE   pie")  # the same after normalising case and spacing
    _add(project, ds, "apple pie")
    assert exact_duplicate_count(project, ds) == 2
    st = dataset_stats(project, ds, with_duplicates=False, with_tokens=False)
    assert st["exact_duplicates"] == 2 and st["token_lengths"] is None
    assert st["examples"] == 8 and st["duplicates"] is None
    set_split(project, ds, query_ids(project, ds), "train")
    assert dataset_stats(project, ds, with_tokens=False)["duplicates"] == 2
