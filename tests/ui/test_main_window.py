"""The main window: opening files (good and bad), File menu actions, views, layout memory."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QLabel

from studio.ui.context import AppContext
from studio.ui.main_window import MainWindow, register_view, registered_views
from studio.ui.prompts.commands import MoveLabelCommand
from studio.ui.settings import AppSettings, load_settings, window_state_store
from studio.ui.widgets.error_dialog import ErrorDialog


@pytest.fixture
def window(main_window: MainWindow) -> MainWindow:
    """The conftest's main window under a shorter name."""
    return main_window


def _open(qtbot, window: MainWindow, path: Path) -> None:
    with qtbot.waitSignal(window.project_opened, timeout=15000):
        window.open_path(path)


def _error_text(qtbot, window: MainWindow) -> str:
    qtbot.waitUntil(lambda: window.last_error_dialog is not None, timeout=15000)
    dialog = window.last_error_dialog
    assert isinstance(dialog, ErrorDialog) and dialog.isVisible()
    text = dialog.message_label.text()
    dialog.close()
    return text


def test_no_project_shows_the_welcome_page(window: MainWindow) -> None:
    assert window.pages.currentWidget() is window.welcome
    assert window.windowTitle() == "Prompt & Dataset Studio"
    assert not window.save_copy_action.isEnabled() and not window.close_action.isEnabled()


def test_open_a_project_shows_its_prompts(
    qtbot, window: MainWindow, project_file: Path, wait_idle
) -> None:
    _open(qtbot, window, project_file)
    assert window.windowTitle().startswith("team — ")
    assert window.pages.currentWidget() is window.workspace
    assert window.current_view_name() == "prompts"
    view = window.view("prompts")
    qtbot.waitUntil(lambda: len(view.list_panel.model.rows) == 5)
    assert window.settings.recent_files[0] == str(project_file.resolve())
    # saved to disk (on the database thread, never by the GUI thread)
    qtbot.waitUntil(lambda: bool(load_settings().recent_files), timeout=10000)
    assert load_settings().recent_files[0] == str(project_file.resolve())
    wait_idle(window.context)


def test_quick_look_shows_the_list_before_the_project_is_open(
    qtbot, window: MainWindow, project_file: Path
) -> None:
    view = window.view("prompts")
    with (
        qtbot.waitSignal(view.list_shown) as first,
        qtbot.waitSignal(window.project_opened, timeout=15000),
    ):
        window.open_path(project_file)
        # the quick look ran synchronously: the list is on screen before the real open
        assert window.context.project is None
        assert [r.name for r in view.list_panel.model.rows][:1] == ["banking-intent"]
    assert first.args == [5]


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda p: p.write_bytes(b"this is not a database at all" * 10), "not a studio project"),
        (lambda p: p.write_bytes(b""), "is empty"),
        (
            lambda p: sqlite3.connect(p).execute("CREATE TABLE t (x)").connection.commit(),
            "not a studio project",
        ),
    ],
    ids=["garbage", "empty", "foreign-sqlite"],
)
def test_opening_a_bad_file_shows_a_sentence_not_a_traceback(
    qtbot, window: MainWindow, tmp_path: Path, make, expected: str
) -> None:
    bad = tmp_path / "bad.studio"
    make(bad)
    with qtbot.waitSignal(window.open_failed, timeout=15000):
        window.open_path(bad)
    text = _error_text(qtbot, window)
    assert expected in text and str(bad) in text
    assert "Traceback" not in text
    assert window.context.project is None
    assert window.pages.currentWidget() is window.welcome


def test_opening_a_corrupt_project_shows_a_message(
    qtbot, window: MainWindow, project_file: Path
) -> None:
    data = bytearray(project_file.read_bytes())
    # keep the header (so it is "an SQLite file") but wreck the pages after it
    for i in range(4096, len(data), 7):
        data[i] = 0xA5
    project_file.write_bytes(bytes(data))
    with qtbot.waitSignal(window.open_failed, timeout=15000):
        window.open_path(project_file)
    text = _error_text(qtbot, window)
    assert str(project_file) in text and "Traceback" not in text
    assert window.context.project is None


