"""Cases of a run claimed in a transaction by the processes executing it (ISSUE-14 §4).

Every execution of a run (:func:`.run_execute.execute_run`) is a *worker* holding a
worker lock (:mod:`.run_workers`). Before it calls the model for a case
``(variant, example)`` it claims the case: a batch of ``run_claim`` rows inserted with
``INSERT … ON CONFLICT (variant_id, example_id) DO NOTHING RETURNING`` (SQLite ≥ 3.35 and
PostgreSQL alike), so of two workers choosing the same cases each case goes to one of
them: no case is paid for twice. The result is stored as before (``eval_result``, whose
unique ``(variant_id, example_id)`` stays the final guard) and the claim marked done in
the same commit (:class:`~.store.ProjectResultSink`).

A case is

* *answered*: it has a stored answer (``eval_result`` without error);
* *settled*: answered, or its claim is done (an error stored in this session: a worker
  sends each case once per session, as one process does);
* *claimable*: not answered and without a claim, or claimed by a dead worker and not done
  (the dead worker's claims are taken over).

A *session* starts when a worker starts while no other worker of the run is alive: the
claims of dead workers are all dropped, so errors are retried as a resume always did.
The run is finished when every case is settled; the worker that then wins the election
(:func:`elect_finisher`, a conditional ``UPDATE`` of the run row) completes it, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, text

from studio.core.db.transactions import read_conn, write_tx
from studio.core.evals.run_workers import WorkerLock, live_workers
from studio.core.evals.store import db_time

if TYPE_CHECKING:
    from studio.core.db.project import Project

Key = tuple[str, int]  # (variant_key, example_id), the runner's resume key


@dataclass(frozen=True, slots=True)
class ClaimBatch:
    """What one :meth:`RunClaims.claim` got: ``keys`` now this worker's; ``more``: cases
    not yet settled remain (claimed by live workers, this one included); ``settled``: the
    run's cases settled so far, by every worker (for progress)."""

    keys: list[Key]
    more: bool
    settled: int = 0


