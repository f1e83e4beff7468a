"""Datasets CRUD, table queries, edits with history, bulk actions, undo/redo."""

from __future__ import annotations

import pytest

from studio.core.datasets import (
    ExampleFilter,
    ImportMapping,
    add_example,
    add_tag,
    counts,
    create_dataset,
    dataset_summaries,
    delete,
    delete_dataset,
    fetch_rows,
    get_dataset,
    get_example,
    import_file,
    iter_examples,
    list_datasets,
    query_ids,
    redo,
    remove_tag,
    rename_dataset,
    set_label,
    set_rating,
    set_split,
    set_status,
    undo,
    undo_state,
    update_example,
)
from studio.core.errors import NotFoundError, ValidationError

ROWS = [
    ("I am still waiting on my card", "card_arrival"),
    ("My card has not arrived yet", "card_arrival"),
    ("I lost my card yesterday", "lost_or_stolen_card"),
    ("Someone stole my wallet and card", "lost_or_stolen_card"),
    ("What is the exchange rate today?", "exchange_rate"),
    ("How do I change my PIN?", "change_pin"),
]


@pytest.fixture
def ds(project, write) -> int:  # type: ignore[no-untyped-def]
    body = "text,category\n" + "".join(f'"{t}",{c}\n' for t, c in ROWS)
    res = import_file(
        project,
        write("b.csv", body),
        "bank",
        ImportMapping(input_fields=["text"], label_field="category", task_type="classification"),
    )
    assert res.dataset_id is not None
    return res.dataset_id


def test_create_list_rename_delete_dataset(project) -> None:  # type: ignore[no-untyped-def]
    info = create_dataset(
        project,
        "invoices",
        "extraction",
        output_schema={"type": "object", "required": ["vendor"]},
        input_fields=["document"],
    )
    assert info.task_type == "extraction" and info.input_fields == ["document"]
    with pytest.raises(ValidationError, match="already exists"):
        create_dataset(project, "invoices")
    with pytest.raises(ValidationError, match="not a valid JSON Schema"):
        create_dataset(project, "bad", "extraction", output_schema={"type": "no-such-type"})
    with pytest.raises(ValidationError, match="not a task type"):
        create_dataset(project, "bad", "translation")
    rename_dataset(project, info.id, "receipts")
    assert [d.name for d in list_datasets(project)] == ["receipts"]
    assert dataset_summaries(project)[0].examples == 0
    delete_dataset(project, info.id)
    assert list_datasets(project) == []
    with pytest.raises(NotFoundError):
        get_dataset(project, "receipts")


def test_filters_sort_counts_rows(project, ds) -> None:  # type: ignore[no-untyped-def]
    ids = query_ids(project, ds)
    assert len(ids) == 6 and ids == sorted(ids)
    assert len(query_ids(project, ds, ExampleFilter(search="CARD"))) == 4
    assert len(query_ids(project, ds, ExampleFilter(search=r"^(i|my) ", regex=True))) == 3
    with pytest.raises(ValidationError, match="regular expression"):
        query_ids(project, ds, ExampleFilter(search="(", regex=True))
    assert query_ids(project, ds, ExampleFilter(search="100%")) == []  # % is literal
    lost = query_ids(project, ds, ExampleFilter(labels=("lost_or_stolen_card",)))
    assert len(lost) == 2
    by_input = query_ids(project, ds, sort=("input", True))
    texts = [r.input for r in fetch_rows(project, by_input)]
    assert texts == sorted(texts, key=str.lower)
    assert query_ids(project, ds, sort=("label", False))[0] in lost
    with pytest.raises(ValidationError, match="Cannot sort"):
        query_ids(project, ds, sort=("bogus", True))
    c = counts(project, ds, ExampleFilter(search="card"))
    assert c.total == 4 and c.by_label == {"card_arrival": 2, "lost_or_stolen_card": 2}
    assert c.by_status["needs_review"] == 4 and c.by_split["none"] == 4
    rows = fetch_rows(project, [ids[3], ids[0], 999_999])
    assert [r.id for r in rows] == [ids[3], ids[0]]
    assert rows[0].label == "lost_or_stolen_card" and rows[0].tags == ()


def test_keyset_pagination(project, ds) -> None:  # type: ignore[no-untyped-def]
    page1 = iter_examples(project, ds, after_id=0, limit=4)
    page2 = iter_examples(project, ds, after_id=page1[-1].id, limit=4)
    assert len(page1) == 4 and len(page2) == 2
    assert [e.id for e in page1 + page2] == query_ids(project, ds)


