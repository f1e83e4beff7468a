"""Personal undo (ISSUE-14 §3, as in collaborative editors), on both backends.

``undo()``, ``redo()``, ``undo_state()`` and ``undo_operation(op_id=None)`` act on the
current user's own operations; a new operation discards only its maker's undone ones.
Two labellers on 12 unlabelled banking77 queries: alice (who imported them) labels rows
1–5, bob labels rows 6–10. Rows are read back over a DB-API connection of the test's own
and compared with hand-computed values: the import gives version 1, every change or
undo/redo of a row bumps it by one.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from helpers import BANKING77
from helpers.backends import other_connection

from studio.core.datasets import (
    OperationConflictError,
    create_dataset,
    import_file,
    list_operations,
    newest_of_others,
    query_ids,
    redo,
    set_label,
    undo,
    undo_operation,
    undo_state,
)
from studio.core.db.project import Project

A_LABEL = "card_arrival"
B_LABEL = "card_linking"


@pytest.fixture(autouse=True)
def no_env_user(monkeypatch: pytest.MonkeyPatch) -> None:
    """Who acts is told by STUDIO_USER (``as_user``); alice unless told otherwise."""
    monkeypatch.setenv("STUDIO_USER", "alice")


def as_user(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv("STUDIO_USER", name)


@pytest.fixture
def team(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, list[int], int, int]:
    """(dataset id, the 12 row ids, alice's op on rows 1–5, bob's op on rows 6–10)."""
    with (BANKING77 / "test.csv").open(newline="", encoding="utf-8") as fh:
        texts = [r["text"] for r in list(csv.DictReader(fh))[:12]]
    path = tmp_path / "q.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text"])
        w.writerows([t] for t in texts)
    info = create_dataset(
        project, "intents", task_type="classification", label_set=[A_LABEL, B_LABEL]
    )
    assert import_file(project, path, "intents").imported == 12
    ids = sorted(query_ids(project, info.id))
    a = set_label(project, info.id, ids[:5], A_LABEL)
    as_user(monkeypatch, "bob")
    b = set_label(project, info.id, ids[5:10], B_LABEL)
    as_user(monkeypatch, "alice")
    assert a.op_id is not None and b.op_id is not None
    return info.id, ids, a.op_id, b.op_id


def rows(project: Project, ids: list[int]) -> list[tuple[str | None, int]]:
    """(label, version) of each row, over the test's own connection."""
    with other_connection(project.file or project.location) as conn:
        got = {
            int(r[0]): (r[1], int(r[2]))
            for r in conn.execute("SELECT id, label, version FROM example").fetchall()
        }
    return [got[i] for i in ids]


def ops_table(project: Project) -> list[tuple[Any, ...]]:
    """(id, actor, undone) of every operation, oldest first."""
    with other_connection(project.file or project.location) as conn:
        return [
            (int(r[0]), r[1], bool(r[2]))
            for r in conn.execute("SELECT id, actor, undone FROM operation ORDER BY id").fetchall()
        ]


def test_my_undo_undoes_my_operation_and_leaves_the_colleagues_newer_one(
    project: Project, team: tuple[int, list[int], int, int]
) -> None:
    ds, ids, op_a, op_b = team
    assert undo_state(project, ds).undo == f'Set label "{A_LABEL}" on 5 examples'
    done = undo(project, ds)  # alice: her labels, though bob's operation is newer
    assert done is not None and (done.op_id, done.actor) == (op_a, "alice")
    assert rows(project, ids[:5]) == [(None, 3)] * 5  # import v1, label v2, undo v3
    assert rows(project, ids[5:10]) == [(B_LABEL, 2)] * 5  # bob's labels kept
    assert rows(project, ids[10:]) == [(None, 1)] * 2
    # alice's next own step is the import, whose rows bob labelled since: refused,
    # naming bob, and nothing changes
    with pytest.raises(OperationConflictError) as err:
        undo(project, ds)
    assert [i for i, _ in err.value.blockers] == [op_b]
    assert f"{op_b} (Set label" in err.value.message and "by bob at" in err.value.message
    assert rows(project, ids[5:10]) == [(B_LABEL, 2)] * 5
    # redo is alice's too
    state = undo_state(project, ds)
    assert state.redo == f'Set label "{A_LABEL}" on 5 examples'
    again = redo(project, ds)
    assert again is not None and again.op_id == op_a
    assert rows(project, ids[:5]) == [(A_LABEL, 4)] * 5
    assert ops_table(project) == [(1, "alice", False), (op_a, "alice", False), (op_b, "bob", False)]


