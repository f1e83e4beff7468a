"""kill -9 loops (engineering facts bar 14): a process killed at a random point of an
import, an A/B eval run or a bulk curation edit leaves the project whole.

After every kill: ``PRAGMA integrity_check`` = ok, ``PRAGMA foreign_key_check`` empty,
the interrupted operation is either fully there or fully absent (no partial batch), and
nothing a child acknowledged (reported after the call returned, i.e. after its commit)
is lost. Each loop runs at least 30 kills.

The work runs in children forked from one pre-imported server process
(``helpers/crash_server.py``): a fresh interpreter per kill would cost ~2 s of imports.
Kill points are drawn uniformly over the measured duration of the operation, so most
kills land inside the write transaction and some after the commit.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import random
import select
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from helpers import loopback, provider_for
from helpers.ab_project import (
    IntentResponder,
    build_ab_project,
    correct_sets,
    query_index,
    variant_of,
)

from studio.core.datasets import import_file, redo, undo, undo_state
from studio.core.db.project import new_project, open_project
from studio.core.evals import run_execute, run_results, run_setup, run_store

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not hasattr(os, "fork"), reason="the kill loops fork children (POSIX)"),
]

HELPERS = Path(__file__).resolve().parents[1] / "helpers"
MIN_KILLS = 30
MAX_ITERATIONS = 90  # a safety net: the loops stop once they have enough kills of each kind
EVENT_TIMEOUT_S = 60.0

# --------------------------------------------------------------------------- fork server


class CrashServer:
    """Client of ``helpers/crash_server.py``: run a job in a forked child, kill it."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HELPERS / "crash_server.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        self._buf = b""
        self.start_s = time.monotonic()
        ready = self.event()
        assert ready["ev"] == "ready", ready
        self.start_s = time.monotonic() - self.start_s

    def _send(self, **cmd: Any) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
        self.proc.stdin.flush()

    def event(self, timeout: float = EVENT_TIMEOUT_S) -> dict[str, Any]:
        """The next event line (from the server or its child)."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise AssertionError(f"no event from the crash server within {timeout} s")
            chunk = os.read(fd, 65536)
            if not chunk:
                raise AssertionError(f"the crash server died (exit {self.proc.wait(5)})")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return dict(json.loads(line))

    def start(self, job: str, env: dict[str, str], **kw: Any) -> None:
        """Fork a child running ``job``; returns once it has been forked."""
        self._send(op="run", job=job, kw=kw, env=env)

    def until(self, *kinds: str, timeout: float = EVENT_TIMEOUT_S) -> list[dict[str, Any]]:
        """Read events up to and including the first of ``kinds``."""
        seen: list[dict[str, Any]] = []
        while True:
            ev = self.event(timeout)
            seen.append(ev)
            if ev["ev"] in kinds:
                return seen

    def finish(self, kill: bool) -> tuple[int | None, list[dict[str, Any]]]:
        """Kill (or wait for) the child; its exit code and every event it still wrote.

        The server reaps the child before it answers, so every line the child wrote is
        in the pipe ahead of the ``exit`` line.
        """
        self._send(op="kill" if kill else "wait")
        events = self.until("exit")
        return events[-1]["code"], events[:-1]

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self._send(op="quit")
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


@pytest.fixture(scope="module")
def crash_server() -> Iterator[CrashServer]:
    server = CrashServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def child_env(studio_home: Path) -> dict[str, str]:
    """The per-test environment for children (the server was started by another test)."""
    return {"STUDIO_HOME": str(studio_home), "STUDIO_USER": "tester"}


def _errors(events: list[dict[str, Any]]) -> list[str]:
    return [e["traceback"] for e in events if e["ev"] == "error"]


def _kill_after(
    server: CrashServer, delay: float, after: str = "begin"
) -> tuple[int | None, list[dict[str, Any]]]:
    """Wait for the child's event ``after``, sleep ``delay``, kill it (if still running).

    Returns the child's exit code (-9 when the kill hit it) and every event it wrote.
    """
    before = server.until(after, "done", "error")
    assert not _errors(before), _errors(before)[0]
    time.sleep(delay)
    code, events = server.finish(kill=True)
    events = before + events
    assert not _errors(events), _errors(events)[0]
    return code, events


@contextlib.contextmanager
def _db(path: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(path, timeout=10)
    try:
        yield conn
    finally:
        conn.close()


def _assert_whole(conn: sqlite3.Connection) -> None:
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def _schema(conn: sqlite3.Connection) -> list[tuple[str, str, str | None]]:
    return conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()


def _estimate(durations: list[float]) -> float:
    return statistics.median(durations[-5:])


# --------------------------------------------------------------------------- data

INTENTS = {
    "card_arrival": ("my new card has still not arrived", "where is the card I ordered"),
    "lost_or_stolen_card": ("I think my card was stolen", "I lost my card on the train"),
    "exchange_rate": ("what rate do you use for euros", "how is the exchange rate set"),
    "request_refund": ("I want my money back for this order", "please refund the purchase"),
    "top_up_failed": ("my top up did not go through", "the top-up was declined again"),
    "pin_blocked": ("my PIN is blocked", "I typed the wrong PIN three times"),
    "declined_transfer": ("my transfer was declined", "why did the bank refuse my transfer"),
    "cash_withdrawal_charge": ("why was I charged at the ATM", "fee for taking out cash"),
}
OPENERS = ("Hi,", "Hello!", "Quick question:", "Help please,", "Urgent:", "", "Hey there,")
TAILS = ("thanks", "what should I do?", "can you check?", "it is urgent", "", "any idea?")


def write_banking_like_csv(path: Path, n: int, seed: int = 77) -> int:
    """``n`` banking77-like rows (``text,category``), 1 % exact repeats; returns uniques."""
    rng = random.Random(seed)
    labels = list(INTENTS)
    rows: list[tuple[str, str]] = []
    for i in range(n):
        if i >= 100 and i % 100 == 0:
            rows.append(rows[rng.randrange(len(rows))])  # an exact duplicate: skipped
            continue
        label = labels[i % len(labels)]
        text = (
            f"{rng.choice(OPENERS)} {rng.choice(INTENTS[label])} (order {i}, {rng.choice(TAILS)})"
        ).strip()
        rows.append((text, label))
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(("text", "category"))
        writer.writerows(rows)
    return len(set(rows))


@dataclass
class KillStats:
    """Where the kills landed."""

    iterations: int = 0
    before_tx: int = 0  # killed before the operation started writing
    mid_tx: int = 0  # killed inside the operation: nothing of it may remain
    after_commit: int = 0  # the commit happened (acknowledged or not): all of it remains
    durations: list[float] = field(default_factory=list)

    @property
    def kills(self) -> int:
        return self.before_tx + self.mid_tx + self.after_commit


# --------------------------------------------------------------------------- (a) import


def test_kill_9_during_import_leaves_whole_datasets_only(
    tmp_path: Path, crash_server: CrashServer, child_env: dict[str, str]
) -> None:
    src = tmp_path / "banking_like.csv"
    unique = write_banking_like_csv(src, 3000)
    project_file = tmp_path / "import.studio"
    new_project(project_file).close()
    stats = KillStats()
    acknowledged: dict[str, int] = {}  # dataset name -> rows

    def check(conn: sqlite3.Connection) -> set[str]:
        """Integrity, and every dataset present holds exactly one whole import."""
        _assert_whole(conn)
        # a big import drops the hash index and rebuilds it in its transaction
        assert _schema(conn) == schema
        present = {
            name: (n, ops, hist)
            for name, n, ops, hist in conn.execute(
                "SELECT d.name, (SELECT count(*) FROM example e WHERE e.dataset_id = d.id), "
                "(SELECT group_concat(o.kind || ':' || o.count) FROM operation o "
                " WHERE o.dataset_id = d.id), "
                "(SELECT count(*) FROM example_history h WHERE h.dataset_id = d.id) "
                "FROM dataset d"
            )
        }
        for name, (n, ops, hist) in present.items():
            assert (n, ops, hist) == (unique, f"import:{unique}", unique), name
        total = conn.execute("SELECT count(*) FROM example").fetchone()[0]
        assert total == unique * len(present)  # no orphan rows of a rolled-back import
        missing = set(acknowledged) - set(present)
        assert not missing, f"acknowledged imports lost: {sorted(missing)}"
        return set(present)

    # Two imports without a kill: the expected result and the time one takes
    for i in range(2):
        crash_server.start(
            "import", child_env, project=str(project_file), csv=str(src), dataset=f"calib{i}"
        )
        code, events = crash_server.finish(kill=False)
        assert code == 0 and not _errors(events), _errors(events)
        ack = next(e for e in events if e["ev"] == "ack")
        assert ack["imported"] == unique and ack["skipped"] == 3000 - unique
        acknowledged[ack["dataset"]] = ack["imported"]
        stats.durations.append(ack["seconds"])

    with _db(project_file) as conn:
        schema = _schema(conn)
    rng = random.Random(1977)
    while stats.iterations < MAX_ITERATIONS and (
        stats.kills < MIN_KILLS or stats.mid_tx < MIN_KILLS // 3
    ):
        name = f"ds{stats.iterations:03d}"
        crash_server.start(
            "import",
            child_env,
            project=str(project_file),
            csv=str(src),
            dataset=name,
            bulk_path=stats.iterations % 2 == 1,
        )
        delay = rng.uniform(0.0, 1.3 * _estimate(stats.durations))
        code, events = _kill_after(crash_server, delay)
        stats.iterations += 1
        kinds = {e["ev"] for e in events}
        ack = next((e for e in events if e["ev"] == "ack"), None)
        if ack is not None:
            acknowledged[name] = ack["imported"]
            stats.durations.append(ack["seconds"])
        with _db(project_file) as conn:
            present = check(conn)
        if code == 0:
            continue  # finished before the kill: not a kill
        assert code == -9
        if name in present:
            stats.after_commit += 1
        elif "tx" in kinds:
            stats.mid_tx += 1
        else:
            stats.before_tx += 1

    print(f"\nimport kill loop: {stats}, server start {crash_server.start_s:.2f} s")
    assert stats.kills >= MIN_KILLS
    assert stats.mid_tx >= MIN_KILLS // 3, stats  # most kills hit the open transaction
    # the project still works: open it the normal way and import once more
    with open_project(project_file) as project:
        result = import_file(project, src, "after the storm")
        assert result.imported == unique


# --------------------------------------------------------------------------- (b) eval run


def test_kill_9_during_ab_run_keeps_every_acknowledged_result(
    tmp_path: Path, crash_server: CrashServer, child_env: dict[str, str]
) -> None:
    n = 30
    ab = build_ab_project(tmp_path / "ab.studio", n_test=n, n_train=0)
    responder = IntentResponder(ab.labels, correct_sets(n))
    stats = KillStats()
    runs_completed = 0
    with loopback(responder=responder, latency=0.01, record_bodies=True) as server:

        def new_run(number: int) -> int:
            # each run asks with its own temperature, so no run is served from another's cache
            params = {"temperature": round(0.01 * number, 2)}
            spec = run_setup.RunSpec(
                dataset="intents",
                provider=provider_for(server),
                scorer="label",
                concurrency=4,
                variants=[
                    run_setup.VariantSpec("intent@1", params=params),
                    run_setup.VariantSpec("intent@2", params=params),
                ],
            )
            with open_project(ab.path) as project:
                return run_setup.create_run(project, spec)

        def stored(conn: sqlite3.Connection, run_id: int) -> dict[tuple[int, int], str]:
            """(version 1|2, query index) -> output of the run's answers in the file."""
            index = {eid: i for i, eid in enumerate(ab.test_ids)}
            rows = conn.execute(
                "SELECT v.position, r.example_id, r.output FROM eval_result r "
                "JOIN eval_variant v ON v.id = r.variant_id "
                "WHERE r.run_id = ? AND r.error IS NULL",
                (run_id,),
            ).fetchall()
            return {(pos + 1, index[eid]): out for pos, eid, out in rows}

        def asked(temperature: float) -> list[tuple[int, int]]:
            return [
                (variant_of(b), query_index(b))
                for b in server.chat_bodies
                if b.get("temperature") == temperature
            ]

        run_no = 0
        run_id = new_run(run_no)
        # the whole run without a kill: the reference timings
        crash_server.start("eval", child_env, project=str(ab.path), run_id=run_id)
        code, events = crash_server.finish(kill=False)
        assert code == 0 and not _errors(events), _errors(events)
        done = next(e for e in events if e["ev"] == "done")
        assert done["completed"] and done["calls_made"] == 2 * n
        first_ack_s = min(e["t"] for e in events if e["ev"] == "ack")
        answering_s = done["seconds"] - first_ack_s

        rng = random.Random(4242)
        unacked_commits = 0
        cached_on_resume = 0
        kills_this_run = 0
        run_no += 1
        run_id = new_run(run_no)
        variant_key: dict[str, int] = {}
        while stats.iterations < MAX_ITERATIONS and (
            stats.kills < MIN_KILLS or stats.mid_tx < MIN_KILLS // 3
        ):
            if not variant_key:  # a new run: eval_variant id -> prompt version
                with open_project(ab.path) as project:
                    variants = run_store.prepared_variants(project, run_id)
                variant_key = {v.key: pos + 1 for pos, v in enumerate(variants)}
            temperature = round(0.01 * run_no, 2)
            with _db(ab.path) as conn:
                before = stored(conn, run_id)
            server.reset_counters()
            crash_server.start("eval", child_env, project=str(ab.path), run_id=run_id)
            if kills_this_run >= 8:
                # let a resume finish now and then, so runs complete through the loop
                code, events = crash_server.finish(kill=False)
                assert not _errors(events), _errors(events)[0]
            elif rng.random() < 0.25:
                # while the run starts (reads, marks it running, opens the client)
                code, events = _kill_after(crash_server, rng.uniform(0.0, first_ack_s))
            else:
                # while answers arrive and are committed
                code, events = _kill_after(
                    crash_server, rng.uniform(0.0, 0.5 * answering_s), after="ack"
                )
            stats.iterations += 1
            # a request the killed child had sent may still sit in the server's socket
            # buffer: it is counted with the iteration that sent it
            server.settle()
            acks = {
                (variant_key[e["variant"]], ab.test_ids.index(e["example"])): e["output"]
                for e in events
                if e["ev"] == "ack" and e["error"] is None
            }
            # a resume never asks again for an answer the file already held
            repeated = set(asked(temperature)) & set(before)
            assert not repeated, f"completed calls asked again: {sorted(repeated)}"
            with _db(ab.path) as conn:
                _assert_whole(conn)
                after = stored(conn, run_id)
                n_rows = conn.execute(
                    "SELECT count(*) FROM eval_result WHERE run_id = ?", (run_id,)
                ).fetchone()[0]
            # nothing acknowledged is lost; earlier results are untouched
            lost = {k for k in acks if after.get(k) != acks[k]}
            assert not lost, f"acknowledged results lost: {sorted(lost)}"
            assert before.items() <= after.items()
            assert n_rows <= 2 * n
            finished = any(e["ev"] == "done" for e in events)
            unacked_commits += len(after) - len(before) - len(acks)
            if code == -9:
                kills_this_run += 1
                if finished:
                    stats.after_commit += 1
                elif after == before:
                    stats.before_tx += 1
                else:
                    stats.mid_tx += 1
            if finished or len(after) == 2 * n:
                # complete: each pair answered once, and the summary counts every call
                assert len(after) == 2 * n
                with open_project(ab.path) as project:
                    outcome = run_execute.execute_run(project, run_id, key=None)
                    summary = run_results.run_summary(project, run_id)
                assert outcome.completed and outcome.calls_made == 0
                # an answer whose call was made (and cached) by a killed execution but
                # not yet saved is served from the project's cache on resume
                calls = summary.calls
                assert calls["made"] + calls["cached"] == 2 * n and calls["failed"] == 0
                cached_on_resume += calls["cached"]
                runs_completed += 1
                kills_this_run = 0
                run_no += 1
                run_id = new_run(run_no)
                variant_key = {}

    print(
        f"\neval kill loop: {stats}, runs completed through kills: {runs_completed}, "
        f"results committed but not yet acknowledged at a kill: {unacked_commits}, "
        f"answers served from the cache on resume: {cached_on_resume}"
    )
    assert stats.kills >= MIN_KILLS
    assert stats.mid_tx >= MIN_KILLS // 3, stats
    assert runs_completed >= 1


