"""Many labellers on one dataset (ISSUE-14 §3): row versions, stale edits refused with who
and when, history authors, assignment by counts and shares with a blind overlap, labelling
from one's queue, and the adjudication queue.

Real project files; banking77 test queries (unlabelled) as the rows. Expected counts are
worked out here from the inputs (shares × rows, the overlap rows), not read back from the
code under test.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest
from helpers import BANKING77
from helpers.backends import other_connection

from studio.core.datasets import (
    ExampleFilter,
    add_tag,
    create_dataset,
    fetch_rows,
    get_example,
    import_file,
    query_ids,
    set_label,
    split_dataset,
    undo,
    update_example,
)
from studio.core.datasets.adjudication import adjudicate, adjudication_queue, decisions
from studio.core.datasets.assignment import (
    assign,
    parse_share,
    queue_ids,
    queue_progress,
    record_labels,
)
from studio.core.db.project import Project, current_user
from studio.core.errors import StaleEditError, ValidationError


def banking_rows(n: int) -> list[dict[str, str]]:
    with (BANKING77 / "test.csv").open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))[:n]


@pytest.fixture
def dataset(project: Project, tmp_path: Path) -> tuple[int, list[dict[str, str]]]:
    """200 unlabelled banking77 queries in a classification dataset."""
    rows = banking_rows(200)
    path = tmp_path / "queries.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text"])
        for r in rows:
            w.writerow([r["text"]])
    info = create_dataset(
        project,
        "intents",
        task_type="classification",
        label_set=sorted({r["category"] for r in rows}),
    )
    assert import_file(project, path, "intents").imported == 200
    return info.id, rows


def rows_of(project: Project, sql: str, params: tuple[object, ...] = ()) -> list[tuple]:
    """``sql`` read over a connection of its own (sqlite3 or psycopg), not the code's."""
    where = project.file or project.location
    with other_connection(where) as conn:
        if project.file is None:  # psycopg: %s placeholders, and no parsing without any
            cur = conn.execute(sql.replace("?", "%s"), params) if params else conn.execute(sql)
        else:
            cur = conn.execute(sql, params)
        return [tuple(r) for r in cur.fetchall()]


def version_of(project: Project, ex: int) -> int:
    return int(rows_of(project, "SELECT version FROM example WHERE id = ?", (ex,))[0][0])


# -- row versions ---------------------------------------------------------------------


def test_every_write_path_bumps_the_version(project: Project, dataset, monkeypatch) -> None:
    ds, _ = dataset
    ids = query_ids(project, ds)
    a, b = ids[0], ids[1]
    assert version_of(project, a) == 1
    update_example(project, a, notes="checked")
    assert version_of(project, a) == 2
    set_label(project, ds, [a, b], "card_arrival")
    assert (version_of(project, a), version_of(project, b)) == (3, 2)
    add_tag(project, ds, [a], "seen")
    assert version_of(project, a) == 4
    undo(project, ds)  # takes the tag off again: a change too
    assert version_of(project, a) == 5
    split_dataset(project, ds, test=0.5, seed=1)
    assert version_of(project, a) == 6
    # a write that changes nothing does not bump
    update_example(project, a, notes="checked")
    assert version_of(project, a) == 6
    assert fetch_rows(project, [a])[0].version == 6
    assert get_example(project, a).version == 6


