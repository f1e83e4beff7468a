"""The run lock (liveness), the variant argument and the limits' arithmetic."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from helpers.ab_project import build_ab_project

from studio.core.db.project import open_project
from studio.core.errors import UserError, ValidationError
from studio.core.evals import run_setup
from studio.core.evals.limits import RunLimits, server_name
from studio.core.evals.run_lock import acquire_run_lock, lock_path, probe_run, run_is_alive
from studio.core.evals.run_state import check_resumable, run_state
from studio.core.evals.variant_arg import parse_variant_arg
from studio.core.llm.providers import ProviderConfig


@pytest.fixture(params=["sqlite", "postgresql"])
def project_with_run(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """An A/B project with one run, as a file or (copied there) on PostgreSQL, where the
    lock is an advisory lock instead of a file."""
    ab = build_ab_project(tmp_path / "lock.studio", n_test=4)
    location: str | Path = ab.path
    if request.param == "postgresql":
        from helpers.pg_server import drop_pg_database, fresh_pg_database

        from studio.core.db.copy import copy_project

        server = request.getfixturevalue("pg_server")
        location = fresh_pg_database(server)
        copy_project(ab.path, location)
        request.addfinalizer(lambda: drop_pg_database(server, str(location)))
    project = open_project(location)
    spec = run_setup.RunSpec(
        dataset=ab.dataset_id,
        variants=[run_setup.VariantSpec("intent@1"), run_setup.VariantSpec("intent@2")],
        provider=ProviderConfig(name="x", base_url="http://127.0.0.1:9/v1", kind="compatible"),
    )
    run_id = run_setup.create_run(project, spec)
    yield project, run_id
    project.close()


def _mark_running(project, run_id: int) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    with project.engine.begin() as conn:
        conn.execute(text("UPDATE eval_run SET status = 'running' WHERE id = :r"), {"r": run_id})


def test_a_held_lock_is_alive_in_this_process_and_refuses_a_second_owner(
    project_with_run,  # type: ignore[no-untyped-def]
) -> None:
    project, run_id = project_with_run
    lock = acquire_run_lock(project, run_id)
    try:
        _mark_running(project, run_id)
        alive, owner = probe_run(project, run_id)
        assert alive and owner is not None
        assert owner.pid == os.getpid() and owner.host == socket.gethostname()[: len(owner.host)]
        assert run_state(project, run_id).status == "running"
        with pytest.raises(UserError, match=f"pid {os.getpid()}"):
            acquire_run_lock(project, run_id)
        with pytest.raises(UserError, match="still being executed"):
            check_resumable(project, run_id)
    finally:
        lock.release()
    # released without a final status: exactly what a dead process leaves
    assert not run_is_alive(project, run_id)
    if not project.is_server:
        assert not lock_path(project.path, run_id).exists()
    assert run_state(project, run_id).status == "interrupted"
    assert check_resumable(project, run_id).pending == 8


def test_a_lock_held_by_a_killed_process_is_free(project_with_run) -> None:  # type: ignore[no-untyped-def]
    project, run_id = project_with_run
    _mark_running(project, run_id)
    script = textwrap.dedent(f"""
        import os, signal, sys
        from pathlib import Path
        from studio.core.db.project import open_project
        from studio.core.evals.run_lock import acquire_run_lock
        where = {project.location!r}
        lock = acquire_run_lock(open_project(where if "://" in where else Path(where)), {run_id})
        sys.stdout.write("held\\n"); sys.stdout.flush()
        sys.stdin.readline()
    """)
    with subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as proc:
        try:
            assert proc.stdout is not None and proc.stdout.readline() == "held\n"
            alive, owner = probe_run(project, run_id)
            assert alive and owner is not None and owner.pid == proc.pid
            assert run_state(project, run_id).status == "running"
        finally:
            proc.kill()  # SIGKILL: no clean-up code runs
            proc.wait(10)
    # the file is still there (nobody removed it) but nobody holds it; on PostgreSQL the
    # server ended the killed process's session and its lock with it
    if not project.is_server:
        assert lock_path(project.path, run_id).exists()
    else:  # the server backend exits when it reads EOF from the dead client: wait for that
        deadline = time.monotonic() + 10
        while run_is_alive(project, run_id) and time.monotonic() < deadline:
            time.sleep(0.02)
    assert not run_is_alive(project, run_id)
    assert run_state(project, run_id).status == "interrupted"
    # a new owner takes it over
    acquire_run_lock(project, run_id).release()


def test_variant_argument() -> None:
    v = parse_variant_arg("intents@2=big")
    assert (v.prompt_ref, v.model) == ("intents@2", "big")
    assert parse_variant_arg("intents@prod").model is None
    assert parse_variant_arg("intents@prod", "gpt-x").model == "gpt-x"
    assert parse_variant_arg("intents@2=small", "gpt-x").model == "small"  # =MODEL wins
    for bad in ("intents", "@2", "intents@", "intents@2=", "intents@=m"):
        with pytest.raises(ValidationError):
            parse_variant_arg(bad)


def test_limits_validation_and_round_trip() -> None:
    limits = RunLimits(request_timeout_s=30, deadline_s=600)
    assert limits.effective_stall_s == 37.5
    assert RunLimits.from_json(limits.to_json()) == limits
    assert RunLimits.from_json({"request_timeout_s": "nonsense"}) == RunLimits()
    for bad in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValidationError):
            RunLimits(request_timeout_s=bad)
    with pytest.raises(ValidationError):
        RunLimits(deadline_s=0)
    assert server_name("https://llm.example.com:8443/v1") == "llm.example.com:8443"