def test_a_read_only_project_opens_read_only_with_a_banner(
    qtbot, window: MainWindow, project_file: Path, wait_idle
) -> None:
    # ISSUE-11 §6: chmod 444 (honoured even by root: the write bits say "do not change")
    project_file.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    before = project_file.read_bytes()
    _open(qtbot, window, project_file)
    project = window.context.project
    assert project is not None and project.read_only
    assert window.read_only_banner.isVisible()
    assert "Read-only" in window.read_only_banner.text()
    assert "read-only" in window.windowTitle()
    # Reading works: the datasets view lists the demo dataset with its rows
    window.navigate("datasets")
    datasets = window.view("datasets")
    qtbot.waitUntil(lambda: datasets.model.rowCount() > 0, timeout=15000)
    wait_idle(window.context)
    # A change is refused with a sentence, nothing written
    datasets.select_row(0)
    wait_idle(window.context)
    datasets.apply_to_current("status", "rejected")
    wait_idle(window.context)
    assert "read-only" in _error_text(qtbot, window)
    assert project_file.read_bytes() == before
    window.close_project()
    assert not window.read_only_banner.isVisible()


def test_file_new_creates_and_opens_an_empty_project(
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch
) -> None:
    target = tmp_path / "fresh"  # the suffix is added
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    with qtbot.waitSignal(window.project_opened, timeout=15000):
        window.new_action.trigger()
    created = tmp_path / "fresh.studio"
    assert created.exists()
    assert window.context.project is not None and window.context.project.path == created
    view = window.view("prompts")
    qtbot.waitUntil(lambda: view.list_panel.stack.currentWidget() is view.list_panel.empty)
    assert "No prompts yet" in view.list_panel.empty.text()


def test_file_open_and_save_a_copy(
    qtbot, window: MainWindow, project_file: Path, tmp_path: Path, monkeypatch, wait_idle
) -> None:
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(project_file), ""))
    with qtbot.waitSignal(window.project_opened, timeout=15000):
        window.open_action.trigger()
    copy = tmp_path / "backup.studio"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(copy), ""))
    with qtbot.waitSignal(
        window.context.status_requested,
        timeout=15000,
        check_params_cb=lambda m, _t: m.startswith("Saved a copy"),
    ):
        window.save_copy_action.trigger()
    wait_idle(window.context)
    assert copy.exists()
    from studio.core.db.project import open_project
    from studio.core.prompts.service import list_prompts

    with open_project(copy) as copied:
        assert [p.name for p in list_prompts(copied)] == [
            "banking-intent",
            "fee-answer",
            "intent-judge",
            "support-reply",
            "ticket-extract",
        ]


def test_open_recent_removes_a_missing_file_with_a_message(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:
    gone = tmp_path / "gone.studio"
    window.settings.add_recent(gone)
    window._fill_recent_menu()
    actions = [a for a in window.recent_menu.actions() if a.text().endswith("gone.studio")]
    assert actions
    actions[0].trigger()
    text = _error_text(qtbot, window)
    assert "no longer exists" in text and "Open Recent" in text
    assert str(gone.resolve()) not in window.settings.recent_files
    assert str(gone.resolve()) not in load_settings().recent_files


def test_close_project_returns_to_the_welcome_page(
    qtbot, window: MainWindow, project_file: Path, wait_idle
) -> None:
    _open(qtbot, window, project_file)
    wait_idle(window.context)
    window.close_action.trigger()
    assert window.context.project is None
    assert window.pages.currentWidget() is window.welcome
    assert window.welcome.recent.count() == 1


def test_views_register_in_one_line_and_navigate(
    qtbot, window: MainWindow, project_file: Path, wait_idle
) -> None:
    names = [s.name for s in registered_views()]
    assert names[0] == "prompts"
    # a view added by another area appears in a new window's navigation
    register_view("scratch", "Scratch", "datasets", lambda ctx: QLabel("scratch view"))
    try:
        win = MainWindow(window.context, settings=AppSettings())
        qtbot.addWidget(win)
        titles = [win.nav.item(i).text() for i in range(win.nav.count())]
        assert "Scratch" in titles
        win.navigate("scratch")
        assert win.view_stack.currentWidget().text() == "scratch view"
        win.navigate("nope")  # unknown: a status message, no crash
    finally:
        from studio.ui import main_window

        main_window._VIEWS.pop("scratch")
    _open(qtbot, window, project_file)
    wait_idle(window.context)


def test_window_layout_is_remembered(
    qtbot, context: AppContext, project_file: Path, wait_idle
) -> None:
    win = MainWindow(context, settings=AppSettings())
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.project_opened, timeout=15000):
        win.open_path(project_file)
    wait_idle(context)
    view = win.view("prompts")
    view.splitter.setSizes([400, 800])
    left = view.splitter.sizes()[0]
    win.close()
    store = window_state_store()
    assert Path(store.fileName()).is_relative_to(Path(os.environ["STUDIO_HOME"]))
    assert store.value("main/geometry") is not None
    assert store.value("prompts/splitter") is not None
    assert isinstance(store, QSettings)

    ctx2 = AppContext()
    win2 = MainWindow(ctx2, settings=AppSettings())
    qtbot.addWidget(win2)
    win2.show()
    # the prompts view is built on first use and restores its splitter then
    assert abs(win2.view("prompts").splitter.sizes()[0] - left) <= 30
    win2.close()
    ctx2.deleteLater()


