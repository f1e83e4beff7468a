"""Who wrote the ideal output (issue 13): a person's edits and imports say ``human``.

An accepted teacher candidate says ``teacher`` (given explicitly); undo restores the
previous source with the previous ideal output.
"""

from __future__ import annotations

from sqlalchemy import text

from studio.core.datasets import ImportMapping, import_file
from studio.core.datasets.catalog import create_dataset
from studio.core.datasets.curation import add_example, set_label, update_example
from studio.core.datasets.operations import undo
from studio.core.db.project import Project
from studio.core.db.transactions import read_conn


def _source(project: Project, example_id: int) -> str:
    with read_conn(project) as conn:
        return str(
            conn.execute(
                text("SELECT ideal_source FROM example WHERE id = :i"), {"i": example_id}
            ).scalar_one()
        )


def test_edits_by_hand_mark_human_and_undo_restores(project: Project) -> None:
    ds = create_dataset(project, "gen", task_type="generation").id
    with_ideal = add_example(project, ds, {"text": "a"}, ideal_output="A").example_ids[0]
    without = add_example(project, ds, {"text": "b"}).example_ids[0]
    assert (_source(project, with_ideal), _source(project, without)) == ("human", "")
    update_example(project, without, ideal_output="B")
    assert _source(project, without) == "human"
    undo(project, ds)
    assert _source(project, without) == ""
    # an edit of another field leaves the source alone
    update_example(project, with_ideal, notes="checked")
    assert _source(project, with_ideal) == "human"
    # an accepted teacher answer says so; a person's later edit makes it human again
    update_example(project, without, ideal_output="T", ideal_source="teacher")
    assert _source(project, without) == "teacher"
    update_example(project, without, ideal_output="T, fixed")
    assert _source(project, without) == "human"


def test_labels_set_by_a_person_are_human_ideals(project: Project) -> None:
    ds = create_dataset(project, "cls", task_type="classification", label_set=["x", "y"]).id
    ids = [add_example(project, ds, {"text": f"t{i}"}).example_ids[0] for i in range(3)]
    assert [_source(project, i) for i in ids] == ["", "", ""]
    set_label(project, ds, ids[:2], "x")
    assert [_source(project, i) for i in ids] == ["human", "human", ""]
    update_example(project, ids[2], label="y")
    assert _source(project, ids[2]) == "human"
    set_label(project, ds, ids[:1], None)
    assert _source(project, ids[0]) == ""
    undo(project, ds)
    assert _source(project, ids[0]) == "human"


def test_import_marks_rows_with_an_ideal_output_human(project: Project, write) -> None:  # type: ignore[no-untyped-def]
    path = write("rows.csv", "text,ideal\nfirst,one\nsecond,\nthird,three\n")
    res = import_file(
        project, path, "imp", ImportMapping(input_fields=["text"], output_field="ideal")
    )
    assert res.imported == 3
    with read_conn(project) as conn:
        got = conn.execute(
            text("SELECT search_text, ideal_source FROM example WHERE dataset_id = :d ORDER BY id"),
            {"d": res.dataset_id},
        ).all()
    assert [tuple(r) for r in got] == [("first", "human"), ("second", ""), ("third", "human")]
