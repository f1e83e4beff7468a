"""Bad inputs on the command line: exit 2 (or 1) with one sentence naming the thing.

Every case runs the real ``studio`` command line in-process on real files: broken,
foreign, newer and deleted project files, a full disk, broken prompt and schema files,
unreadable example files, a 50 MB single line, a dead server, a wrong key, an unknown
model, and a decision answers file with a bad field. None may print a traceback, and
none may change what the project already holds.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from helpers.loopback_server import LoopbackServer

from studio.cli.main import run_cli
from studio.core.db.project import open_project
from studio.core.prompts.service import log as prompt_log

DEMO_DATASET = "Banking intents (demo)"


@pytest.fixture
def demo(tmp_path: Path, demo_template: Path) -> Path:
    dest = tmp_path / "team.studio"
    shutil.copyfile(demo_template, dest)
    return dest


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run_cli(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def one_sentence(err: str) -> str:
    """The single ``studio: …`` line on stderr, checked to read as a sentence."""
    lines = [line for line in err.splitlines() if line.startswith("studio: ")]
    assert lines, err
    text = lines[-1].removeprefix("studio: ")
    assert text.rstrip()[-1] in ".)", text
    return text


def test_a_json_lines_file_of_one_50_mb_line_is_reported_as_too_long(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    big = tmp_path / "huge.jsonl"
    with big.open("wb") as fh:
        fh.write(b'{"text": "')
        fh.write(b"a" * (50 * 1024 * 1024))
        fh.write(b'", "label": "x"}\n')
    code, _, err = run(
        capsys, "dataset", "import", "--project", str(demo), str(big), "--name", "huge"
    )
    assert code == 2
    text = one_sentence(err)
    assert "huge.jsonl" in text and "line 1" in text and "MB" in text
    assert "JSON object, not a list" not in text


def test_a_json_array_of_numbers_says_there_are_no_records(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    numbers = tmp_path / "numbers.json"
    numbers.write_text("[1, 2, 3]", encoding="utf-8")
    code, _, err = run(
        capsys, "dataset", "import", "--project", str(demo), str(numbers), "--name", "n"
    )
    assert code == 2
    text = one_sentence(err)
    assert "numbers.json" in text and "not an object" in text and "(fields: )" not in text


def test_an_invalid_schema_file_for_validate_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "chats.jsonl"
    data.write_text('{"messages": [{"role": "user", "content": "Hi"}]}\n', encoding="utf-8")
    schema = tmp_path / "out.schema.json"
    schema.write_text('{"type": "objekt"}', encoding="utf-8")
    code, _, err = run(capsys, "validate", str(data), "--schema", str(schema))
    assert code == 2
    text = one_sentence(err)
    assert text.startswith(f"The schema file {schema} is not a valid JSON Schema: ")
    assert "'objekt'" in text


def test_validating_a_binary_file_never_claims_a_format_was_detected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blob = tmp_path / "photo.jsonl"
    blob.write_bytes(bytes(range(256)) * 64)
    code, out, _ = run(capsys, "validate", str(blob))
    assert code == 1
    assert "detected from" not in out.splitlines()[0]
    assert "checked as openai-chat; choose a format explicitly." in out


def test_a_read_only_folder_is_named_as_read_only(
    demo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A WAL project in a folder nobody may write cannot even be read by SQLite (it needs
    # its -shm file). Root writes everywhere, so the folder's permission is what the
    # studio is told: os.access says "not writable", SQLite says "unable to open".
    import os

    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if mode == os.W_OK else real_access(p, mode)
    )
    from studio.core.db.transactions import describe_db_error

    text = describe_db_error(sqlite3.OperationalError("unable to open database file"), demo)
    assert "read-only" in text and str(demo) in text


def test_a_full_disk_is_named_when_sqlite_only_says_disk_io_error(
    demo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from collections import namedtuple

    from studio.core.db import transactions

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(transactions.shutil, "disk_usage", lambda _p: usage(10, 10, 0))
    text = transactions.describe_db_error(sqlite3.OperationalError("disk I/O error"), demo)
    assert "the disk is full" in text and str(demo) in text


def test_a_project_deleted_while_open_refuses_reads_and_writes(demo: Path, tmp_path: Path) -> None:
    from studio.core.errors import UserError

    project = open_project(demo)
    try:
        assert prompt_log(project, "support-reply")
        demo.unlink()
        with pytest.raises(UserError, match="deleted or moved while it was open"):
            prompt_log(project, "support-reply")
        with pytest.raises(UserError, match="deleted or moved"):
            project.save_copy(tmp_path / "rescue.studio")
        # no empty project was created at the old path by a new connection
        assert not demo.exists()
    finally:
        project.close()


@pytest.fixture
def keyed_server() -> LoopbackServer:
    with LoopbackServer(
        require_key="sk-the-right-key-000000000000000",
        known_models_only=True,
        models=("gpt-4.1", "gpt-4.1-mini"),
    ) as server:
        yield server  # type: ignore[misc]


def _ab(demo: Path, url: str, *extra: str) -> list[str]:
    return [
        "ab",
        "--project",
        str(demo),
        "--dataset",
        DEMO_DATASET,
        "--variant",
        "banking-intent@3",
        "--variant",
        "banking-intent@4",
        "--base-url",
        url,
        "--no-cache",
        # a loopback server gets OPENAI_API_KEY only when the user names it
        "--api-key-env",
        "OPENAI_API_KEY",
        *extra,
    ]


def test_ab_with_a_wrong_key_stops_early_with_a_sentence(
    demo: Path,
    keyed_server: LoopbackServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-a-wrong-key-000000000000000000")
    code, _, err = run(capsys, *_ab(demo, keyed_server.base_url))
    assert code == 2
    text = one_sentence(err)
    assert "rejected the API key (401)" in text and "stopped after 8 refused calls" in text
    assert "sk-a-wrong" not in err
    # 119 test examples x 2 variants would be 238 calls; a few in flight may finish
    assert keyed_server.chat_requests < 30


def test_ab_with_an_unknown_model_stops_early_and_names_it(
    demo: Path,
    keyed_server: LoopbackServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", keyed_server.require_key or "")
    code, _, err = run(capsys, *_ab(demo, keyed_server.base_url, "--model", "gpt-nope"))
    assert code == 2
    text = one_sentence(err)
    assert "'gpt-nope' was not found" in text
    assert keyed_server.chat_requests < 30


def test_a_refused_run_keeps_the_project_readable(
    demo: Path,
    keyed_server: LoopbackServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-a-wrong-key-000000000000000000")
    run(capsys, *_ab(demo, keyed_server.base_url))
    monkeypatch.setenv("OPENAI_API_KEY", keyed_server.require_key or "")
    code, out, err = run(capsys, *_ab(demo, keyed_server.base_url, "--model", "gpt-4.1", "--json"))
    assert code in (0, 1), err
    assert '"run_id"' in out


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"calls_per_day": "lots"}', "field 'calls_per_day' must be a number"),
        ('{"nosuch": 1}', "unknown field 'nosuch'"),
        ("[1]", "must be a JSON object"),
        ("{bad", "is not valid JSON"),
    ],
)
def test_decide_names_the_bad_field_of_an_answers_file(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, expected: str
) -> None:
    answers = tmp_path / "answers.json"
    answers.write_text(content, encoding="utf-8")
    code, _, err = run(capsys, "decide", "--project", str(demo), "--answers", str(answers))
    assert code == 2
    text = one_sentence(err)
    assert "answers.json" in text and expected in text