def test_update_example_records_history_and_undoes(project, ds) -> None:  # type: ignore[no-untyped-def]
    ex_id = query_ids(project, ds)[0]
    ch = update_example(project, ex_id, label="lost_or_stolen_card", rating=4, tags=["hard", "x"])
    assert ch.example_ids == (ex_id,) and {"label", "ideal_output", "rating", "tags"} <= ch.fields
    detail = get_example(project, ex_id)
    assert (detail.label, detail.ideal_output, detail.rating, detail.tags) == (
        "lost_or_stolen_card",
        "lost_or_stolen_card",
        4,
        ("hard", "x"),
    )
    label_change = next(h for h in detail.history if h.field == "label")
    assert (label_change.before, label_change.after, label_change.actor) == (
        "card_arrival",
        "lost_or_stolen_card",
        "tester",
    )
    assert update_example(project, ex_id, rating=4).op_id is None  # no change, no operation
    update_example(project, ex_id, inputs={"text": "Where is my new card?"})
    assert get_example(project, ex_id).inputs == {"text": "Where is my new card?"}
    assert query_ids(project, ds, ExampleFilter(search="new card")) == [ex_id]
    undo(project, ds)
    undo(project, ds)
    detail = get_example(project, ex_id)
    assert (detail.label, detail.rating, detail.tags, detail.inputs["text"]) == (
        "card_arrival",
        None,
        (),
        "I am still waiting on my card",
    )
    with pytest.raises(ValidationError) as exc:
        update_example(project, ex_id, status="done")
    assert exc.value.where == "status"
    with pytest.raises(ValidationError):
        update_example(project, ex_id, colour="red")


def test_bulk_actions_one_op_each_with_undo_redo(project, ds) -> None:  # type: ignore[no-untyped-def]
    ids = query_ids(project, ds)
    ch = set_status(project, ds, ExampleFilter(search="card"), "approved")
    assert ch.count == 4 and ch.fields == frozenset({"status"})
    assert counts(project, ds).by_status["approved"] == 4
    assert set_status(project, ds, ExampleFilter(search="card"), "approved").op_id is None
    set_label(project, ds, ids[:2], "lost_or_stolen_card")
    assert get_dataset(project, ds).label_set.count("lost_or_stolen_card") == 1
    add_tag(project, ds, ids, "reviewed")
    assert len(query_ids(project, ds, ExampleFilter(tags=("reviewed",)))) == 6
    remove_tag(project, ds, ids[:1], "reviewed")
    set_rating(project, ds, ids[:3], 5)
    set_split(project, ds, ids[:3], "test")
    assert counts(project, ds).by_split["test"] == 3
    assert undo_state(project, ds).undo == "Move to test on 3 examples"
    for _ in range(6):
        assert undo(project, ds) is not None
    assert counts(project, ds).by_status["approved"] == 0
    assert [r.label for r in fetch_rows(project, ids[:2])] == ["card_arrival", "card_arrival"]
    assert query_ids(project, ds, ExampleFilter(tags=("reviewed",))) == []
    summary = redo(project, ds)
    assert summary is not None and summary.kind == "set_status" and summary.changes.count == 4
    assert counts(project, ds).by_status["approved"] == 4
    # a new change discards the redo stack
    set_rating(project, ds, ids[:1], 2)
    assert redo(project, ds) is None
    assert undo_state(project, ds).redo is None


def test_delete_and_undo_restores_same_ids(project, ds, db_count) -> None:  # type: ignore[no-untyped-def]
    ids = query_ids(project, ds)
    update_example(project, ids[1], notes="keep me", tags=["t"])
    ch = delete(project, ds, ExampleFilter(labels=("card_arrival",)))
    assert ch.rows_added_or_removed and set(ch.example_ids) == set(ids[:2])
    assert db_count() == 4
    # a later insert (another op, then undone) never reuses the deleted ids
    added = add_example(project, ds, {"text": "brand new"}, label="change_pin")
    assert added.example_ids[0] > max(ids)
    undo(project, ds)
    undo(project, ds)
    assert query_ids(project, ds) == ids
    restored = get_example(project, ids[1])
    assert (restored.notes, restored.tags, restored.label) == ("keep me", ("t",), "card_arrival")
    redo(project, ds)
    assert db_count() == 4


def test_locked_test_examples_are_not_moved_by_set_split(project, ds) -> None:  # type: ignore[no-untyped-def]
    from studio.core.datasets import lock_test_split

    ids = query_ids(project, ds)
    set_split(project, ds, ids[:2], "test")
    assert lock_test_split(project, ds) == 2
    ch = set_split(project, ds, ids, "train")
    assert set(ch.example_ids) == set(ids[2:])
    assert [r.split for r in fetch_rows(project, ids[:2])] == ["test", "test"]
    with pytest.raises(ValidationError, match="stays in test"):
        update_example(project, ids[0], split="train")


def test_extraction_outputs_validated_against_schema(project) -> None:  # type: ignore[no-untyped-def]
    info = create_dataset(
        project,
        "inv",
        "extraction",
        output_schema={
            "type": "object",
            "properties": {"n": {"type": "integer"}},
            "required": ["n"],
        },
    )
    ch = add_example(
        project, info.id, {"text": "invoice 3"}, ideal_output='{"n": 3}', output_kind="json"
    )
    with pytest.raises(ValidationError, match="schema"):
        update_example(project, ch.example_ids[0], ideal_output='{"n": "three"}')
    with pytest.raises(ValidationError, match="not valid JSON"):
        update_example(project, ch.example_ids[0], ideal_output="{n: 3")
    update_example(project, ch.example_ids[0], ideal_output={"n": 4})
    assert get_example(project, ch.example_ids[0]).ideal_output == '{"n":4}'
