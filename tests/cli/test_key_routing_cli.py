"""Issue 10 section 4: keys go only where the user meant, and stay out of every sink.

The real openai SDK talks to :class:`KeyEchoServer` on loopback, which records every
``Authorization`` header it receives and echoes the key back in answers, errors and its
model list. The redaction test then reads every file the studio wrote (project, WAL,
cache, log, report, exports) as bytes, every database row, and everything printed.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import files_containing
from helpers.ab_project import LABELS, ab_args
from helpers.key_echo_server import KeyEchoServer
from helpers.memory_keyring import MemoryKeyring

from studio.cli.main import run_cli
from studio.core.llm.key_policy import (
    InsecureKeyError,
    check_transport,
    environment_variable_for,
    is_loopback,
)
from studio.core.llm.keys import resolve_key
from studio.core.llm.providers import ProviderConfig
from studio.core.redact import RedactingFormatter

N = 8
AB_N_TRAIN = 12  # train examples in the shared ``ab`` fixture's project
SHORT_KEY = "k9x"  # short, no sk- prefix: no pattern could find it
OPENAI_ENV_KEY = "sk-openai-only-000000000000000000"
REPO = Path(__file__).resolve().parents[2]


def _ab(ab: Any, *extra: str) -> list[str]:
    return ab_args(ab, "--no-cache", *extra)


# -- the decision rules ---------------------------------------------------------------------
def test_environment_keys_go_only_to_their_own_hosts() -> None:
    openai = ProviderConfig("o", "https://api.openai.com/v1", "openai")
    assert environment_variable_for(openai) == "OPENAI_API_KEY"
    assert (
        environment_variable_for(ProviderConfig("o", "https://eu.api.openai.com/v1", "openai"))
        == "OPENAI_API_KEY"
    )
    for url in (
        "http://api.openai.com/v1",
        "https://api.openai.com.evil.test/v1",
        "https://proxy.example.com/v1",
        "http://127.0.0.1:8000/v1",
    ):
        assert environment_variable_for(ProviderConfig("o", url, "openai")) is None, url
        assert environment_variable_for(ProviderConfig("c", url, "compatible")) is None, url
    azure = ProviderConfig("a", "https://team.openai.azure.com", "azure", api_version="2024-10-21")
    assert environment_variable_for(azure) == "AZURE_OPENAI_API_KEY"
    assert (
        environment_variable_for(
            ProviderConfig("a", "https://azure.example.com", "azure", api_version="2024-10-21")
        )
        is None
    )


def test_resolve_key_by_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_ENV_KEY)
    monkeypatch.setenv("MY_SERVER_KEY", "srv-1")
    openai = ProviderConfig("OpenAI", "https://api.openai.com/v1", "openai")
    local = ProviderConfig("http://127.0.0.1:9/v1", "http://127.0.0.1:9/v1", "compatible")
    assert resolve_key(openai, saved=False).key == OPENAI_ENV_KEY
    assert resolve_key(local, saved=False).key is None  # by default none
    assert resolve_key(local, saved=True).key is None  # nothing saved under that name
    named = resolve_key(local, api_key_env="MY_SERVER_KEY", saved=False)
    assert (named.key, named.origin) == ("srv-1", "api-key-env")


@pytest.mark.parametrize(
    ("url", "loopback", "refused"),
    [
        ("http://192.0.2.10:8000/v1", False, True),
        ("http://models.example.com/v1", False, True),
        ("http://[2001:db8::1]:8000/v1", False, True),
        ("http://127.0.0.1:8000/v1", True, False),
        ("http://127.5.6.7:8000/v1", True, False),
        ("http://localhost:11434/v1", True, False),
        ("http://[::1]:8000/v1", True, False),
        ("https://models.example.com/v1", False, False),
    ],
)
def test_plain_http_to_another_machine_needs_an_opt_in(
    url: str, loopback: bool, refused: bool
) -> None:
    assert is_loopback(url) is loopback
    if refused:
        with pytest.raises(InsecureKeyError, match="--allow-insecure-key"):
            check_transport(url, "k9x", allow_insecure=False)
        warning = check_transport(url, "k9x", allow_insecure=True)
        assert warning is not None and "unencrypted" in warning
    else:
        assert check_transport(url, "k9x", allow_insecure=False) is None
    assert check_transport(url, None, allow_insecure=False) is None  # no key, no risk


def test_plain_http_key_exits_2_before_anything_is_stored(
    ab: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_SERVER_KEY", SHORT_KEY)
    code = run_cli(
        _ab(ab, "--base-url", "http://192.0.2.10:8000/v1", "--api-key-env", "MY_SERVER_KEY")
    )
    err = capsys.readouterr().err
    assert code == 2 and "plain http" in err and "--allow-insecure-key" in err
    assert SHORT_KEY not in err and "Traceback" not in err
    from studio.core.db.project import open_project
    from studio.core.evals.run_store import list_runs

    with open_project(ab.path) as project:
        assert list_runs(project) == []


# -- what the server really receives ---------------------------------------------------------
def test_openai_key_is_not_sent_to_another_base_url(
    ab: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_ENV_KEY)
    with KeyEchoServer(LABELS) as server:
        code = run_cli(_ab(ab, "--base-url", server.base_url, "--json"))
    out = capsys.readouterr().out
    assert code == 1  # odd queries answer 400
    assert len(server.authorizations) == 2 * N  # every call reached the server ...
    assert server.keys_received() == {"Bearer not-needed"}  # ... without the OpenAI key
    assert json.loads(out)["calls"]["failed"] == N  # 4 odd queries x 2 variants


def test_api_key_env_key_is_sent(
    ab: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_ENV_KEY)
    monkeypatch.setenv("MY_SERVER_KEY", "srv-key-123")
    with KeyEchoServer(LABELS) as server:
        code = run_cli(
            _ab(ab, "--base-url", server.base_url, "--api-key-env", "MY_SERVER_KEY", "--json")
        )
    capsys.readouterr()
    assert code == 1
    assert len(server.authorizations) == 2 * N
    assert server.keys_received() == {"Bearer srv-key-123"}


def test_unset_api_key_env_exits_2(ab: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code = run_cli(
        _ab(ab, "--base-url", "http://127.0.0.1:9/v1", "--api-key-env", "STUDIO_NO_SUCH_VARIABLE")
    )
    err = capsys.readouterr().err
    assert code == 2 and "STUDIO_NO_SUCH_VARIABLE" in err and "not set" in err


def test_ab_provider_uses_the_saved_provider_and_its_keyring_key(
    ab: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    working_keyring: MemoryKeyring,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_ENV_KEY)
    monkeypatch.setenv("SOURCE_OF_KEY", "saved-key-77")
    with KeyEchoServer(LABELS) as server:
        assert (
            run_cli(
                [
                    "provider",
                    "add",
                    "echo",
                    "--base-url",
                    server.base_url,
                    "--key-env",
                    "SOURCE_OF_KEY",
                ]
            )
            == 0
        )
        monkeypatch.delenv("SOURCE_OF_KEY")  # from now on only the keyring has it
        assert working_keyring.store == {("prompt-dataset-studio", "echo"): "saved-key-77"}
        code = run_cli(_ab(ab, "--provider", "echo", "--json"))
        out = json.loads(capsys.readouterr().out)
        assert code == 1 and out["n"] == N
        assert server.keys_received() == {"Bearer saved-key-77"}
        # --provider and --base-url together is a usage error
        assert run_cli(_ab(ab, "--provider", "echo", "--base-url", server.base_url)) == 2
        assert "not both" in capsys.readouterr().err
        assert run_cli(_ab(ab, "--provider", "ghost")) == 2
        assert "No provider called 'ghost'" in capsys.readouterr().err
    from studio.core.db.project import open_project
    from studio.core.evals.run_store import list_runs

    with open_project(ab.path) as project:
        runs = list_runs(project)
    assert len(runs) == 1


# -- a short key echoed back is found nowhere --------------------------------------------------
def _log_to(path: Path) -> logging.Handler:
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    for name in ("studio", "openai", "httpx2", "httpx"):
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).setLevel(logging.DEBUG)
    return handler


def _unlog(handler: logging.Handler) -> None:
    for name in ("studio", "openai", "httpx2", "httpx"):
        logging.getLogger(name).removeHandler(handler)
        logging.getLogger(name).setLevel(logging.NOTSET)
    handler.close()


def _db_texts(path: Path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT output, error, score_detail FROM eval_result").fetchall()
        plans = conn.execute("SELECT summary_json FROM eval_run").fetchall()
        cache = conn.execute("SELECT response_json FROM response_cache").fetchall()
    finally:
        conn.close()
    return [str(v) for row in rows + plans + cache for v in row if v is not None]


def test_a_short_echoed_key_is_found_in_no_file_row_log_or_output(
    ab: Any,
    tmp_path: Path,
    studio_home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from studio.core import paths

    monkeypatch.setenv("K9", SHORT_KEY)
    log_file = paths.log_dir() / "studio.log"
    handler = _log_to(log_file)
    printed = []
    try:
        with KeyEchoServer(LABELS) as server:
            # answers and errors echo the key; the run is cached so the cache sees it too
            assert (
                run_cli(ab_args(ab, "--base-url", server.base_url, "--api-key-env", "K9", "--json"))
                == 1
            )
            printed.append(capsys.readouterr())
            assert run_cli(_ab(ab, "--base-url", server.base_url, "--api-key-env", "K9")) == 1
            printed.append(capsys.readouterr())
            assert server.keys_received() == {f"Bearer {SHORT_KEY}"}
            # the model list names the key; provider test prints it
            assert run_cli(["provider", "add", "echo", "--base-url", server.base_url]) == 0
            assert run_cli(["provider", "test", "echo", "--api-key-env", "K9"]) == 0
            assert run_cli(["provider", "test", "echo", "--api-key-env", "K9", "--json"]) == 0
            printed.append(capsys.readouterr())
        with KeyEchoServer(LABELS, refuse=True) as refusing:
            # every call refused with the key in the message: the run's failed reason
            assert run_cli(_ab(ab, "--base-url", refusing.base_url, "--api-key-env", "K9")) == 2
            printed.append(capsys.readouterr())
        # a report and exports of the project
        answers = tmp_path / "answers.json"
        from studio.core.demo.decision import DEMO_ANSWERS

        answers.write_text(json.dumps(DEMO_ANSWERS), encoding="utf-8")
        from studio.core.datasets.curation import set_status
        from studio.core.db.project import open_project

        with open_project(ab.path) as project:
            set_status(project, ab.dataset_id, list(ab.train_ids), "approved")
        assert (
            run_cli(
                [
                    "decide",
                    "--project",
                    str(ab.path),
                    "--answers",
                    str(answers),
                    "--dataset",
                    "intents",
                    "-o",
                    str(tmp_path / "report.md"),
                ]
            )
            == 0
        )
        assert (
            run_cli(
                [
                    "decide",
                    "--project",
                    str(ab.path),
                    "--answers",
                    str(answers),
                    "--dataset",
                    "intents",
                    "-o",
                    str(tmp_path / "report.html"),
                ]
            )
            == 0
        )
        assert (
            run_cli(
                [
                    "dataset",
                    "export",
                    "--project",
                    str(ab.path),
                    "intents",
                    "--target",
                    "openai-chat",
                    "--prompt",
                    "intent@2",
                    "-o",
                    str(tmp_path / "export"),
                ]
            )
            == 0
        ), capsys.readouterr().err
        printed.append(capsys.readouterr())
        from studio.core.evals.preferences import export_preferences, record_preference
        from studio.core.evals.run_store import list_runs

        with open_project(ab.path) as project:
            run_id = min(r.id for r in list_runs(project))  # the first, answered run
            record_preference(project, run_id, ab.test_ids[0], "a")
            export_preferences(project, run_id, "openai-dpo", tmp_path / "prefs.jsonl")
        logging.getLogger("studio").error("an error that quotes the key: %s", SHORT_KEY)
    finally:
        _unlog(handler)

    out = "".join(c.out + c.err for c in printed)
    assert SHORT_KEY not in out
    assert out.count("[redacted]") >= 3  # the failed reason, the error table, the model list
    texts = _db_texts(ab.path)
    assert texts and not [t for t in texts if SHORT_KEY in t]
    masked = [t for t in texts if "[redacted]" in t]
    assert len(masked) >= 2 * N  # every answer and every error echoed it
    written = [p for root in (tmp_path, studio_home) for p in root.rglob("*") if p.is_file()]
    names = {p.name for p in written}
    assert {
        "ab.studio",
        "report.md",
        "report.html",
        "prefs.jsonl",
        "studio.log",
        "providers.json",
    } <= names
    assert any(p.suffix == ".jsonl" and "export" in p.parts for p in written)
    assert b"[redacted]" in (tmp_path / "prefs.jsonl").read_bytes()
    assert b"[redacted]" in log_file.read_bytes()
    hits = files_containing(tmp_path, SHORT_KEY) + files_containing(studio_home, SHORT_KEY)
    assert hits == [], f"the key leaked into {hits}"


def test_a_real_cli_process_prints_no_echoed_key(ab: Any, tmp_path: Path) -> None:
    env = {**__import__("os").environ, "K9": SHORT_KEY, "PYTHONPATH": str(REPO)}
    with KeyEchoServer(LABELS, refuse=True) as server:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "studio",
                *_ab(ab, "--base-url", server.base_url, "--api-key-env", "K9"),
            ],
            capture_output=True,
            timeout=120,
            env=env,
            check=False,
        )
    assert done.returncode == 2, done.stderr
    assert b"Incorrect API key provided: [redacted]" in done.stderr
    assert SHORT_KEY.encode() not in done.stdout + done.stderr
    assert files_containing(tmp_path, SHORT_KEY) == []


def test_files_the_studio_writes_never_hold_a_remembered_key(tmp_path: Path) -> None:
    """The one file-writing path (core.atomic) masks a held key, whatever the data holds."""
    from studio.core.atomic import write_bytes_atomic
    from studio.core.formats.common import write_jsonl_atomic
    from studio.core.redact import remember_secret

    remember_secret(SHORT_KEY)
    write_bytes_atomic(tmp_path / "report.md", f"# Report\nthe server said {SHORT_KEY}\n".encode())
    count, digest = write_jsonl_atomic(
        tmp_path / "rows.jsonl",
        [
            {"messages": [{"role": "assistant", "content": f"label {SHORT_KEY}"}]},
            {"messages": [{"role": "assistant", "content": 'quoted "k9x" too'}]},
        ],
    )
    import hashlib

    data = (tmp_path / "rows.jsonl").read_bytes()
    assert count == 2 and hashlib.sha256(data).hexdigest() == digest
    assert data.count(b"[redacted]") == 2
    assert (tmp_path / "report.md").read_bytes().endswith(b"the server said [redacted]\n")
    assert files_containing(tmp_path, SHORT_KEY) == []


def test_the_client_factory_refuses_an_insecure_key_without_the_opt_in() -> None:
    """Every request's client is built in one place; it enforces the rule too."""
    from studio.core.llm.client import make_sync_client
    from studio.core.llm.key_policy import allow_insecure_key

    far = ProviderConfig("far", "http://192.0.2.10:8000/v1", "compatible")
    with pytest.raises(InsecureKeyError):
        make_sync_client(far, SHORT_KEY)
    make_sync_client(far, None).close()  # no key: nothing to protect
    allow_insecure_key(far.base_url)  # what --allow-insecure-key / the app's "Send" does
    make_sync_client(far, SHORT_KEY).close()


def test_allow_insecure_key_warns_and_opts_in(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import argparse

    from studio.cli.provider_args import resolve_target
    from studio.core.llm.key_policy import insecure_key_allowed

    monkeypatch.setenv("K9", SHORT_KEY)
    url = "http://192.0.2.10:8000/v1"
    target = resolve_target(
        argparse.Namespace(base_url=url, provider=None, api_key_env="K9", allow_insecure_key=True)
    )
    assert target.key == SHORT_KEY and target.key_origin == "api-key-env"
    err = capsys.readouterr().err
    assert "Warning: the API key is sent unencrypted (plain http) to 192.0.2.10" in err
    assert insecure_key_allowed(url)
