"""``studio distil outputs`` and ``studio runs`` on distil runs, in fresh processes.

Each command is ``python -m studio`` against a real loopback server through the openai
SDK; figures are hand counts from :mod:`helpers.distil_project`.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import SENTINEL_KEY, files_containing, loopback, provider_for
from helpers.distil_project import DistilProject, TeacherResponder, build_distil_project
from sqlalchemy import text

from studio.core.db.project import open_project
from studio.core.db.transactions import read_conn
from studio.core.distil.outputs import OutputsSpec, create_outputs_run, execute_outputs_run
from studio.core.evals.calls import RunProgress
from studio.core.progress import CancelToken

N = 150
KEYS = {"run", "rows", "stored", "failed", "skipped", "calls", "cost", "audit"}


def studio(*args: str, stdin: Any = subprocess.DEVNULL) -> subprocess.CompletedProcess[str]:
    """``python -m studio ARGS`` in a fresh process (no terminal on stdin by default)."""
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
        stdin=stdin,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> DistilProject:
    return build_distil_project(tmp_path_factory.mktemp("distil") / "template.studio", n_rows=N)


@pytest.fixture
def dp(built: DistilProject, tmp_path: Path) -> DistilProject:
    path = tmp_path / "d.studio"
    path.write_bytes(built.path.read_bytes())
    return DistilProject(
        path,
        built.dataset_id,
        built.row_ids,
        built.labels,
        built.human_ids,
        built.human_labels,
        built.test_ids,
    )


def _args(dp: DistilProject, url: str, *extra: str) -> list[str]:
    return [
        "distil",
        "outputs",
        "--project",
        str(dp.path),
        "--dataset",
        "intents",
        "--prompt",
        "teacher@1",
        "--base-url",
        url,
        *extra,
    ]


def _runs(dp: DistilProject) -> int:
    project = open_project(dp.path)
    try:
        with read_conn(project) as conn:
            return int(conn.execute(text("SELECT count(*) FROM eval_run")).scalar_one())
    finally:
        project.close()


def test_json_150_rows_then_rerun_zero_calls(dp: DistilProject) -> None:
    with loopback(responder=TeacherResponder(dp.labels)) as server:
        started = time.perf_counter()
        done = studio(*_args(dp, server.base_url, "--yes", "--json"))
        elapsed = time.perf_counter() - started
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout)
        assert set(out) == KEYS
        assert out == {
            "run": 1,
            "rows": N,
            "stored": N,
            "failed": 0,
            "skipped": 22,
            "calls": N,
            "cost": None,
            "audit": 0,
        }
        assert server.chat_requests == N
        assert f"{N} calls (0 cached, {N} to send)" in done.stderr
        assert "estimated cost" in done.stderr and "10 approved human" in done.stderr
        print(f"\n150-row distil run: {N} calls, {out['stored']} stored in {elapsed:.2f} s")

        again = studio(*_args(dp, server.base_url, "--yes", "--json"))
        assert again.returncode == 0, again.stderr
        assert json.loads(again.stdout) == {
            "run": None,
            "rows": 0,
            "stored": 0,
            "failed": 0,
            "skipped": N + 22,
            "calls": 0,
            "cost": 0.0,
            "audit": 0,
        }
        assert server.chat_requests == N  # the re-run made 0 calls
        listed = studio("runs", "list", "--project", str(dp.path), "--json")
        assert [r["kind"] for r in json.loads(listed.stdout)] == ["distil"]
        text_list = studio("runs", "list", "--project", str(dp.path))
        assert "distil" in text_list.stdout.splitlines()[1]
        shown = json.loads(studio("runs", "show", "1", "--project", str(dp.path), "--json").stdout)
        assert shown["run"]["kind"] == "distil" and shown["run"]["status"] == "completed"
        assert shown["distil"] == {
            "rows": N,
            "stored": N,
            "failed": 0,
            "skipped": 22,
            "cost": None,
            "audit": 0,
        }


def test_where_and_ids_select_rows(dp: DistilProject) -> None:
    with loopback(responder=TeacherResponder(dp.labels)) as server:
        ids = f"{dp.row_ids[0]}-{dp.row_ids[9]},{dp.human_ids[0]}"
        done = studio(*_args(dp, server.base_url, "--ids", ids, "--yes", "--json"))
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout)
        # rows 0..9 asked, the human row skipped
        assert (out["rows"], out["stored"], out["skipped"]) == (10, 10, 1)
        done = studio(*_args(dp, server.base_url, "--where", "split=", "--yes", "--json"))
        out = json.loads(done.stdout)
        # rows without a split: every third query (50), of which 0, 3, 6, 9 already asked
        assert (out["rows"], out["skipped"]) == (50 - 4, 4)
        assert server.chat_requests == 10 + 46


def test_without_yes_and_no_terminal_refuses_with_exit_2(dp: DistilProject) -> None:
    with loopback(responder=TeacherResponder(dp.labels)) as server:
        done = studio(*_args(dp, server.base_url))
        assert done.returncode == 2
        assert "--yes" in done.stderr and f"{N} calls" in done.stderr
        assert server.chat_requests == 0 and _runs(dp) == 0


def _with_terminal(args: list[str], answer: str) -> tuple[int, str]:
    """Run with a terminal on stdin (a pty) and type ``answer``."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "studio", *args],
            stdin=slave,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.write(master, (answer + "\n").encode())
        _out, err = proc.communicate(timeout=180)
        return proc.returncode, err
    finally:
        os.close(master)
        os.close(slave)