def test_opening_a_locked_project_says_another_program_holds_it(
    qtbot, window: MainWindow, project_file: Path
) -> None:
    holder = sqlite3.connect(project_file, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another program in the middle of a write
    try:
        with qtbot.waitSignal(window.open_failed, timeout=20000):
            window.open_path(project_file)
        text = _error_text(qtbot, window)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert "another program" in text and str(project_file) in text
    assert window.context.project is None


def test_ctrl_z_in_a_text_editor_undoes_typing_not_the_last_label_move(
    qtbot, window: MainWindow, project_file: Path, wait_idle
) -> None:
    from PySide6.QtGui import QKeySequence, QTextCursor
    from PySide6.QtTest import QTest

    _open(qtbot, window, project_file)
    view = window.view("prompts")
    qtbot.waitUntil(lambda: view.editor is not None and view.editor.base is not None)
    wait_idle(window.context)
    # a label move on the app's undo stack
    name = view.current
    view.context.undo_stack.push(MoveLabelCommand(view, name, "qa", 1, None))
    wait_idle(window.context)
    assert window.undo_action.isEnabled() and "qa" in window.undo_action.text()
    assert window.undo_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Undo)
    card = view.editor.messages.cards[0]
    before = card.text.toPlainText()
    window.activateWindow()
    card.text.setFocus()
    card.text.moveCursor(QTextCursor.MoveOperation.End)
    QTest.keyClicks(card.text, " More.")
    QTest.keySequence(card.text, QKeySequence.StandardKey.Undo)
    assert card.text.toPlainText() == before
    assert view.context.undo_stack.canUndo()  # the label move was not undone
    # Edit ▸ Undo undoes the label move
    window.undo_action.trigger()
    wait_idle(window.context)
    qtbot.waitUntil(lambda: "qa" not in view.labels)


def test_quitting_with_unsaved_prompt_edits_asks_first(
    qtbot, window: MainWindow, project_file: Path, wait_idle, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    _open(qtbot, window, project_file)
    view = window.view("prompts")
    qtbot.waitUntil(lambda: view.editor is not None and view.editor.base is not None)
    wait_idle(window.context)
    view.editor.params.field("temperature").setValue(1.3)
    asked: list[str] = []

    def answer(parent, title, text, *args):
        asked.append(text)
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "question", answer)
    assert not window.close()  # cancelled: the window stays
    assert window.isVisible() and f"{view.current}: edits not saved" in asked[0]
    view.editor.discard_changes()
    assert window.unsaved_changes() == []


def test_opening_a_file_from_a_newer_studio_is_refused_with_a_sentence(
    qtbot, window: MainWindow, project_file: Path
) -> None:
    with sqlite3.connect(project_file) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    conn.close()
    with qtbot.waitSignal(window.open_failed, timeout=15000):
        window.open_path(project_file)
    text = _error_text(qtbot, window)
    assert "newer version of Studio" in text and str(project_file) in text
    assert window.context.project is None


def test_about_names_the_version_and_the_banking77_licence(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from studio import __version__

    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "about", lambda parent, title, text: shown.append(text))
    window.show_about()
    assert __version__ in shown[0] and "BANKING77" in shown[0] and "CC BY 4.0" in shown[0]
    # The menu entry shows "Prompt & Dataset Studio": "&&" is a literal ampersand in Qt
    about = window.findChild(QAction, "aboutAction")
    assert about.text() == "&About Prompt && Dataset Studio"
    assert about.iconText().replace("&&", "&") == "About Prompt & Dataset Studio"


def test_menus_show_the_keyboard_shortcuts(window: MainWindow) -> None:
    from PySide6.QtGui import QKeySequence

    assert window.open_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Open)
    assert window.save_copy_action.shortcut() == QKeySequence("Ctrl+Shift+S")
    assert QKeySequence("Ctrl+Shift+Z") in window.redo_action.shortcuts()
    assert "Ctrl+O" in window.open_action.toolTip()
