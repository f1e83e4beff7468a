"""Undo while several labellers work on one project at once (ISSUE-14 §3), on both backends.

Each labeller is a thread with its own connection (the engine's pool), or a second
:class:`Project` opened on the same location (as a second process would). Who acts is
told by the display name (``studio.core.identity``), per thread. Rows are read back over
a DB-API connection of the test's own and compared with hand-computed values: the import
gives version 1, every change bumps it by one.
"""

from __future__ import annotations

import csv
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import BANKING77
from helpers.backends import other_connection

from studio.core.datasets import (
    OperationConflictError,
    create_dataset,
    fetch_rows,
    import_file,
    query_ids,
    set_label,
    undo_operation,
    update_example,
)
from studio.core.datasets import operations as ops
from studio.core.datasets.operations import OperationStateError
from studio.core.db.project import Project, open_project
from studio.core.errors import StaleEditError

LABEL = "card_arrival"
OTHER = "card_linking"

_who = threading.local()


@pytest.fixture(autouse=True)
def labeller_per_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """current_user() is the thread's labeller (``as_user``), alice by default."""
    monkeypatch.delenv("STUDIO_USER", raising=False)
    _who.name = "alice"  # the main thread's name from an earlier test must not leak
    monkeypatch.setattr(
        "studio.core.identity.configured_display_name", lambda: getattr(_who, "name", "alice")
    )


def as_user(name: str) -> None:
    _who.name = name


@pytest.fixture
def rows(project: Project, tmp_path: Path) -> tuple[int, list[int]]:
    """A classification dataset of 12 unlabelled banking77 queries: (dataset id, row ids)."""
    with (BANKING77 / "test.csv").open(newline="", encoding="utf-8") as fh:
        texts = [r["text"] for r in list(csv.DictReader(fh))[:12]]
    path = tmp_path / "q.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text"])
        w.writerows([t] for t in texts)
    info = create_dataset(project, "intents", task_type="classification", label_set=[LABEL, OTHER])
    assert import_file(project, path, "intents").imported == 12
    ids = sorted(query_ids(project, info.id))
    assert len(ids) == 12
    return info.id, ids


def read(project: Project, sql: str) -> list[tuple[Any, ...]]:
    """``sql`` over a connection of the test's own (not the code's)."""
    with other_connection(project.file or project.location) as conn:
        return [tuple(r) for r in conn.execute(sql).fetchall()]


def label_version(project: Project, ids: list[int]) -> dict[int, tuple[str | None, int]]:
    got = {r[0]: (r[1], int(r[2])) for r in read(project, "SELECT id, label, version FROM example")}
    return {i: got[i] for i in ids}


def updated_at(project: Project, ex: int) -> str:
    return str(read(project, f"SELECT updated_at FROM example WHERE id = {int(ex)}")[0][0])[:19]


def op_at(project: Project, op_id: int) -> str:
    return str(read(project, f"SELECT at FROM operation WHERE id = {int(op_id)}")[0][0])[:19]


def undone_flags(project: Project) -> dict[int, bool]:
    return {int(r[0]): bool(r[1]) for r in read(project, "SELECT id, undone FROM operation")}


@pytest.fixture
def second(project: Project) -> Iterator[Project]:
    """The same project opened again, as another labeller's process would."""
    p = open_project(project.file or project.location)
    try:
        yield p
    finally:
        p.close()


def blocked_or_done(project: Project, done: threading.Event) -> bool:
    """True once the other labeller finished, or waits on a lock this thread holds.

    PostgreSQL shows the wait in pg_stat_activity. SQLite: the other writer waits for the
    write lock inside the driver (busy_timeout), which nothing outside can see; give it
    the time it would need to finish (it never does while the lock is held).
    """
    if project.file is not None:
        return done.wait(0.5) or True
    with other_connection(project.location) as conn:
        waiting = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database()"
        ).fetchone()[0]
    return bool(waiting) or done.is_set()


