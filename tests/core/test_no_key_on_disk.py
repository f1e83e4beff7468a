"""Bar 16: no API key ever reaches a file the studio writes.

A sentinel key goes in through the provider/key path (``keys.set_key``; no keyring here,
so it is held in memory), the loopback server *requires* it (so the run proves the key
was really sent), and then an A/B run, a resumed run with errors, a preference and a
dataset export, the provider and app settings saves and the log all happen. Every file
under ``STUDIO_HOME`` (data, config, cache, logs) and ``tmp_path`` (the project, its
``-wal``/``-shm``, exports) is then read as bytes: the key must appear in none.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from helpers import SENTINEL_KEY, files_containing
from helpers.loopback_server import LoopbackServer

from studio.core.db.project import open_project
from studio.core.evals import run_execute, run_results, run_setup
from studio.core.evals.preferences import export_preferences, record_preference
from studio.core.llm import keys
from studio.core.llm.providers import ProviderConfig


@pytest.fixture
def demo_copy(tmp_path: Path, demo_template: Path) -> Path:
    dest = tmp_path / "project.studio"
    shutil.copyfile(demo_template, dest)
    return dest


def _log_to(path: Path) -> logging.Handler:
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    for name in ("studio", "openai", "httpx2"):
        logging.getLogger(name).addHandler(handler)
        logging.getLogger(name).setLevel(logging.DEBUG)
    return handler


def _unlog(handler: logging.Handler) -> None:
    for name in ("studio", "openai", "httpx2"):
        logging.getLogger(name).removeHandler(handler)
        logging.getLogger(name).setLevel(logging.NOTSET)
    handler.close()


def test_sentinel_key_is_written_nowhere(
    demo_copy: Path, tmp_path: Path, studio_home: Path
) -> None:
    from studio.core import paths

    provider = ProviderConfig(
        "Guarded server", "http://127.0.0.1:9/v1", "compatible", default_model="loopback-small"
    )
    where = keys.set_key(provider, SENTINEL_KEY)
    assert where == "session"  # no keyring backend in tests: memory, not a file
    log_file = paths.log_dir() / "studio.log"
    handler = _log_to(log_file)
    project = open_project(demo_copy)
    try:
        with LoopbackServer(
            require_key=SENTINEL_KEY,
            latency=0.001,
            responder=lambda body: "card_arrival",
            faults=lambda i, body: "500" if i % 17 == 3 else None,
        ) as server:
            provider = ProviderConfig(
                provider.name, server.base_url, "compatible", default_model="loopback-small"
            )
            key = keys.get_key(provider)
            assert key == SENTINEL_KEY
            spec = run_setup.RunSpec(
                dataset="Banking intents (demo)",
                variants=[
                    run_setup.VariantSpec("banking-intent@2", "loopback-small"),
                    run_setup.VariantSpec("banking-intent@3", "loopback-small"),
                ],
                provider=provider,
                scorer="label",
            )
            run_id = run_setup.create_run(project, spec)
            outcome = run_execute.execute_run(project, run_id, key=key)
            assert server.last_authorization == f"Bearer {SENTINEL_KEY}"
            assert outcome.calls_made > 0
            # a wrong key is rejected and the error text is stored: redacted, not the key
            bad = run_setup.create_run(project, spec)
            run_execute.execute_run(project, bad, key=SENTINEL_KEY + "x", cache=False)
            summary = run_results.run_summary(project, run_id)
            assert summary.n > 0
            record_preference(
                project, run_id, summary.disagreements[0] if summary.disagreements else 1, "b"
            )
        export_dir = tmp_path / "exports"
        export_dir.mkdir()
        export_preferences(project, run_id, "openai-dpo", export_dir / "prefs.jsonl")
        from studio.core.export.run import export_dataset

        export_dataset(
            project,
            "Banking intents (demo)",
            "openai-chat",
            "banking-intent@3",
            export_dir / "dataset",
        )
        logging.getLogger("studio").error("run failed with key %s", keys.redact(SENTINEL_KEY))
        # settings saves: providers (no key) and the app settings file
        from studio.core.llm.provider_store import ProviderSettings, save_providers

        settings = ProviderSettings()
        settings.upsert(provider)
        save_providers(settings)
        try:
            from studio.ui.settings import AppSettings, save_settings
        except ImportError:  # headless CI without PySide6: the providers file is enough
            pass
        else:
            app_settings = AppSettings()
            app_settings.add_recent(demo_copy)
            save_settings(app_settings)
        written_while_open = files_containing(tmp_path, SENTINEL_KEY)
    finally:
        project.close()
        _unlog(handler)
        keys.clear_session_keys()

    assert written_while_open == []  # including project.studio-wal before the checkpoint
    everything = [p for root in (studio_home, tmp_path) for p in root.rglob("*") if p.is_file()]
    names = {p.name for p in everything}
    assert "project.studio" in names and "providers.json" in names and "studio.log" in names
    assert any(p.suffix == ".jsonl" for p in everything)
    assert log_file.stat().st_size > 0
    hits = files_containing(studio_home, SENTINEL_KEY) + files_containing(tmp_path, SENTINEL_KEY)
    assert hits == [], f"the key leaked into {hits}"
    # the distinctive middle of the key must not appear either (e.g. a partial redaction)
    hits = files_containing(studio_home, "SENTINEL-0123") + files_containing(
        tmp_path, "SENTINEL-0123"
    )
    assert hits == []