class RunClaims:
    """This worker's view of a run's claims.

    Args:
        project: the open project.
        run_id: the run.
        worker: this process's worker lock (its token names the claims).
        keys: every case of the run that is sent to the model, in sending order.
    """

    def __init__(
        self, project: Project, run_id: int, worker: WorkerLock, keys: Sequence[Key]
    ) -> None:
        self.project = project
        self.run_id = int(run_id)
        self.worker = worker.token
        self.keys = list(keys)
        self.claimed = 0  # cases this worker claimed
        self.taken_over = 0  # of which were a dead worker's

    # ------------------------------------------------------------------ reading
    def _answered(self, conn: Connection) -> set[tuple[int, int]]:
        return {
            (int(v), int(e))
            for v, e in conn.execute(
                text(
                    "SELECT variant_id, example_id FROM eval_result "
                    "WHERE run_id = :r AND error IS NULL"
                ),
                {"r": self.run_id},
            ).all()
        }

    def _claims(self, conn: Connection) -> list[Any]:
        return list(
            conn.execute(
                text(
                    "SELECT variant_id, example_id, worker, done_at FROM run_claim "
                    "WHERE run_id = :r"
                ),
                {"r": self.run_id},
            ).all()
        )

    # ------------------------------------------------------------------ writing
    def start_session(self, *, others_alive: bool) -> None:
        """Drop dead workers' claims when this worker starts a new session (no other
        worker alive): their errors are retried, as a resume does."""
        if others_alive:
            return
        with read_conn(self.project) as conn:
            workers = {str(r[2]) for r in self._claims(conn)} - {self.worker}
        live = live_workers(self.project, self.run_id, workers)
        dead = sorted(workers - live)
        if not dead:
            return
        with write_tx(self.project) as conn:
            for tok in dead:
                conn.execute(
                    text("DELETE FROM run_claim WHERE run_id = :r AND worker = :w"),
                    {"r": self.run_id, "w": tok},
                )

    def claim(self, n: int) -> ClaimBatch:
        """Claim up to ``n`` claimable cases, in order, in one transaction each try."""
        for _attempt in range(5):
            with read_conn(self.project) as conn:
                open_claims = [r for r in self._claims(conn) if r[3] is None]
            others = {str(r[2]) for r in open_claims} - {self.worker}
            live = live_workers(self.project, self.run_id, others)
            dead = sorted(others - live)
            dead_keys = {(str(int(r[0])), int(r[1])) for r in open_claims if str(r[2]) in dead}
            with write_tx(self.project) as conn:
                for tok in dead:  # take over: unfinished claims of a worker that died
                    conn.execute(
                        text(
                            "DELETE FROM run_claim WHERE run_id = :r AND worker = :w "
                            "AND done_at IS NULL"
                        ),
                        {"r": self.run_id, "w": tok},
                    )
                answered = self._answered(conn)
                claims = {(int(r[0]), int(r[1])): r for r in self._claims(conn)}
                unsettled = [
                    k
                    for k in self.keys
                    if (int(k[0]), k[1]) not in answered
                    and ((int(k[0]), k[1]) not in claims or claims[(int(k[0]), k[1])][3] is None)
                ]
                free = [k for k in unsettled if (int(k[0]), k[1]) not in claims][: max(1, n)]
                settled = len(self.keys) - len(unsettled)
                if not free:
                    return ClaimBatch([], bool(unsettled), settled)
                got = self._insert(conn, free)
            if got:
                self.claimed += len(got)
                self.taken_over += len(dead_keys.intersection(got))
                order = {k: i for i, k in enumerate(free)}
                return ClaimBatch(sorted(got, key=order.__getitem__), True, settled)
            # another worker claimed the same cases first (PostgreSQL): look again
        return ClaimBatch([], True)

    def _insert(self, conn: Connection, free: Sequence[Key]) -> list[Key]:
        params: dict[str, Any] = {"r": self.run_id, "w": self.worker, "t": db_time()}
        values = []
        for i, (vkey, eid) in enumerate(free):
            params[f"v{i}"] = int(vkey)
            params[f"e{i}"] = int(eid)
            values.append(f"(:r, :v{i}, :e{i}, :w, :t)")
        rows = conn.execute(
            text(
                "INSERT INTO run_claim (run_id, variant_id, example_id, worker, claimed_at) "
                f"VALUES {', '.join(values)} "
                "ON CONFLICT (variant_id, example_id) DO NOTHING "
                "RETURNING variant_id, example_id"
            ),
            params,
        ).all()
        return [(str(int(v)), int(e)) for v, e in rows]

    def unsettled(self) -> int:
        """How many of the run's cases are not settled yet (see the module docstring)."""
        with read_conn(self.project) as conn:
            answered = self._answered(conn)
            done = {(int(r[0]), int(r[1])) for r in self._claims(conn) if r[3] is not None}
        settled = answered | done
        return sum(1 for k in self.keys if (int(k[0]), k[1]) not in settled)

    def release(self) -> int:
        """Give back this worker's claims without a stored result (it stops); how many."""
        with write_tx(self.project) as conn:
            cur = conn.execute(
                text("DELETE FROM run_claim WHERE run_id = :r AND worker = :w AND done_at IS NULL"),
                {"r": self.run_id, "w": self.worker},
            )
        return int(cur.rowcount or 0)


def elect_finisher(project: Project, run_id: int) -> bool:
    """True for exactly one caller once every case is settled: it completes the run.

    A conditional ``UPDATE`` of the run row (``finished_at`` is NULL while it runs): the
    database lets one transaction change the row, the others then see it set.
    """
    with write_tx(project) as conn:
        cur = conn.execute(
            text(
                "UPDATE eval_run SET finished_at = :t WHERE id = :r AND status = 'running' "
                "AND finished_at IS NULL"
            ),
            {"t": db_time(), "r": int(run_id)},
        )
    return int(cur.rowcount or 0) == 1


def begin_session(project: Project, run_id: int, *, fresh: bool) -> str:
    """Mark the run running for this worker; returns the status it had.

    A run that is not running becomes running (whoever of several starting workers comes
    first); ``fresh`` (no other worker alive) also clears the ``finished_at`` a worker
    that died while completing it may have left. A completed run is left alone.
    """
    with write_tx(project) as conn:
        status = str(
            conn.execute(
                text("SELECT status FROM eval_run WHERE id = :r"), {"r": int(run_id)}
            ).scalar()
            or ""
        )
        if status != "completed" and (status != "running" or fresh):
            conn.execute(
                text("UPDATE eval_run SET status = 'running', finished_at = NULL WHERE id = :r"),
                {"r": int(run_id)},
            )
    return status


def run_status(project: Project, run_id: int) -> str:
    """The run's stored status."""
    with read_conn(project) as conn:
        value = conn.execute(
            text("SELECT status FROM eval_run WHERE id = :r"), {"r": int(run_id)}
        ).scalar()
    return str(value or "")