# --------------------------------------------------------------------------- (c) curation


def test_kill_9_during_bulk_label_edits_is_all_or_nothing_with_consistent_undo(
    tmp_path: Path, crash_server: CrashServer, child_env: dict[str, str]
) -> None:
    src = tmp_path / "labels.csv"
    write_banking_like_csv(src, 3000, seed=7)
    project_file = tmp_path / "curate.studio"
    with new_project(project_file) as project:
        result = import_file(project, src, "intents")
    dataset_id = result.dataset_id
    assert dataset_id is not None and result.imported > 2900

    State = dict[int, tuple[str | None, str | None]]

    def read_state(conn: sqlite3.Connection) -> State:
        return {
            i: (label, out)
            for i, label, out in conn.execute(
                "SELECT id, label, ideal_output FROM example WHERE dataset_id = ?", (dataset_id,)
            )
        }

    with _db(project_file) as conn:
        initial = read_state(conn)
    n_rows = len(initial)
    done: list[str] = []  # labels set and not undone, oldest first
    undone: list[str] = []  # the redo stack, next redo last

    def expected() -> State:
        if not done:
            return initial
        return {i: (done[-1], done[-1]) for i in initial}

    def check_history(conn: sqlite3.Connection) -> None:
        ops = conn.execute(
            "SELECT id, kind, count, undone, description FROM operation "
            "WHERE dataset_id = ? ORDER BY id",
            (dataset_id,),
        ).fetchall()
        assert [(k, u) for _, k, _, u, _ in ops] == (
            [("import", 0)] + [("set_label", 0)] * len(done) + [("set_label", 1)] * len(undone)
        )
        for op_id, kind, count, _, description in ops[1:]:
            assert kind == "set_label" and count == n_rows
            changed, label_rows = conn.execute(
                "SELECT count(DISTINCT example_id), sum(field = 'label') FROM example_history "
                "WHERE op_id = ?",
                (op_id,),
            ).fetchone()
            assert (changed, label_rows) == (n_rows, n_rows), description
        labels_in_ops = [d.split('"')[1] for *_, d in ops[1:]]
        assert labels_in_ops == done + undone[::-1]

    # two edits without a kill: how long one takes
    stats = KillStats()
    for k in range(2):
        label = f"calib_{k}"
        crash_server.start(
            "label",
            child_env,
            project=str(project_file),
            dataset_id=dataset_id,
            op="set",
            label=label,
        )
        code, events = crash_server.finish(kill=False)
        assert code == 0 and not _errors(events), _errors(events)
        ack = next(e for e in events if e["ev"] == "ack")
        assert ack["count"] == n_rows
        done.append(label)
        stats.durations.append(ack["seconds"])

    rng = random.Random(99)
    while stats.iterations < MAX_ITERATIONS and (
        stats.kills < MIN_KILLS or stats.mid_tx < MIN_KILLS // 3
    ):
        choices = ["set", "set"] + (["undo"] if done else []) + (["redo"] if undone else [])
        op = rng.choice(choices)
        label = f"crash_{stats.iterations:03d}" if op == "set" else None
        before = expected()
        if op == "set":
            after_stacks = ([*done, str(label)], [])
        elif op == "undo":
            after_stacks = (done[:-1], [*undone, done[-1]])
        else:
            after_stacks = ([*done, undone[-1]], undone[:-1])
        crash_server.start(
            "label",
            child_env,
            project=str(project_file),
            dataset_id=dataset_id,
            op=op,
            label=label,
        )
        code, events = _kill_after(crash_server, rng.uniform(0.0, 1.3 * _estimate(stats.durations)))
        stats.iterations += 1
        ack = next((e for e in events if e["ev"] == "ack"), None)
        if ack is not None:
            stats.durations.append(ack["seconds"])
        with _db(project_file) as conn:
            _assert_whole(conn)
            now = read_state(conn)
            if now == before:
                assert ack is None, f"acknowledged {op} lost"
                committed = False
            else:
                done, undone = after_stacks
                assert now == expected(), f"{op} left a partial edit"
                committed = True
            check_history(conn)
        if code == -9:
            if committed:
                stats.after_commit += 1
            else:
                stats.mid_tx += 1

    print(f"\nlabel kill loop: {stats}")
    assert stats.kills >= MIN_KILLS
    assert stats.mid_tx >= MIN_KILLS // 3, stats
    # The undo history survived every kill: undo everything back to the import, redo all
    with open_project(project_file) as project:
        if done:
            expected_undo = f'Set label "{done[-1]}" on {n_rows:,} examples'
            assert undo_state(project, dataset_id).undo == expected_undo
        for _ in range(len(done)):
            assert undo(project, dataset_id) is not None
    with _db(project_file) as conn:
        assert read_state(conn) == initial
        _assert_whole(conn)
    with open_project(project_file) as project:
        for _ in range(len(done)):
            assert redo(project, dataset_id) is not None
    with _db(project_file) as conn:
        assert read_state(conn) == expected()
