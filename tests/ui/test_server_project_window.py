"""Server projects in the app (ISSUE-14 §1, §3): File ▸ Open Server Project…, recent
servers, and another labeller's edit showing within 2 s.

A real PostgreSQL server (the ``pg_server`` fixture, its password in PGPASSWORD), the
demo project copied there, the real main window offscreen; the other labeller is the
real ``studio`` command line in another process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers.backends import on_backend, other_connection
from PySide6.QtCore import QItemSelectionModel

from studio.core.db import server
from studio.core.db.server import KEYRING_SERVICE
from studio.ui.context import AppContext
from studio.ui.main_window import APP_TITLE, MainWindow
from studio.ui.server_dialog import ServerProjectDialog
from studio.ui.settings import load_settings, settings_path

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def forget_typed_passwords() -> Iterator[None]:
    """A password typed in one test's dialog must not serve the next test."""
    yield
    server.SESSION_PASSWORDS.clear()


@pytest.fixture
def location(request: pytest.FixtureRequest, project_file: Path) -> str:
    """The demo project copied into a fresh database on the test server."""
    where = on_backend(request, project_file, "postgresql")
    assert isinstance(where, str)
    return where


def _dialog(qtbot, window: MainWindow) -> ServerProjectDialog:
    window.open_server_action.trigger()
    dialog = window.server_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def _fill(dialog: ServerProjectDialog, pg_server, database: str, port: int | None = None) -> None:
    dialog.host.setText(pg_server.host)
    dialog.port.setValue(port if port is not None else pg_server.port)
    dialog.database.setText(database)
    dialog.user.setText(pg_server.user)
    dialog.sslmode.setCurrentText("disable")


def _test(qtbot, dialog: ServerProjectDialog) -> tuple[str, str]:
    with qtbot.waitSignal(dialog.checked, timeout=15000) as blocker:
        dialog.test_button.click()
    return blocker.args[0], blocker.args[1]


def _example_count(location: str) -> int:
    with other_connection(location) as conn:
        return int(conn.execute("SELECT count(*) FROM example").fetchone()[0])


def test_the_dialog_tests_and_opens_a_server_project(
    qtbot, main_window: MainWindow, pg_server, location: str, wait_idle, working_keyring
) -> None:
    database = location.rsplit("/", 1)[1]
    dialog = _dialog(qtbot, main_window)
    _fill(dialog, pg_server, database)
    # the right password, typed and remembered
    dialog.password.setText(pg_server.password)
    dialog.remember.setChecked(True)
    expected = f"postgresql://{pg_server.user}@{pg_server.host}:{pg_server.port}/{database}"
    assert dialog.location() == expected + "?sslmode=disable"
    assert pg_server.password not in dialog.location_label.text()
    kind, message = _test(qtbot, dialog)
    assert kind == "ok", message
    assert "is a studio project" in message
    started = time.monotonic()
    with qtbot.waitSignal(main_window.project_opened, timeout=30000):
        dialog.open_button.click()
    print(f"server project opened in {time.monotonic() - started:.3f} s")
    project = main_window.context.project
    assert project is not None and project.is_server
    assert main_window.windowTitle() == (
        f"{database} @ {pg_server.host}:{pg_server.port} — {APP_TITLE}"
    )
    assert main_window.save_copy_action.text() == "&Copy to a File…"
    # the Datasets view shows the server's rows (counted with a connection of our own)
    main_window.navigate("datasets")
    view = main_window.view("datasets")
    total = _example_count(location)
    assert total > 0
    qtbot.waitUntil(lambda: view.model.rowCount() == total, timeout=15000)
    wait_idle(main_window.context)
    # remembered in the keyring under the service the core reads, never in the settings
    assert (
        working_keyring.get_password(
            KEYRING_SERVICE, f"{pg_server.user}@{pg_server.host}:{pg_server.port}"
        )
        == pg_server.password
    )
    on_disk = settings_path().read_text(encoding="utf-8")
    assert pg_server.password not in on_disk
    assert load_settings().recent_files[0] == expected + "?sslmode=disable"


def test_wrong_password_and_wrong_port_are_told_plainly(
    qtbot, main_window: MainWindow, pg_server, location: str, wait_idle, caplog
) -> None:
    database = location.rsplit("/", 1)[1]
    dialog = _dialog(qtbot, main_window)
    _fill(dialog, pg_server, database)
    dialog.password.setText("not-the-password")
    kind, message = _test(qtbot, dialog)
    assert kind == "auth"
    assert "refused the password" in message and "not-the-password" not in message
    assert dialog.result_label.text() == message
    # port 1: nothing listens there
    dialog.password.clear()
    dialog.port.setValue(1)
    kind, message = _test(qtbot, dialog)
    assert kind == "unreachable"
    assert message.startswith(f"Cannot reach the PostgreSQL server at {pg_server.host}:1 ")
    # no such database, and a database that is not a studio project
    dialog.port.setValue(pg_server.port)
    dialog.database.setText("no_such_db_here")
    kind, message = _test(qtbot, dialog)
    assert kind == "no_database" and "'no_such_db_here' does not exist" in message
    dialog.database.setText("postgres")
    kind, _message = _test(qtbot, dialog)
    assert kind == "empty"
    # Opening with the wrong password: a sentence in the error dialog, no project
    dialog.database.setText(database)
    dialog.password.setText("not-the-password")
    with qtbot.waitSignal(main_window.open_failed, timeout=15000) as failed:
        dialog.open_button.click()
    assert "refused the password" in failed.args[0]
    assert main_window.context.project is None
    shown = main_window.last_error_dialog
    assert shown is not None
    assert "refused the password" in shown.message_label.text()
    assert "Traceback" not in shown.message_label.text()
    assert "Traceback" not in shown.details.toPlainText()
    assert "not-the-password" not in shown.details.toPlainText()
    assert "Traceback" not in caplog.text
    wait_idle(main_window.context)
    shown.close()