def test_terminal_asks_before_calling(dp: DistilProject) -> None:
    with loopback(responder=TeacherResponder(dp.labels)) as server:
        code, err = _with_terminal(_args(dp, server.base_url, "--ids", str(dp.row_ids[0])), "n")
        assert code == 2 and "Send them? [y/N]" in err and server.chat_requests == 0
        code, err = _with_terminal(_args(dp, server.base_url, "--ids", str(dp.row_ids[0])), "y")
        assert code == 0, err
        assert server.chat_requests == 1


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (("--samples", "3"), "--temperature"),
        (("--samples", "0"), "--samples"),
        (("--samples", "2", "--temperature", "5"), "--temperature"),
        (("--concurrency", "0"), "--concurrency"),
        (("--provider", "nope"), "--base-url"),
        (("--where", "colour=red"), "--where"),
        (("--ids", "x"), "--ids"),
    ],
)
def test_bad_input_exits_2_naming_the_field(
    dp: DistilProject, extra: tuple[str, ...], needle: str
) -> None:
    done = studio(*_args(dp, "http://127.0.0.1:9/v1", "--yes", *extra))
    assert done.returncode == 2 and needle in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and _runs(dp) == 0


def test_unknown_dataset_and_prompt_exit_2(dp: DistilProject) -> None:
    args = _args(dp, "http://127.0.0.1:9/v1", "--yes")
    bad_ds = [a if a != "intents" else "nope" for a in args]
    done = studio(*bad_ds)
    assert done.returncode == 2 and "nope" in done.stderr
    bad_prompt = [a if a != "teacher@1" else "teacher@9" for a in args]
    done = studio(*bad_prompt)
    assert done.returncode == 2 and "teacher" in done.stderr and "9" in done.stderr


def test_runs_resume_continues_a_cancelled_distil_run(dp: DistilProject) -> None:
    with loopback(responder=TeacherResponder(dp.labels), latency=0.01) as server:
        project = open_project(dp.path)
        try:
            spec = OutputsSpec(
                dataset="intents",
                prompt_ref="teacher@1",
                provider=provider_for(server),
                concurrency=4,
            )
            run_id = create_outputs_run(project, spec)
            cancel = CancelToken()

            def progress(p: RunProgress) -> None:
                if p.done >= 30:
                    cancel.cancel()

            first = execute_outputs_run(project, run_id, key=None, progress=progress, cancel=cancel)
        finally:
            project.close()
        assert first.cancelled and first.stored < N
        # a call the cancel abandoned after sending it may reach the server only now
        # (late on a busy machine): count it as the first execution's
        server.settle()
        before = server.chat_requests
        done = studio("runs", "resume", str(run_id), "--project", str(dp.path), "--json")
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout)
        assert set(out) == KEYS
        assert out["stored"] == N and out["calls"] == N - first.stored
        assert server.chat_requests - before == N - first.stored


def test_key_from_the_environment_is_sent_never_written_or_printed(
    dp: DistilProject, studio_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEACHER_KEY", SENTINEL_KEY)
    with loopback(responder=TeacherResponder(dp.labels), require_key=SENTINEL_KEY) as server:
        done = studio(
            *_args(dp, server.base_url, "--api-key-env", "TEACHER_KEY", "--yes", "--json")
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["stored"] == N
        assert server.last_authorization == f"Bearer {SENTINEL_KEY}"
    assert SENTINEL_KEY not in done.stdout + done.stderr
    assert files_containing(dp.path.parent, SENTINEL_KEY) == []
    assert files_containing(studio_home, SENTINEL_KEY) == []