def test_a_stale_edit_is_refused_naming_who_and_when(
    project: Project, dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds, _ = dataset
    ex = query_ids(project, ds)[0]
    seen = fetch_rows(project, [ex])[0].version  # both labellers read version 1
    monkeypatch.setenv("STUDIO_USER", "alice")
    update_example(project, ex, label="card_arrival", expected_version=seen)
    monkeypatch.setenv("STUDIO_USER", "bob")
    history_before = rows_of(project, "SELECT count(*) FROM example_history")[0][0]
    at = str(rows_of(project, "SELECT updated_at FROM example WHERE id = ?", (ex,))[0][0])
    with pytest.raises(StaleEditError) as err:
        update_example(project, ex, label="lost_or_stolen_card", expected_version=seen)
    exc = err.value
    assert f"changed by alice at {at[:19]}" in exc.message
    assert (exc.changed_by, exc.version, exc.expected_version) == ("alice", 2, 1)
    assert exc.current["label"] == "card_arrival"
    assert exc.current["ideal_output"] == "card_arrival"  # classification: label is the output
    assert rows_of(project, "SELECT count(*) FROM example_history")[0][0] == history_before
    [row] = rows_of(project, "SELECT label, version FROM example WHERE id = ?", (ex,))
    assert row == ("card_arrival", 2)
    # editing again on the version now there works, and history names each author
    update_example(project, ex, label="lost_or_stolen_card", expected_version=2)
    actors = [h.actor for h in get_example(project, ex).history if h.field == "label"]
    assert actors == ["bob", "alice"]


def test_the_configured_display_name_is_the_author(
    project: Project, dataset, monkeypatch: pytest.MonkeyPatch, studio_home: Path
) -> None:
    from studio.core.display_name import set_display_name

    ds, _ = dataset
    ex = query_ids(project, ds)[0]
    monkeypatch.delenv("STUDIO_USER")
    set_display_name("Ada Lovelace")
    assert current_user() == "Ada Lovelace"
    update_example(project, ex, notes="looked at")
    assert get_example(project, ex).history[0].actor == "Ada Lovelace"
    assert get_example(project, ex).updated_by == "Ada Lovelace"
    # kept in the user's settings folder, not in the project
    assert "Ada Lovelace" in (studio_home / "config" / "identity.json").read_text()
    assert rows_of(project, "SELECT count(*) FROM project_meta WHERE value LIKE '%Ada%'") == [(0,)]
    set_display_name(None)
    import getpass

    assert current_user() == getpass.getuser()
    monkeypatch.setenv("STUDIO_USER", "ci-bot")  # the environment wins
    set_display_name("Ada Lovelace")
    assert current_user() == "ci-bot"
    with pytest.raises(ValidationError):
        set_display_name("two\nlines")


# -- assignment ---------------------------------------------------------------------------


def test_parse_share() -> None:
    assert parse_share("alice=60%") == parse_share("alice = 60 %")
    assert parse_share("alice=60%").amount == pytest.approx(0.6)
    assert parse_share("bob=100").is_share is False
    for bad in ("alice", "alice=1.5", "alice=120%", "=5%x"):
        with pytest.raises(ValidationError):
            parse_share(bad)


def test_shares_with_overlap_split_the_unlabelled_rows(project: Project, dataset) -> None:
    ds, _ = dataset
    labelled = query_ids(project, ds)[:20]
    set_label(project, ds, labelled, "card_arrival")  # labelled rows are not assigned
    result = assign(
        project, ds, [parse_share("alice=60%"), parse_share("bob=40%")], overlap=0.2, seed=3
    )
    pool = 200 - 20
    # 60% / 40% of 180 = 108 / 72 rows, then 20% of them (36) go to the other one too
    assert (result.pool, result.examples, result.overlap) == (pool, pool, 36)
    rows = rows_of(
        project, "SELECT example_id, labeller, overlap FROM annotation ORDER BY example_id"
    )
    per_example: dict[int, list[str]] = {}
    for ex, who, _ in rows:
        per_example.setdefault(ex, []).append(who)
    assert set(per_example) == set(query_ids(project, ds)) - set(labelled)
    doubled = [ex for ex, who in per_example.items() if len(who) == 2]
    assert len(doubled) == 36 and all(sorted(per_example[ex]) == ["alice", "bob"] for ex in doubled)
    assert all(bool(o) == (ex in doubled) for ex, _, o in rows)
    per_labeller = Counter(who for _, who, _ in rows)
    assert sum(per_labeller.values()) == pool + 36
    assert dict(per_labeller) == result.assigned
    primary = {
        w: per_labeller[w] - sum(1 for ex in doubled if w in per_example[ex])
        for w in ("alice", "bob")
    }
    # each doubled row is one labeller's primary row and the other's second: 108 + 72
    assert per_labeller["alice"] + per_labeller["bob"] - 36 == 180
    assert primary["alice"] + primary["bob"] == 180 - 36
    # the queue filter (the app's "My queue") and queue_ids agree
    mine = queue_ids(project, ds, "alice")
    assert mine == query_ids(project, ds, ExampleFilter(queue_of="alice"))
    assert len(mine) == per_labeller["alice"]
    # a second assign finds nothing left
    again = assign(project, ds, [parse_share("carol=100%")])
    assert (again.pool, again.examples) == (0, 0)


def test_counts_and_bad_assignments(project: Project, dataset) -> None:
    ds, _ = dataset
    r = assign(project, ds, [parse_share("alice=30"), parse_share("bob=20")], seed=1)
    assert r.assigned == {"alice": 30, "bob": 20} and r.examples == 50
    with pytest.raises(ValidationError, match="only 150"):
        assign(project, ds, [parse_share("carol=151")])
    with pytest.raises(ValidationError, match="not a mix"):
        assign(project, ds, [parse_share("carol=10"), parse_share("dan=10%")])
    with pytest.raises(ValidationError, match="more than 100%"):
        assign(project, ds, [parse_share("carol=70%"), parse_share("dan=40%")])
    with pytest.raises(ValidationError, match="two people"):
        assign(project, ds, [parse_share("carol=10")], overlap=0.5)


def test_overlap_rows_are_blind_until_agreement_or_adjudication(
    project: Project, dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds, _ = dataset
    assign(project, ds, [parse_share("alice=50%"), parse_share("bob=50%")], overlap=1.0, seed=2)
    both = sorted(set(queue_ids(project, ds, "alice")) & set(queue_ids(project, ds, "bob")))
    assert len(both) == 200  # overlap 1.0: every row to both
    agree, differ, single = both[0], both[1], both[2]
    monkeypatch.setenv("STUDIO_USER", "alice")
    r = record_labels(project, ds, [agree, differ], "card_arrival")
    assert (len(r.recorded), r.set_on_example, len(r.waiting)) == (2, (), 2)
    # alice's label is not visible on the example: bob labels blind
    assert fetch_rows(project, [agree, differ])[0].label is None
    assert agree not in queue_ids(project, ds, "alice") and agree in queue_ids(project, ds, "bob")
    monkeypatch.setenv("STUDIO_USER", "bob")
    r1 = record_labels(project, ds, [agree], "card_arrival")
    r2 = record_labels(project, ds, [differ], "card_linking")
    assert r1.set_on_example == (agree,) and r2.to_adjudicate == (differ,)
    assert fetch_rows(project, [agree])[0].label == "card_arrival"
    assert fetch_rows(project, [differ])[0].label is None
    # a row not in bob's queue is not recorded
    assert record_labels(project, ds, [999_999], "x").not_assigned == (999_999,)
    queue = adjudication_queue(project, ds)
    assert [(d.example_id, d.labels) for d in queue] == [
        (differ, {"alice": "card_arrival", "bob": "card_linking"})
    ]
    monkeypatch.setenv("STUDIO_USER", "carol")
    done = adjudicate(project, ds, [differ, agree, single], "card_linking")
    assert done.decided == (differ,) and done.not_in_queue == (agree, single)
    assert adjudication_queue(project, ds) == []
    [decision] = decisions(project, ds)
    assert (decision.example_id, decision.label, decision.decided_by) == (
        differ,
        "card_linking",
        "carol",
    )
    assert decision.labels == {"alice": "card_arrival", "bob": "card_linking"}
    detail = get_example(project, differ)
    assert (detail.label, detail.updated_by) == ("card_linking", "carol")
    assert [q.done for q in queue_progress(project, ds)] == [2, 2]


def test_a_single_labeller_row_gets_the_label_at_once_and_checks_the_version(
    project: Project, dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    ds, _ = dataset
    assign(project, ds, [parse_share("alice=10")], seed=0)
    ex = queue_ids(project, ds, "alice")[0]
    update_example(project, ex, notes="edited meanwhile")  # version 1 -> 2
    monkeypatch.setenv("STUDIO_USER", "alice")
    with pytest.raises(StaleEditError, match="changed by tester"):
        record_labels(project, ds, [ex], "card_arrival", expected_version=1)
    assert ex in queue_ids(project, ds, "alice")  # refused: nothing recorded
    r = record_labels(project, ds, [ex], "card_arrival", expected_version=2)
    assert r.set_on_example == (ex,)
    assert fetch_rows(project, [ex])[0].label == "card_arrival"


def test_undoing_a_delete_never_hands_back_an_old_version(project: Project, dataset) -> None:
    from studio.core.datasets import delete

    ds, _ = dataset
    ex = query_ids(project, ds)[0]
    update_example(project, ex, notes="a")
    update_example(project, ex, notes="b")  # version 3
    delete(project, ds, [ex])
    undo(project, ds)
    assert version_of(project, ex) == 4
    with pytest.raises(StaleEditError):  # an editor still holding version 3
        update_example(project, ex, notes="c", expected_version=3)


def test_two_labellers_recording_the_same_overlap_rows_at_once_settle_every_row(
    project: Project, dataset
) -> None:
    # Two writers started together on the same rows (threads, each its own connection):
    # no row is left "waiting" with both labels given, none settled on a disagreement.
    import threading
    from concurrent.futures import ThreadPoolExecutor

    ds, _ = dataset
    assign(project, ds, [parse_share("alice=50%"), parse_share("bob=50%")], overlap=1.0, seed=4)
    rows = query_ids(project, ds)[:60]
    bob_label = {ex: "card_arrival" if i % 3 else "card_linking" for i, ex in enumerate(rows)}
    start = threading.Barrier(2)

    def label_all(who: str) -> None:
        start.wait()
        for ex in rows:
            lb = "card_arrival" if who == "alice" else bob_label[ex]
            record_labels(project, ds, [ex], lb, labeller=who)

    with ThreadPoolExecutor(2) as pool:
        for f in [pool.submit(label_all, w) for w in ("alice", "bob")]:
            f.result()
    differ = sorted(ex for ex in rows if bob_label[ex] != "card_arrival")
    assert len(differ) == 20
    assert sorted(d.example_id for d in adjudication_queue(project, ds)) == differ
    labels = {r.id: r.label for r in fetch_rows(project, rows)}
    assert labels == {ex: None if ex in differ else "card_arrival" for ex in rows}


def test_a_labeller_of_an_overlap_row_waits_for_the_other_labeller_in_progress(
    project: Project, dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    # alice's record_labels is held after she recorded her label and found bob's missing,
    # before it commits; bob labels the same row meanwhile. Had bob gone ahead, he would
    # have found alice's label missing too (not committed yet) and the row would wait
    # forever with both labels given. He must wait for her: SQLite's write lock, on
    # PostgreSQL (READ COMMITTED) the row lock record_labels takes.
    import threading

    from studio.core.datasets import assignment

    ds, _ = dataset
    assign(project, ds, [parse_share("alice=50%"), parse_share("bob=50%")], overlap=1.0, seed=4)
    ex = query_ids(project, ds)[0]
    bob_done = threading.Event()
    real = assignment.set_example_labels

    def bob_is_blocked() -> bool:
        if project.file is not None:
            # SQLite: bob cannot begin while alice holds the write lock; nothing to observe
            # from outside, so give him the time he would need to finish (he never does)
            return not bob_done.wait(0.5)
        with other_connection(project.location) as conn:
            waiting = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            ).fetchone()[0]
        return bool(waiting)

    def held(*args, **kwargs):  # type: ignore[no-untyped-def]
        if threading.current_thread().name == "alice":
            bob.start()
            while not bob_done.is_set() and not bob_is_blocked():
                bob_done.wait(0.01)
        return real(*args, **kwargs)

    def bob_labels() -> None:
        try:
            record_labels(project, ds, [ex], "card_arrival", labeller="bob")
        finally:
            bob_done.set()

    bob = threading.Thread(target=bob_labels, name="bob")
    monkeypatch.setattr(assignment, "set_example_labels", held)
    alice = threading.Thread(
        target=record_labels,
        args=(project, ds, [ex], "card_arrival"),
        kwargs={"labeller": "alice"},
        name="alice",
    )
    alice.start()
    alice.join()
    bob.join()
    assert fetch_rows(project, [ex])[0].label == "card_arrival"  # both agreed: settled
    assert [q.done for q in queue_progress(project, ds)] == [1, 1]
