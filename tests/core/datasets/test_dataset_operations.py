"""Undo and redo by operation id: exactly the operation asked for, refusals that name the
operations in the way, cascades, and the operation list."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from studio.core.datasets import (
    ExampleFilter,
    OperationConflictError,
    curation,
    get_dataset,
    import_file,
    list_operations,
    redo_operation,
    undo_operation,
)
from studio.core.db.project import Project
from studio.core.errors import NotFoundError, UserError

CSV_A = "text,category\n" + "".join(
    f"first file question {i},{'a' if i % 2 else 'b'}\n" for i in range(6)
)
CSV_B = "text,category\n" + "".join(f"second file question {i},c\n" for i in range(4))


def _labels(project: Project) -> dict[int, str | None]:
    with project.engine.connect() as conn:  # plain SQL, either backend
        return {r[0]: r[1] for r in conn.execute(text("SELECT id, label FROM example ORDER BY id"))}


def _setup(project: Project, write: Callable[..., Path]) -> int:
    r = import_file(project, write("a.csv", CSV_A), "ds")
    assert r.imported == 6
    return get_dataset(project, "ds").id


def test_undo_by_id_keeps_a_later_import(project: Project, write: Callable[..., Path]) -> None:
    ds = _setup(project, write)
    before = _labels(project)
    ids = sorted(before)[:3]
    label_op = curation.set_label(project, ds, ids, "x")
    assert label_op.count == 3
    imported = import_file(project, write("b.csv", CSV_B), "ds")
    assert imported.imported == 4
    after_import = _labels(project)
    assert len(after_import) == 10

    done = undo_operation(project, ds, label_op.op_id)
    assert [s.op_id for s in done] == [label_op.op_id]
    now = _labels(project)
    # The import stays (10 rows: 6 + 4), the three labels are back, nothing else changed
    assert len(now) == 10
    assert {i: now[i] for i in before} == before
    assert {i: now[i] for i in now if i not in before} == {
        i: after_import[i] for i in after_import if i not in before
    }
    ops = {o.id: o for o in list_operations(project, ds)}
    assert ops[label_op.op_id].undone and not ops[imported.op_id or 0].undone

    redone = redo_operation(project, ds, label_op.op_id or 0)
    assert redone.changes.count == 3
    assert _labels(project) == after_import


def test_undo_refused_names_later_operations_then_cascade(
    project: Project, write: Callable[..., Path]
) -> None:
    ds = _setup(project, write)
    original = _labels(project)
    ids = sorted(original)
    first = curation.set_label(project, ds, ids[:2], "x")
    second = curation.set_label(project, ds, ids[1:3], "y")  # touches ids[1] again
    status = curation.set_status(project, ds, ids[:2], "approved")  # other field: no conflict
    with pytest.raises(OperationConflictError) as err:
        undo_operation(project, ds, first.op_id)
    assert err.value.blockers == [(second.op_id, second.description)]
    assert f"{second.op_id} (" in err.value.message
    # Refused: nothing changed
    assert _labels(project)[ids[0]] == "x" and _labels(project)[ids[1]] == "y"

    # Undoing the import would overwrite all three later operations
    with pytest.raises(OperationConflictError) as err:
        undo_operation(project, ds, 1)
    assert {b for b, _ in err.value.blockers} == {first.op_id, second.op_id, status.op_id}

    done = undo_operation(project, ds, first.op_id, cascade=True)
    assert [s.op_id for s in done] == [second.op_id, first.op_id]  # newest first
    assert _labels(project) == original
    with project.engine.connect() as conn:
        statuses = {
            r[0]
            for r in conn.execute(
                text("SELECT status FROM example WHERE id IN (:a, :b)"), {"a": ids[0], "b": ids[1]}
            )
        }
    assert statuses == {"approved"}  # the non-overlapping status change stayed


def test_redo_refuses_while_an_earlier_overlapping_op_is_undone(
    project: Project, write: Callable[..., Path]
) -> None:
    ds = _setup(project, write)
    ids = sorted(_labels(project))
    first = curation.set_label(project, ds, ids[:1], "x")
    second = curation.set_label(project, ds, ids[:1], "y")
    undo_operation(project, ds)  # newest: second
    undo_operation(project, ds)  # then first
    with pytest.raises(OperationConflictError):
        redo_operation(project, ds, second.op_id or 0)
    redo_operation(project, ds, first.op_id or 0)
    redo_operation(project, ds, second.op_id or 0)
    assert _labels(project)[ids[0]] == "y"


def test_undo_errors_and_newest_default(project: Project, write: Callable[..., Path]) -> None:
    ds = _setup(project, write)
    op = curation.set_status(project, ds, ExampleFilter(), "approved")
    assert op.count == 6
    done = undo_operation(project, ds)
    assert [s.op_id for s in done] == [op.op_id]
    with pytest.raises(UserError, match="already undone"):
        undo_operation(project, ds, op.op_id)
    with pytest.raises(NotFoundError):
        undo_operation(project, ds, 999)
    descriptions = [o.description for o in list_operations(project, ds)]
    assert descriptions == ["Set status approved on 6 examples", "Import 6 examples from a.csv"]
    # Undo everything: the dataset's rows go with the import; nothing left to undo after
    undo_operation(project, ds)
    assert _labels(project) == {}
    assert undo_operation(project, ds) == []


def test_history_lines_say_what_each_operation_did(
    project: Project, write: Callable[..., Path]
) -> None:
    from studio.core.datasets import example_history
    from studio.core.datasets.operations import history_line

    ds = _setup(project, write)
    ids = sorted(_labels(project))
    curation.set_label(project, ds, ids[:3], "x")
    curation.delete(project, ds, ids[:1])
    lines = [history_line(h) for h in example_history(project, ids[0])]
    assert lines[0] == "deleted by: Delete 1 example"
    assert 'label: b → x (Set label "x" on 3 examples)' in lines
    assert lines[-1] == "added by: Import 6 examples from a.csv"
    undo_operation(project, ds)  # the delete
    assert history_line(example_history(project, ids[0])[0]).endswith("[undone]")
