"""``studio provider list|add|remove|test`` in real processes, with a keyring across them.

Providers are saved to ``providers.json`` under ``STUDIO_HOME`` (the platformdirs config
folder in real use); keys go to the keyring (here a file-backed test backend in a folder
of its own, standing in for the OS keyring). ``test`` talks to a loopback server that
records the key it receives.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import dead_base_url, files_containing
from helpers.key_echo_server import KeyEchoServer

REPO = Path(__file__).resolve().parents[2]
KEY = "prov-key-5150"


@pytest.fixture
def keyring_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("os-keyring") / "keyring.json"


def _studio(
    *args: str,
    keyring_file: Path | None = None,
    stdin: str | None = None,
    env_extra: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests")]),
        **(env_extra or {}),
    }
    if keyring_file is not None:
        env["PYTHON_KEYRING_BACKEND"] = "helpers.file_keyring.FileKeyring"
        env["STUDIO_TEST_KEYRING"] = str(keyring_file)
    done = subprocess.run(
        [sys.executable, "-m", "studio", "provider", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env=env,
        timeout=60,
        check=False,
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return done


def test_add_list_test_remove_round_trip(keyring_file: Path, studio_home: Path) -> None:
    with KeyEchoServer(models=("echo-small", "echo-large")) as server:
        added = _studio(
            "add",
            "echo",
            "--base-url",
            server.base_url,
            "--model",
            "echo-small",
            "--key-stdin",
            "--default",
            keyring_file=keyring_file,
            stdin=KEY + "\n",
        )
        assert added.returncode == 0, added.stderr
        assert "Saved provider 'echo'" in added.stderr and "system keyring" in added.stderr
        saved = json.loads((studio_home / "config" / "providers.json").read_text())
        assert saved["default"] == "echo"
        assert saved["providers"] == [
            {
                "name": "echo",
                "base_url": server.base_url,
                "kind": "compatible",
                "api_version": None,
                "default_model": "echo-small",
            }
        ]
        assert json.loads(keyring_file.read_text()) == {"prompt-dataset-studio/echo": KEY}

        listed = _studio("list", "--json", keyring_file=keyring_file)
        rows = json.loads(listed.stdout)["providers"]
        assert listed.returncode == 0 and len(rows) == 1
        assert rows[0]["name"] == "echo" and rows[0]["key"] == "keyring" and rows[0]["default"]
        text = _studio("list", keyring_file=keyring_file).stdout
        assert text.startswith("* echo: compatible at " + server.base_url)

        tested = _studio("test", "echo", "--json", keyring_file=keyring_file)
        assert tested.returncode == 0, tested.stderr
        verdict = json.loads(tested.stdout)
        assert verdict["ok"] is True and verdict["key"] == "keyring"
        assert verdict["verdict"].startswith("OK: echo answered GET /models")
        assert set(verdict["models"]) == {"echo-small", "echo-large", "echo-[redacted]"}
        # one cheap request, carrying the saved key
        assert server.authorizations == [f"Bearer {KEY}"]
        assert KEY not in tested.stdout + tested.stderr

    removed = _studio("remove", "echo", keyring_file=keyring_file)
    assert removed.returncode == 0 and "Removed provider 'echo'" in removed.stderr
    assert json.loads(keyring_file.read_text()) == {}
    assert json.loads(_studio("list", "--json").stdout)["providers"] == []
    again = _studio("remove", "echo")
    assert again.returncode == 2 and "No provider called 'echo'" in again.stderr
    assert files_containing(studio_home, KEY) == []


def test_test_gives_a_clear_failing_verdict(studio_home: Path) -> None:
    url = dead_base_url()
    assert _studio("add", "gone", "--base-url", url).returncode == 0
    done = _studio("test", "gone")
    assert done.returncode == 1
    assert done.stdout.startswith(f"FAILED: gone at {url} (sent no key): Server unreachable")
    assert _studio("test", "ghost").returncode == 2


def test_a_key_without_a_keyring_is_refused_and_nothing_saved(studio_home: Path) -> None:
    # the test default: keyring.backends.fail.Keyring (no backend, like headless CI)
    done = _studio(
        "add",
        "vllm",
        "--base-url",
        "http://127.0.0.1:8000/v1",
        "--key-env",
        "SOME_KEY",
        env_extra={"SOME_KEY": KEY},
    )
    assert done.returncode == 2 and "no system keyring" in done.stderr
    assert "--api-key-env" in done.stderr
    assert not (studio_home / "config" / "providers.json").exists()
    assert KEY not in done.stdout + done.stderr


def test_kind_is_inferred_and_bad_input_exits_2(studio_home: Path) -> None:
    assert _studio("add", "oa", "--base-url", "https://api.openai.com/v1").returncode == 0
    assert _studio("add", "az", "--base-url", "https://team.openai.azure.com").returncode == 0
    rows = {r["name"]: r for r in json.loads(_studio("list", "--json").stdout)["providers"]}
    assert rows["oa"]["kind"] == "openai"
    assert rows["az"]["kind"] == "azure" and rows["az"]["api_version"] == "2024-10-21"
    dup = _studio("add", "oa", "--base-url", "https://api.openai.com/v1")
    assert dup.returncode == 2 and "already exists" in dup.stderr
    assert (
        _studio(
            "add",
            "oa",
            "--base-url",
            "https://api.openai.com/v1",
            "--model",
            "gpt-4.1-mini",
            "--replace",
        ).returncode
        == 0
    )
    bad = _studio("add", "x", "--base-url", "ftp://nowhere")
    assert bad.returncode == 2 and "http://" in bad.stderr
    insecure = _studio("add", "far", "--base-url", "http://192.0.2.10:8000/v1")
    assert insecure.returncode == 0
    refused = _studio("test", "far", "--api-key-env", "SOME_KEY", env_extra={"SOME_KEY": KEY})
    assert refused.returncode == 2 and "plain http" in refused.stderr
    assert KEY not in refused.stderr