def test_bobs_undo_is_his_and_alices_new_operation_keeps_his_redo_stack(
    project: Project, team: tuple[int, list[int], int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    ds, ids, op_a, op_b = team
    as_user(monkeypatch, "bob")
    done = undo(project, ds)
    assert done is not None and (done.op_id, done.actor) == (op_b, "bob")
    assert rows(project, ids[5:10]) == [(None, 3)] * 5
    assert rows(project, ids[:5]) == [(A_LABEL, 2)] * 5
    # alice labels row 11: a new operation, which discards only *her* undone ones
    as_user(monkeypatch, "alice")
    c = set_label(project, ds, [ids[10]], A_LABEL)
    assert c.op_id is not None
    assert ops_table(project) == [
        (1, "alice", False),
        (op_a, "alice", False),
        (op_b, "bob", True),
        (c.op_id, "alice", False),
    ]
    assert redo(project, ds) is None  # alice has nothing undone
    as_user(monkeypatch, "bob")
    assert undo_state(project, ds).redo == f'Set label "{B_LABEL}" on 5 examples'
    back = redo(project, ds)
    assert back is not None and back.op_id == op_b
    assert rows(project, ids[5:10]) == [(B_LABEL, 4)] * 5
    assert rows(project, ids[10:]) == [(A_LABEL, 2), (None, 1)]


def test_a_new_operation_discards_its_makers_own_undone_operations(
    project: Project, team: tuple[int, list[int], int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    ds, ids, _op_a, op_b = team
    as_user(monkeypatch, "bob")
    assert undo(project, ds) is not None  # bob's op undone (his redo stack)
    as_user(monkeypatch, "alice")
    assert undo(project, ds) is not None  # alice's op undone (hers)
    c = set_label(project, ds, [ids[11]], B_LABEL)  # alice's new op: hers go, bob's stay
    assert c.op_id is not None
    assert ops_table(project) == [
        (1, "alice", False),
        (op_b, "bob", True),
        (c.op_id, "alice", False),
    ]
    assert redo(project, ds) is None
    assert rows(project, ids[:5]) == [(None, 3)] * 5


def test_redo_refused_when_a_colleague_relabelled_the_rows_since(
    project: Project, team: tuple[int, list[int], int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    ds, ids, _op_a, _op_b = team
    assert undo(project, ds) is not None  # alice undoes rows 1–5
    as_user(monkeypatch, "bob")
    d = set_label(project, ds, [ids[2]], B_LABEL)  # bob labels row 3
    assert d.op_id is not None
    as_user(monkeypatch, "alice")
    with pytest.raises(OperationConflictError) as err:
        redo(project, ds)
    assert [i for i, _ in err.value.blockers] == [d.op_id]
    assert "by bob at" in err.value.blockers[0][1]
    assert rows(project, ids[:5]) == [(None, 3)] * 2 + [(B_LABEL, 4)] + [(None, 3)] * 2


def test_nothing_of_mine_to_undo_names_the_newest_of_others(
    project: Project, team: tuple[int, list[int], int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    ds, ids, op_a, op_b = team
    as_user(monkeypatch, "carol")
    assert undo(project, ds) is None
    assert undo_operation(project, ds) == []
    state = undo_state(project, ds)
    assert (state.undo, state.redo) == (None, None)
    assert state.other is not None and (state.other.id, state.other.actor) == (op_b, "bob")
    newest = newest_of_others(project, ds)
    assert newest is not None and newest.id == op_b
    assert rows(project, ids[:10]) == [(A_LABEL, 2)] * 5 + [(B_LABEL, 2)] * 5
    # named by id, another's operation is undone (the explicit way)
    done = undo_operation(project, ds, op_b)
    assert [(s.op_id, s.actor) for s in done] == [(op_b, "bob")]
    assert rows(project, ids[5:10]) == [(None, 3)] * 5
    # undo_operation without an id is personal too: alice's own newest
    as_user(monkeypatch, "alice")
    assert undo_state(project, ds).other is None  # she has her own to undo
    assert [s.op_id for s in undo_operation(project, ds)] == [op_a]


def test_one_user_undoes_and_redoes_in_the_dataset_order_as_before(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "q.csv"
    path.write_text("text\nwhere is my card\nmy card is late\nchange my pin\n", encoding="utf-8")
    info = create_dataset(project, "solo", task_type="classification", label_set=["a", "b"])
    assert import_file(project, path, "solo").imported == 3
    ids = sorted(query_ids(project, info.id))
    x = set_label(project, info.id, ids[:1], "a").op_id
    y = set_label(project, info.id, ids[:2], "b").op_id
    z = set_label(project, info.id, ids[2:], "a").op_id
    got = []
    for _ in range(3):
        step = undo(project, info.id)
        assert step is not None
        got.append(step.op_id)
    assert got == [z, y, x]
    # row 1: import v1, x v2, y v3, undo y v4, undo x v5; rows 2, 3: one label and its undo
    assert rows(project, ids) == [(None, 5), (None, 3), (None, 3)]
    step = redo(project, info.id)
    assert step is not None and step.op_id == x
    assert undo_state(project, info.id).redo == 'Set label "b" on 2 examples'
    n = set_label(project, info.id, ids[1:2], "a").op_id  # discards y and z, as before
    assert [o.id for o in list_operations(project, info.id)] == [n, x, 1]
    assert rows(project, ids) == [("a", 6), ("a", 4), (None, 3)]  # redo x v6; n v4