def test_recent_servers_are_listed_without_a_password(
    qtbot, main_window: MainWindow, pg_server, location: str, project_file: Path, wait_idle
) -> None:
    database = location.rsplit("/", 1)[1]
    with qtbot.waitSignal(main_window.project_opened, timeout=30000):
        main_window.open_path(project_file)
    with qtbot.waitSignal(main_window.project_opened, timeout=30000):
        main_window.open_location(location)
    wait_idle(main_window.context)
    assert main_window.settings.recent_files[:2] == [location, str(project_file.resolve())]
    main_window._fill_recent_menu()
    texts = [a.text() for a in main_window.recent_menu.actions()]
    assert texts[0] == f"&1  {database} @ {pg_server.host}:{pg_server.port}"
    assert texts[1] == f"&2  {project_file.name}"
    assert main_window.recent_menu.actions()[0].toolTip() == location
    main_window.close_project()
    items = [
        main_window.welcome.recent.item(i).text() for i in range(main_window.welcome.recent.count())
    ]
    assert items[0] == f"{database} @ {pg_server.host}:{pg_server.port}    —    {location}"
    assert items[1].startswith(project_file.stem)
    assert all(pg_server.password not in t for t in (*texts, *items))
    # reopening from the welcome page's list
    with qtbot.waitSignal(main_window.project_opened, timeout=30000):
        main_window.welcome.recent_requested.emit(location)
    assert main_window.context.project.location == location
    wait_idle(main_window.context)


def _label_with_cli(location: str, dataset: str, example_id: int, label: str) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "studio",
            "dataset",
            "label",
            "--project",
            location,
            "--ids",
            str(example_id),
            "--label",
            label,
            dataset,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), "STUDIO_USER": "second-labeller"},
    )
    assert done.returncode == 0, done.stderr


def test_another_labellers_edit_shows_within_2_s_keeping_the_selection(
    qtbot,
    main_window: MainWindow,
    location: str,
    wait_idle: Callable[[AppContext], None],
) -> None:
    with qtbot.waitSignal(main_window.project_opened, timeout=30000):
        main_window.open_location(location)
    main_window.navigate("datasets")
    view = main_window.view("datasets")
    qtbot.waitUntil(lambda: view.model.rowCount() > 20, timeout=15000)
    wait_idle(main_window.context)
    view.select_row(10)
    sm = view.table.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for r in (12, 14):
        sm.select(view.model.index(r, 0), flags)
    wait_idle(main_window.context)
    selected = view.selected_ids()
    current = view.current_id()
    target = view.model.id_at(12)
    assert target is not None
    qtbot.waitUntil(lambda: view.model.row_data(12) is not None)
    before = view.model.row_data(12)
    assert before is not None
    with other_connection(location) as conn:
        labels = [r[0] for r in conn.execute("SELECT DISTINCT label FROM example").fetchall()]
    new_label = next(lb for lb in sorted(x for x in labels if x) if lb != before.label)
    rows_before = view.model.rowCount()
    _label_with_cli(location, view.dataset.name, target, new_label)
    start = time.monotonic()
    qtbot.waitUntil(
        lambda: (
            (row := view.model.row_data(view.model.row_of(target))) is not None
            and row.label == new_label
        ),
        timeout=4000,
    )
    shown_after = time.monotonic() - start
    print(f"another labeller's edit shown after {shown_after:.3f} s")
    assert shown_after <= 2.0, f"another labeller's edit took {shown_after:.2f} s to show"
    wait_idle(main_window.context)
    assert view.model.rowCount() == rows_before  # refreshed in place, not reloaded
    assert view.selected_ids() == selected
    assert view.current_id() == current
    with other_connection(location) as conn:
        stored = conn.execute(f"SELECT label, updated_by FROM example WHERE id = {target}")
        assert stored.fetchone() == (new_label, "second-labeller")