def hold_after(
    monkeypatch: pytest.MonkeyPatch,
    project: Project,
    name: str,
    thread_name: str,
    other: threading.Thread,
    other_done: threading.Event,
) -> None:
    """Make ``ops.<name>`` in thread ``thread_name`` start ``other`` once and wait until it
    is blocked (or finished) before going on: the window in which a lost update happens."""
    real: Callable[..., Any] = getattr(ops, name)
    started = threading.Event()

    def held(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        if threading.current_thread().name == thread_name and not started.is_set():
            started.set()
            other.start()
            while not blocked_or_done(project, other_done):
                other_done.wait(0.01)
        return result

    monkeypatch.setattr(ops, name, held)


# -- a. a later edit by another labeller ------------------------------------------------


def test_undo_refused_naming_the_other_labellers_later_edit(
    project: Project, rows: tuple[int, list[int]]
) -> None:
    ds, ids = rows
    ten, row5 = ids[:10], ids[4]
    as_user("alice")
    op_a = set_label(project, ds, ten, LABEL)
    assert op_a.op_id is not None and op_a.count == 10
    as_user("bob")
    op_b = update_example(project, row5, label=OTHER)
    assert op_b.op_id is not None
    as_user("alice")
    with pytest.raises(OperationConflictError) as err:
        undo_operation(project, ds, op_a.op_id)
    msg = err.value.message
    # names bob's operation, when, which row; says what to do
    assert f"{op_b.op_id} ({op_b.description}) by bob at {op_at(project, op_b.op_id)} UTC" in msg
    assert f"on example {row5}" in msg
    assert "--with-later" in msg
    assert err.value.blockers == [
        (op_b.op_id, f"{op_b.description} by bob at {op_at(project, op_b.op_id)} UTC")
    ]
    # nothing changed: rows 1-10 labelled (v2), row 5 bob's (v3), 11-12 untouched (v1)
    expected = {i: (LABEL, 2) for i in ten} | {row5: (OTHER, 3)}
    expected |= {i: (None, 1) for i in ids[10:]}
    assert label_version(project, ids) == expected
    assert undone_flags(project)[op_a.op_id] is False

    # --with-later: bob's edit first, then alice's, each a new version
    done = undo_operation(project, ds, op_a.op_id, cascade=True)
    assert [s.op_id for s in done] == [op_b.op_id, op_a.op_id]
    expected = {i: (None, 3) for i in ten} | {row5: (None, 5)} | {i: (None, 1) for i in ids[10:]}
    assert label_version(project, ids) == expected


def test_an_edit_committed_while_undo_runs_is_not_overwritten(
    project: Project, rows: tuple[int, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # alice's undo is held right after it looked for later operations in its way; bob
    # edits row 5 meanwhile, on the version he read after alice labelled it. Unlocked
    # (PostgreSQL, READ COMMITTED), bob's edit would commit and alice's undo overwrite it.
    ds, ids = rows
    ten, row5 = ids[:10], ids[4]
    op_a = set_label(project, ds, ten, LABEL)
    assert op_a.op_id is not None
    seen = fetch_rows(project, [row5])[0].version
    assert seen == 2
    outcome: dict[str, Any] = {}
    bob_done = threading.Event()

    def bob_edits() -> None:
        as_user("bob")
        try:
            outcome["ok"] = update_example(project, row5, label=OTHER, expected_version=seen)
        except StaleEditError as exc:
            outcome["stale"] = exc
        finally:
            bob_done.set()

    bob = threading.Thread(target=bob_edits, name="bob")
    hold_after(monkeypatch, project, "_overlapping", "alice", bob, bob_done)
    alice = threading.Thread(
        target=lambda: outcome.setdefault("undo", undo_operation(project, ds, op_a.op_id)),
        name="alice",
    )
    alice.start()
    alice.join()
    bob.join()
    # alice went first (she held the rows): her undo stands, bob's edit is refused as stale
    assert [s.op_id for s in outcome["undo"]] == [op_a.op_id]
    assert "ok" not in outcome
    stale = outcome["stale"]
    assert stale.changed_by == "alice" and stale.version == 3
    assert f"changed by alice at {updated_at(project, row5)} UTC" in stale.message
    expected = {i: (None, 3) for i in ten} | {i: (None, 1) for i in ids[10:]}
    assert label_version(project, ids) == expected


# -- b. two labellers undo the same operation at once ----------------------------------


def test_two_undos_of_one_operation_held_in_the_race_window(
    project: Project, rows: tuple[int, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # alice's undo is held right after it read "not undone yet"; bob undoes the same
    # operation meanwhile. Unlocked, both would undo it (two version bumps, two undos).
    ds, ids = rows
    ten = ids[:10]
    op_a = set_label(project, ds, ten, LABEL)
    assert op_a.op_id is not None
    outcome: dict[str, Any] = {}
    bob_done = threading.Event()

    def undo_as(name: str) -> None:
        as_user(name)
        try:
            outcome[name] = undo_operation(project, ds, op_a.op_id)
        except OperationStateError as exc:
            outcome[name] = exc
        finally:
            if name == "bob":
                bob_done.set()

    bob = threading.Thread(target=undo_as, args=("bob",), name="bob")
    hold_after(monkeypatch, project, "_operation", "alice", bob, bob_done)
    alice = threading.Thread(target=undo_as, args=("alice",), name="alice")
    alice.start()
    alice.join()
    bob.join()
    assert [s.op_id for s in outcome["alice"]] == [op_a.op_id]
    assert isinstance(outcome["bob"], OperationStateError)
    assert "already undone" in outcome["bob"].message
    expected = {i: (None, 3) for i in ten} | {i: (None, 1) for i in ids[10:]}
    assert label_version(project, ids) == expected
    assert undone_flags(project)[op_a.op_id] is True
    # the operation's change set is as set_label wrote it (a classification label is
    # also the ideal output, written by a human; the output kind was text already)
    history = read(
        project,
        "SELECT field, count(*) FROM example_history "
        f"WHERE op_id = {op_a.op_id} GROUP BY field ORDER BY field",
    )
    assert history == [("ideal_output", 10), ("ideal_source", 10), ("label", 10)]


def test_two_processes_undo_one_operation_at_a_barrier(
    project: Project, second: Project, rows: tuple[int, list[int]]
) -> None:
    # Two projects opened on the same file/database (two labellers' processes), started
    # together: exactly one undoes, the other is told it is already undone. Three rounds
    # (redo in between) so the two meet in either order.
    from studio.core.datasets import redo_operation

    ds, ids = rows
    ten = ids[:10]
    op_a = set_label(project, ds, ten, LABEL)
    assert op_a.op_id is not None
    for round_ in range(3):
        start = threading.Barrier(2)
        results: dict[str, Any] = {}

        def undo_in(
            name: str, p: Project, start: threading.Barrier, results: dict[str, Any]
        ) -> None:
            as_user(name)
            start.wait()
            try:
                results[name] = undo_operation(p, ds, op_a.op_id)
            except OperationStateError as exc:
                results[name] = exc

        threads = [
            threading.Thread(target=undo_in, args=("alice", project, start, results)),
            threading.Thread(target=undo_in, args=("bob", second, start, results)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        refused = [n for n, r in results.items() if isinstance(r, OperationStateError)]
        assert len(refused) == 1, results
        assert "already undone" in results[refused[0]].message
        # each round: set (or redo) +1, undo +1 -> row versions 3, 5, 7
        expected = {i: (None, 3 + 2 * round_) for i in ten} | {i: (None, 1) for i in ids[10:]}
        assert label_version(project, ids) == expected
        redo_operation(project, ds, op_a.op_id)
    expected = {i: (LABEL, 8) for i in ten} | {i: (None, 1) for i in ids[10:]}
    assert label_version(project, ids) == expected


# -- c. undo bumps versions: an editor still holding the old one is refused --------------


def test_an_edit_on_the_pre_undo_version_is_refused_naming_the_undoer(
    project: Project, second: Project, rows: tuple[int, list[int]]
) -> None:
    ds, ids = rows
    ten, row5 = ids[:10], ids[4]
    as_user("alice")
    op_a = set_label(project, ds, ten, LABEL)
    assert op_a.op_id is not None
    as_user("bob")
    seen = fetch_rows(second, [row5])[0].version  # bob's editor opens row 5
    assert seen == 2
    as_user("alice")
    undo_operation(project, ds, op_a.op_id)
    as_user("bob")
    with pytest.raises(StaleEditError) as err:
        update_example(second, row5, label=OTHER, expected_version=seen)
    assert f"changed by alice at {updated_at(project, row5)} UTC" in err.value.message
    assert (err.value.changed_by, err.value.version) == ("alice", 3)
    assert err.value.current["label"] is None
    expected = {i: (None, 3) for i in ten} | {i: (None, 1) for i in ids[10:]}
    assert label_version(project, ids) == expected


# -- redo racing another labeller's new operation ---------------------------------------


def test_a_new_edit_while_a_redo_runs_keeps_the_redone_operations_history(
    project: Project, rows: tuple[int, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # alice redoes her undone label operation; bob's new edit (another row) starts while
    # the redo is held after it read "undone". A new operation discards the undone ones
    # (linear undo); had bob's discarded the history of the operation alice is redoing,
    # it would stand done with no change set: its labels could never be undone again.
    from studio.core.datasets import redo_operation

    ds, ids = rows
    ten = ids[:10]
    op_a = set_label(project, ds, ten, LABEL)
    assert op_a.op_id is not None
    undo_operation(project, ds, op_a.op_id)
    outcome: dict[str, Any] = {}
    bob_done = threading.Event()

    def bob_edits() -> None:
        as_user("bob")
        try:
            outcome["bob"] = update_example(project, ids[11], label=OTHER)
        finally:
            bob_done.set()

    bob = threading.Thread(target=bob_edits, name="bob")
    hold_after(monkeypatch, project, "_operation", "alice", bob, bob_done)
    alice = threading.Thread(
        target=lambda: outcome.setdefault("redo", redo_operation(project, ds, op_a.op_id)),
        name="alice",
    )
    alice.start()
    alice.join()
    bob.join()
    assert outcome["redo"].op_id == op_a.op_id and outcome["bob"].op_id is not None
    # set v2, undo v3, redo v4; bob's row v2
    expected = {i: (LABEL, 4) for i in ten} | {ids[10]: (None, 1), ids[11]: (OTHER, 2)}
    assert label_version(project, ids) == expected
    history = read(
        project,
        f"SELECT count(*) FROM example_history WHERE op_id = {op_a.op_id}",
    )
    assert history == [(30,)]  # label, ideal output, ideal source of 10 rows
    assert [s.op_id for s in undo_operation(project, ds, op_a.op_id)] == [op_a.op_id]
    expected = {i: (None, 5) for i in ten} | {ids[10]: (None, 1), ids[11]: (OTHER, 2)}
    assert label_version(project, ids) == expected


def test_two_windows_undoing_the_newest_step_at_once_undo_it_once(
    project: Project, rows: tuple[int, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # ``undo()`` (the user's newest step; undo is personal, so the race is between two
    # windows or processes of one labeller, alice): both pick the label operation; the
    # first is held once it has locked it, the second waits for its lock (PostgreSQL;
    # SQLite: for the write lock, before it picks), then takes the step that is newest
    # once the first is done (alice's import) as if the two ran in turn: the label is
    # undone once, not twice.
    from studio.core.datasets import undo

    ds, ids = rows
    op_a = set_label(project, ds, ids[:10], LABEL)
    outcome: dict[str, Any] = {}
    bob_done = threading.Event()

    def undo_as(name: str) -> None:
        as_user("alice")
        try:
            outcome[name] = undo(project, ds)
        except OperationStateError as exc:
            outcome[name] = exc
        finally:
            if name == "second":
                bob_done.set()

    bob = threading.Thread(target=undo_as, args=("second",), name="second")
    hold_after(monkeypatch, project, "_lock", "first", bob, bob_done)
    alice = threading.Thread(target=undo_as, args=("first",), name="first")
    alice.start()
    alice.join()
    bob.join()
    assert outcome["first"].op_id == op_a.op_id
    assert outcome["second"].op_id == 1 and outcome["second"].kind == "import"
    assert read(project, "SELECT count(*) FROM example") == [(0,)]
    assert undone_flags(project) == {1: True, op_a.op_id: True}
    # the label was undone once (v3, not v4): redoing the import brings the rows back
    # from the snapshots its undo took, one version newer
    from studio.core.datasets import redo_operation

    redo_operation(project, ds, 1)
    expected = {i: (None, 4) for i in ids[:10]} | {i: (None, 2) for i in ids[10:]}
    assert label_version(project, ids) == expected
