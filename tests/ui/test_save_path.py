"""The app's save paths: never the project or an input; ask before replacing (ISSUE-10 §6)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from studio.ui.context import AppContext
from studio.ui.prompts.view import PromptsView
from studio.ui.widgets.save_path import confirm_output


@pytest.fixture
def parent(qtbot) -> QWidget:  # type: ignore[no-untyped-def]
    w = QWidget()
    qtbot.addWidget(w)
    return w


def _record_errors(context: AppContext, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    errors: list[str] = []
    monkeypatch.setattr(context, "show_error", lambda exc, details="": errors.append(str(exc)))
    return errors


def _answer(monkeypatch: pytest.MonkeyPatch, button: QMessageBox.StandardButton) -> list[str]:
    asked: list[str] = []

    def question(_parent, _title, text, *_a, **_k):  # type: ignore[no-untyped-def]
        asked.append(text)
        return button

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


def test_the_project_file_is_refused_without_asking(
    parent: QWidget, open_context: AppContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    errors = _record_errors(open_context, monkeypatch)
    asked = _answer(monkeypatch, QMessageBox.StandardButton.Yes)
    assert open_context.project is not None
    project = open_context.project.path
    assert not confirm_output(parent, open_context, project, dialog_confirmed=True)
    assert asked == [] and "is the project file" in errors[0]


def test_an_input_is_refused(
    parent: QWidget, open_context: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    errors = _record_errors(open_context, monkeypatch)
    src = tmp_path / "data.jsonl"
    src.write_text("{}\n")
    assert not confirm_output(parent, open_context, src, inputs=[src], dialog_confirmed=True)
    assert "is an input" in errors[0]


@pytest.mark.parametrize(
    ("button", "expected"),
    [(QMessageBox.StandardButton.Yes, True), (QMessageBox.StandardButton.Cancel, False)],
)
def test_an_existing_file_the_dialog_did_not_confirm_is_asked_about(
    parent: QWidget,
    open_context: AppContext,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    button: QMessageBox.StandardButton,
    expected: bool,
) -> None:
    asked = _answer(monkeypatch, button)
    existing = tmp_path / "report.html"
    existing.write_text("old")
    assert confirm_output(parent, open_context, existing) is expected
    assert len(asked) == 1 and "report.html already exists" in asked[0]
    # the save dialog asked already: no second question
    assert confirm_output(parent, open_context, existing, dialog_confirmed=True)
    assert len(asked) == 1


def test_a_folder_with_files_is_asked_about(
    parent: QWidget, open_context: AppContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = _answer(monkeypatch, QMessageBox.StandardButton.Cancel)
    out = tmp_path / "out"
    out.mkdir()
    assert confirm_output(parent, open_context, out, folder=True, writes=["train.jsonl"])
    (out / "notes.txt").write_text("x")
    assert not confirm_output(parent, open_context, out, folder=True, writes=["train.jsonl"])
    assert "already holds files" in asked[0] and "train.jsonl" in asked[0]


def test_prompt_export_asks_before_replacing_a_file_named_by_an_added_suffix(
    qtbot,
    wait_idle,
    open_context: AppContext,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    view = PromptsView(open_context)
    qtbot.addWidget(view)
    wait_idle(open_context)
    existing = tmp_path / "mine.json"
    existing.write_text("keep me")
    # the dialog returns "mine"; the view adds ".json", which the dialog never asked about
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "mine"), "")
    )
    asked = _answer(monkeypatch, QMessageBox.StandardButton.Cancel)
    qtbot.waitUntil(lambda: bool(view.current))
    view.export_version_dialog(1)
    wait_idle(open_context)
    assert len(asked) == 1 and existing.read_text() == "keep me"
    asked = _answer(monkeypatch, QMessageBox.StandardButton.Yes)
    view.export_version_dialog(1)
    wait_idle(open_context)
    assert len(asked) == 1
    qtbot.waitUntil(lambda: existing.read_text() != "keep me")
    assert '"messages"' in existing.read_text()


def test_file_new_asks_before_replacing_a_file_named_by_the_added_suffix(
    qtbot,
    main_window,
    tmp_path: Path,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    existing = tmp_path / "team.studio"
    existing.write_bytes(b"someone's project")
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "team"), "")
    )
    asked = _answer(monkeypatch, QMessageBox.StandardButton.Cancel)
    main_window.new_action.trigger()
    assert len(asked) == 1 and "team.studio already exists" in asked[0]
    assert existing.read_bytes() == b"someone's project"
    assert main_window.context.project is None
