"""App settings file, the window-state store, the error dialog and the exception hooks."""

from __future__ import annotations

import json
import os
import sys
import threading
from pathlib import Path

from studio.ui import errors
from studio.ui.settings import (
    AppSettings,
    load_settings,
    save_settings,
    settings_path,
    window_state_store,
)
from studio.ui.widgets.error_dialog import ErrorDialog


def test_settings_round_trip_and_recent_files(tmp_path: Path) -> None:
    s = AppSettings()
    for i in range(14):
        s.add_recent(tmp_path / f"p{i}.studio")
    s.add_recent(tmp_path / "p3.studio")  # moves to the top, no duplicate
    assert len(s.recent_files) == 10 and s.recent_files[0].endswith("p3.studio")
    save_settings(s)
    assert settings_path().is_relative_to(Path(os.environ["STUDIO_HOME"]))
    loaded = load_settings()
    assert loaded.recent_files == s.recent_files and loaded.version == 1
    loaded.remove_recent(tmp_path / "p3.studio")
    assert all(not r.endswith("p3.studio") for r in loaded.recent_files)


def test_damaged_or_newer_settings_fall_back_safely() -> None:
    path = settings_path()
    path.write_text("{not json", encoding="utf-8")
    assert load_settings() == AppSettings()
    path.write_text(
        json.dumps({"version": 99, "recent_files": ["/x.studio", 5], "max_recent": 3}),
        encoding="utf-8",
    )
    newer = load_settings()
    assert newer.recent_files == ["/x.studio"] and newer.max_recent == 3
    path.write_text("[]", encoding="utf-8")
    assert load_settings() == AppSettings()


def test_settings_from_a_newer_studio_are_not_overwritten() -> None:
    path = settings_path()
    newer = json.dumps({"version": 99, "recent_files": [], "future_field": 1})
    path.write_text(newer, encoding="utf-8")
    s = load_settings()
    s.add_recent("/y.studio")
    save_settings(s)
    assert path.read_text(encoding="utf-8") == newer


def test_window_state_lives_under_studio_home(qapp) -> None:
    store = window_state_store()
    assert Path(store.fileName()).is_relative_to(Path(os.environ["STUDIO_HOME"]))


def test_redact_hides_api_keys() -> None:
    text = "key sk-proj-abcdefghijklmnop and header Authorization: Bearer abcdefghijkl123"
    out = errors.redact(text)
    assert "abcdefghijklmnop" not in out and "abcdefghijkl123" not in out
    assert "sk-…[redacted]" in out


def test_error_dialog_shows_a_sentence_and_hides_details(qtbot) -> None:
    dialog = ErrorDialog(
        "Could not open x.studio: it is damaged.", "Traceback ... sk-secret123456789"
    )
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.message_label.text() == "Could not open x.studio: it is damaged."
    assert dialog.details.isHidden()
    assert "sk-secret" not in dialog.details.toPlainText()
    dialog.details_button.click()
    assert not dialog.details.isHidden() and dialog.details_button.text() == "Hide Details"


def test_excepthooks_route_gui_and_thread_errors_to_the_dialog(qtbot) -> None:
    shown: list[tuple[str, str]] = []
    errors.install_excepthooks(lambda m, d: shown.append((m, d)))
    try:
        try:
            raise RuntimeError("boom sk-abcdefghijklmn")
        except RuntimeError:
            sys.excepthook(*sys.exc_info())
        qtbot.waitUntil(lambda: len(shown) == 1)
        assert shown[0][0] == errors.BUG_SENTENCE
        assert "RuntimeError" in shown[0][1] and "abcdefghijklmn" not in shown[0][1]

        def fail() -> None:
            from studio.core.errors import UserError

            raise UserError("The disk is full.")

        t = threading.Thread(target=fail)
        t.start()
        t.join()
        qtbot.waitUntil(lambda: len(shown) == 2)
        assert shown[1] == ("The disk is full.", "")
    finally:
        errors.uninstall_excepthooks()


def test_log_file_is_under_the_log_dir() -> None:
    path = errors.setup_logging()
    assert path.parent == Path(os.environ["STUDIO_HOME"]) / "log"
