"""A tiny fork server for the kill -9 tests (run as a script, never imported by pytest).

Starting a Python interpreter and importing the studio (SQLAlchemy, SQLModel, openai)
costs 1.5-2.5 s on the CI class; a kill loop of 30+ iterations per scenario cannot pay
that each time. This process imports everything once, then forks one child per job, so
a child starts in a few milliseconds and runs the real code in a fresh process.

Protocol (JSON lines). The test writes commands to stdin:

* ``{"op": "run", "job": "import" | "eval" | "label", "kw": {...}}``: fork a child
  that runs the job; this process answers ``{"ev": "forked", "pid": ...}``.
* ``{"op": "kill"}``: SIGKILL the child, reap it, answer ``{"ev": "exit", "code": ...}``.
* ``{"op": "wait"}``: reap the child when it ends, answer ``{"ev": "exit", "code": ...}``.
* ``{"op": "quit"}``: exit.

The child writes its own events to the same stdout, one ``os.write`` per line (below
PIPE_BUF, so a line is never torn, even by SIGKILL): ``begin`` right before the
operation, job-specific progress, ``ack`` after the operation returned (= committed)
and ``error`` with a traceback if it raised. The kill is sent by this process, the
child's parent: the child is not reaped before the kill, so its pid cannot have been
reused by an unrelated process.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any

# Everything a job needs, imported once before any fork (no threads, no open files).
import openai  # noqa: F401  (the runner imports it lazily: 0.9 s per child otherwise)

from studio.core.datasets import ExampleFilter, import_file, redo, set_label, undo
from studio.core.db.project import open_project
from studio.core.evals import run_execute, store
from studio.core.llm import client as _client  # noqa: F401


def emit(event: str, **data: Any) -> None:
    """One JSON line on stdout, written with a single unbuffered write."""
    line = json.dumps({"ev": event, **data}, separators=(",", ":")) + "\n"
    os.write(1, line.encode("utf-8"))


# ---------------------------------------------------------------------------- jobs
def job_import(project: str, csv: str, dataset: str, bulk_path: bool = False) -> None:
    """Import ``csv`` into a new dataset; ``tx`` = inside the write transaction.

    ``bulk_path``: take the large-import path with a small file (chunks handed to the
    writer thread, the hash index dropped and rebuilt inside the transaction).
    """
    if bulk_path:
        from studio.core.datasets import importing

        for name in ("CHUNK_ROWS", "DROP_HASH_INDEX_MIN_ROWS"):
            if hasattr(importing, name):  # a forked child: the change dies with it
                setattr(importing, name, 1000)
    proj = open_project(project)
    in_tx = False

    def progress(_p: Any) -> None:
        nonlocal in_tx
        if not in_tx:  # the first report comes from inside the import's transaction
            in_tx = True
            emit("tx")

    t0 = time.monotonic()
    emit("begin")
    result = import_file(proj, csv, dataset, progress=progress)
    emit(
        "ack",
        dataset=dataset,
        dataset_id=result.dataset_id,
        imported=result.imported,
        skipped=result.skipped_duplicates,
        rejected=len(result.rejected),
        seconds=time.monotonic() - t0,
    )
    proj.close()


def job_eval(project: str, run_id: int) -> None:
    """Run (or resume) an A/B run; ``ack`` after each result the sink committed."""
    original = store.ProjectResultSink.save
    proj = open_project(project)
    t0 = time.monotonic()

    def save(self: store.ProjectResultSink, result: Any) -> None:
        original(self, result)  # returns only after the commit
        emit(
            "ack",
            variant=result.variant_key,
            example=result.example_id,
            output=result.output,
            error=result.error,
            t=time.monotonic() - t0,
        )

    store.ProjectResultSink.save = save  # type: ignore[method-assign]
    emit("begin")
    outcome = run_execute.execute_run(proj, run_id, key=None)
    emit(
        "done",
        completed=outcome.completed,
        calls_made=outcome.calls_made,
        cached=outcome.cached,
        failed=outcome.failed,
        failed_reason=outcome.failed_reason,
        seconds=time.monotonic() - t0,
    )
    proj.close()


def job_label(project: str, dataset_id: int, op: str, label: str | None = None) -> None:
    """A bulk curation edit over the whole dataset: set_label, undo or redo."""
    proj = open_project(project)
    t0 = time.monotonic()
    emit("begin")
    if op == "set":
        changes = set_label(proj, dataset_id, ExampleFilter(), label)
        count, description = changes.count, changes.description
    elif op == "undo":
        summary = undo(proj, dataset_id)
        assert summary is not None
        count, description = summary.count, summary.description
    else:
        summary = redo(proj, dataset_id)
        assert summary is not None
        count, description = summary.count, summary.description
    emit("ack", op=op, count=count, description=description, seconds=time.monotonic() - t0)
    proj.close()


JOBS: dict[str, Callable[..., None]] = {"import": job_import, "eval": job_eval, "label": job_label}


# ---------------------------------------------------------------------------- server
def _child(job: str, kw: dict[str, Any], env: dict[str, str]) -> None:
    code = 0
    try:
        os.close(0)
        os.environ.update(env)
        JOBS[job](**kw)
    except BaseException:
        emit("error", traceback=traceback.format_exc())
        code = 1
    finally:
        os._exit(code)  # no atexit handlers inherited from the server


def _reap(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def main() -> None:
    emit("ready")
    child: int | None = None
    for raw in sys.stdin:
        cmd = json.loads(raw)
        op = cmd["op"]
        if op == "run":
            if child is not None:
                raise SystemExit("crash_server: a child is still running")
            pid = os.fork()
            if pid == 0:
                _child(cmd["job"], cmd.get("kw", {}), cmd.get("env", {}))
            child = pid
            emit("forked", pid=pid)
        elif op in ("kill", "wait"):
            if child is None:
                emit("exit", code=None)
                continue
            if op == "kill":
                os.kill(child, signal.SIGKILL)  # not reaped yet: the pid is still ours
            code = _reap(child)
            child = None
            emit("exit", code=code)
        elif op == "quit":
            break
    if child is not None:
        os.kill(child, signal.SIGKILL)
        _reap(child)


if __name__ == "__main__":
    main()