def test_copy_to_a_file_writes_the_server_project_into_a_file(
    qtbot, main_window: MainWindow, location: str, tmp_path: Path, monkeypatch, wait_idle
) -> None:
    from PySide6.QtWidgets import QFileDialog

    with qtbot.waitSignal(main_window.project_opened, timeout=30000):
        main_window.open_location(location)
    target = tmp_path / "from-server.studio"
    target.write_bytes(b"an old file the user agreed to replace")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    messages: list[str] = []
    main_window.context.status_requested.connect(lambda m, _t: messages.append(m))
    main_window.save_copy_action.trigger()
    qtbot.waitUntil(lambda: any(m.startswith("Copied ") for m in messages), timeout=60000)
    wait_idle(main_window.context)
    assert main_window.last_error_dialog is None
    counts = {}
    for where in (location, str(target)):
        with other_connection(where) as conn:
            counts[where] = [
                int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
                for t in ("example", "operation", "dataset", "eval_result")
            ]
    assert counts[str(target)] == counts[location]
    assert counts[location][0] > 0
    assert not list(tmp_path.glob(".*copying*"))  # the temporary copy was moved into place


def test_a_read_only_login_opens_read_only_with_the_banner(
    qtbot, main_window: MainWindow, pg_server, location: str, wait_idle
) -> None:
    from studio.__main__ import _is_command_word
    from studio.app import parse_gui_args

    database = location.rsplit("/", 1)[1]
    reader, password = f"reader_{database}", "reader-pass-1"
    with pg_server.admin_connect(database) as conn:
        conn.execute(f"CREATE ROLE {reader} LOGIN PASSWORD '{password}'")
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {reader}")
    read_only = location.replace(f"{pg_server.user}@", f"{reader}@")
    # `studio postgresql://…` opens the app on it (not taken for a command)
    assert not _is_command_word(read_only)
    assert parse_gui_args([read_only]).file == read_only
    try:
        with qtbot.waitSignal(main_window.project_opened, timeout=30000):
            main_window.open_location(read_only, password=password)
        wait_idle(main_window.context)
        assert main_window.context.project.read_only
        banner = main_window.read_only_banner
        assert banner.isVisibleTo(main_window)
        assert banner.text().startswith(f"Read-only: this login may not write to {read_only}")
        assert main_window.windowTitle().endswith(f"(read-only) — {APP_TITLE}")
    finally:
        main_window.close_project()
        wait_idle(main_window.context)
        with pg_server.admin_connect(database) as conn:
            conn.execute(f"DROP OWNED BY {reader}")
            conn.execute(f"DROP ROLE {reader}")


def test_new_server_project_creates_the_database_and_opens_it(
    qtbot, main_window: MainWindow, pg_server, wait_idle
) -> None:
    from helpers.pg_server import drop_pg_database

    database = f"created_by_app_{os.getpid()}"
    main_window.new_server_action.trigger()
    dialog = main_window.server_dialog
    assert dialog is not None and dialog.creating
    assert dialog.open_button.text() == "Create"
    assert dialog.database.text() == ""  # never offers to create over a recent project
    _fill(dialog, pg_server, database)
    location = dialog.location()
    assert location is not None
    try:
        with qtbot.waitSignal(main_window.project_opened, timeout=60000):
            dialog.open_button.click()
        project = main_window.context.project
        assert project.is_server and project.location == location
        with other_connection(location) as conn:
            assert conn.execute("SELECT count(*) FROM dataset").fetchone()[0] == 0
            assert (
                conn.execute("SELECT value FROM project_meta WHERE key = 'app_id'").fetchone()[0]
                == "prompt-dataset-studio"
            )
        main_window.close_project()
        wait_idle(main_window.context)
        # a second Create on the same database is refused with a sentence
        main_window.new_server_action.trigger()
        again = main_window.server_dialog
        _fill(again, pg_server, database)
        with qtbot.waitSignal(main_window.open_failed, timeout=30000) as failed:
            again.open_button.click()
        assert "already holds a studio project" in failed.args[0]
        main_window.last_error_dialog.close()
    finally:
        main_window.close_project()
        wait_idle(main_window.context)
        drop_pg_database(pg_server, location.split("?", 1)[0])


def test_remember_without_a_keyring_still_opens_and_says_so(
    qtbot, main_window: MainWindow, pg_server, location: str, wait_idle
) -> None:
    # the test-wide keyring is the failing backend (as on a headless machine)
    with qtbot.waitSignal(main_window.project_opened, timeout=30000):
        main_window.open_location(location)
    main_window.close_project()
    wait_idle(main_window.context)
    # the welcome page's button opens the dialog on the most recent server
    from PySide6.QtWidgets import QPushButton

    button = next(
        b
        for b in main_window.welcome.findChildren(QPushButton)
        if b.text() == "Open Server Project…"
    )
    button.click()
    dialog = main_window.server_dialog
    assert dialog is not None and dialog.location() == location
    dialog.password.setText(pg_server.password)
    dialog.remember.setChecked(True)
    with qtbot.waitSignal(main_window.project_opened, timeout=30000):
        dialog.open_button.click()
    wait_idle(main_window.context)
    shown = main_window.last_error_dialog
    assert shown is not None
    text = shown.message_label.text()
    assert "could not be stored in the keyring" in text
    assert pg_server.password not in text
    shown.close()
    assert main_window.context.project.location == location
