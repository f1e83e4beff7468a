"""Bad inputs in every view: each gets a sentence naming the thing, never a traceback.

A last pass over the views as a user would meet them: a broken prompt file, an invalid
response schema, unbalanced template braces, a binary or 50 MB-single-line example file,
a JSONL validate of a binary file, a file deleted between opening and validating, an
export without approved examples, an A/B against a dead server or with a wrong key, a
decision on a project without runs. Real project files, real widgets, offscreen.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.import_preview import preview
from helpers.loopback_server import LoopbackServer, dead_base_url
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from studio.core.db.project import open_project
from studio.core.llm import keys
from studio.core.llm.providers import ProviderConfig
from studio.core.prompts.service import log as prompt_log
from studio.ui.context import AppContext

DEMO_DATASET = "Banking intents (demo)"
TRACEBACK_MARKERS = ("Traceback", 'File "', "Error:", "Exception")


def _is_sentence(message: str) -> bool:
    """A message a user can read: starts with a capital or a file name, ends like a sentence,
    and holds nothing that looks like a traceback or an exception class."""
    text = message.strip()
    return (
        bool(text)
        and text[-1] in ".)?!"
        and not any(marker in text for marker in TRACEBACK_MARKERS)
    )


@pytest.fixture
def errors(context: AppContext) -> list[str]:
    """Every sentence the views send to the error dialog."""
    seen: list[str] = []
    context.error_requested.connect(lambda message, _details: seen.append(message))
    return seen


# -- Prompts -------------------------------------------------------------------------------


@pytest.fixture
def prompts_view(qtbot: QtBot, wait_idle: Callable[..., None], open_context: AppContext):  # type: ignore[no-untyped-def]
    from studio.ui.prompts.view import PromptsView

    view = PromptsView(open_context)
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    wait_idle(open_context)
    view.list_panel.select("support-reply")
    qtbot.waitUntil(lambda: view.current == "support-reply" and view.editor.base is not None)
    wait_idle(open_context)
    return view


def test_unbalanced_braces_block_save_version_with_a_sentence(
    qtbot: QtBot,
    wait_idle: Callable[..., None],
    prompts_view,
    errors: list[str],  # type: ignore[no-untyped-def]
) -> None:
    editor = prompts_view.editor
    card = editor.messages.cards[-1]
    card.text.setPlainText(card.text.toPlainText() + " Order {{order_id")
    assert not editor.save_button.isEnabled()
    problem = editor.problem_label.text()
    assert "{{" in problem and "messages[" in problem and _is_sentence(problem)
    # Ctrl+S anyway: the status bar says why and no version is stored
    statuses: list[str] = []
    prompts_view.context.status_requested.connect(lambda text, _ms: statuses.append(text))
    before = [v.version for v in prompt_log(prompts_view.context.project, "support-reply")]
    prompts_view.save_version_dialog()
    wait_idle(prompts_view.context)
    assert prompts_view.dialog is None or not prompts_view.dialog.isVisible()
    assert statuses and "{{" in statuses[-1]
    after = [v.version for v in prompt_log(prompts_view.context.project, "support-reply")]
    assert after == before and not errors


def test_importing_a_broken_prompt_file_names_the_file_and_line(
    qtbot: QtBot,
    wait_idle: Callable[..., None],
    prompts_view,
    errors: list[str],
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    bad = tmp_path / "reply.json"
    bad.write_text('{"name": "support-reply", "messages": [\n', encoding="utf-8")
    prompts_view.import_file("support-reply", bad)
    wait_idle(prompts_view.context)
    qtbot.waitUntil(lambda: bool(errors))
    assert "reply.json" in errors[0] and "line 2" in errors[0] and _is_sentence(errors[0])

    schema = tmp_path / "schema.json"
    schema.write_text(
        '{"name": "x", "messages": [{"role": "user", "content": "Hi"}], "model": "gpt-4o",'
        ' "params": {}, "response_schema": {"type": "objekt"}, "tools": null}',
        encoding="utf-8",
    )
    prompts_view.import_file("support-reply", schema)
    wait_idle(prompts_view.context)
    qtbot.waitUntil(lambda: len(errors) == 2)
    assert "schema.json" in errors[1] and "response_schema" in errors[1]
    assert _is_sentence(errors[1])


def test_a_link_to_a_prompt_that_no_longer_exists_says_so(
    qtbot: QtBot,
    wait_idle: Callable[..., None],
    prompts_view,  # type: ignore[no-untyped-def]
) -> None:
    statuses: list[str] = []
    prompts_view.context.status_requested.connect(lambda text, _ms: statuses.append(text))
    prompts_view.navigate_to({"prompt": "renamed-long-ago"})
    wait_idle(prompts_view.context)
    qtbot.waitUntil(lambda: bool(statuses))
    assert "renamed-long-ago" in statuses[-1] and _is_sentence(statuses[-1])
    assert prompts_view.current == "support-reply"  # the open prompt stays open


# -- Datasets: the import dialog ------------------------------------------------------------


@pytest.fixture
def import_dialog(qtbot: QtBot, open_context: AppContext):  # type: ignore[no-untyped-def]
    from studio.ui.datasets.import_dialog import ImportDialog

    dialog = ImportDialog(open_context)
    qtbot.addWidget(dialog)
    return dialog


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.csv", b"", "empty"),
        ("blob.jsonl", b"\x00\x01\x02PK\x03\x04" * 100, "binary"),
        ("blank.csv", b"\n\n   \n", "blank"),
    ],
)
def test_import_dialog_refuses_unreadable_files_with_a_sentence(
    qtbot: QtBot,
    import_dialog,
    tmp_path: Path,
    name: str,
    content: bytes,
    expected: str,  # type: ignore[no-untyped-def]
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert not preview(qtbot, import_dialog, path)
    message = import_dialog.error.text()
    assert expected in message.lower() and name in message and _is_sentence(message)
    assert not import_dialog.import_button.isEnabled()


def test_a_50_mb_single_line_is_reported_not_loaded(
    qtbot: QtBot,
    import_dialog,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as fh:
        fh.write(b'{"text": "')
        fh.write(b"a" * (50 * 1024 * 1024))
        fh.write(b'", "label": "x"}\n')
    preview(qtbot, import_dialog, path)
    shown = (
        import_dialog.error.text()
        if import_dialog.error.isVisibleTo(import_dialog)
        else (import_dialog.warnings.text())
    )
    assert "line 1" in shown and "MB" in shown
    assert not import_dialog.import_button.isEnabled()


def test_csv_in_another_encoding_warns_and_bad_rows_are_listed(
    qtbot: QtBot,
    wait_idle: Callable[..., None],
    import_dialog,
    open_context: AppContext,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    path = tmp_path / "latin.csv"
    rows = (
        "text,label\nCafé au lait please,order\nthis row,has,too,many\nWhere is my crème?,order\n"
    )
    path.write_bytes(rows.encode("latin-1"))
    assert preview(qtbot, import_dialog, path)
    assert "UTF-8" in import_dialog.warnings.text()
    import_dialog.dataset_name.setCurrentText("latin")
    import_dialog.start_import(all_or_nothing=True)
    wait_idle(open_context)
    qtbot.waitUntil(lambda: import_dialog.pages.currentWidget() is import_dialog.bad_page)
    assert "Nothing has been imported" in import_dialog.bad_title.text()
    first = import_dialog.bad_list.item(0).text()
    assert first.startswith("line 3: it has 4") and first.count("line 3") == 1  # named once
    from studio.core import datasets as core

    assert "latin" not in [d.name for d in core.list_datasets(open_context.project)]
    import_dialog.reject()
    wait_idle(open_context)


def test_file_deleted_after_preview_gives_a_sentence_and_imports_nothing(
    qtbot: QtBot,
    wait_idle: Callable[..., None],
    import_dialog,
    open_context: AppContext,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    path = tmp_path / "gone.csv"
    path.write_text("text,label\nhello,greet\n", encoding="utf-8")
    assert preview(qtbot, import_dialog, path)
    path.unlink()
    import_dialog.dataset_name.setCurrentText("gone")
    import_dialog.start_import(all_or_nothing=True)
    wait_idle(open_context)
    qtbot.waitUntil(lambda: import_dialog.error.isVisibleTo(import_dialog))
    message = import_dialog.error.text()
    assert "gone.csv" in message and _is_sentence(message)
    from studio.core import datasets as core

    assert "gone" not in [d.name for d in core.list_datasets(open_context.project)]
    import_dialog.reject()


# -- Validate ---------------------------------------------------------------------------------


@pytest.fixture
def validate_view(qtbot: QtBot, context: AppContext):  # type: ignore[no-untyped-def]
    from studio.ui.validate import ValidateView

    view = ValidateView(context)
    qtbot.addWidget(view)
    view.resize(1300, 800)
    view.show()
    return view


def test_validating_a_binary_file_lists_findings_not_a_crash(
    qtbot: QtBot,
    validate_view,
    tmp_path: Path,
    errors: list[str],  # type: ignore[no-untyped-def]
) -> None:
    path = tmp_path / "photo.jsonl"
    path.write_bytes(bytes(range(256)) * 400)
    with qtbot.waitSignal(validate_view.validation_finished, timeout=30000):
        validate_view.open_file(path)
    report = validate_view.report
    assert report is not None and not report.valid
    assert "Invalid" in validate_view.summary_label.text()
    assert all(_is_sentence(f.message) for f in report.findings)
    assert not errors


def test_a_file_deleted_after_opening_is_named_when_validated_again(
    qtbot: QtBot,
    wait_idle: Callable[..., None],
    validate_view,
    context: AppContext,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    errors: list[str],
) -> None:
    path = tmp_path / "chats.jsonl"
    path.write_text(
        '{"messages": [{"role": "user", "content": "Hi"}, '
        '{"role": "assistant", "content": "Hello"}]}\n',
        encoding="utf-8",
    )
    with qtbot.waitSignal(validate_view.validation_finished, timeout=30000):
        validate_view.open_file(path)
    path.unlink()
    with qtbot.waitSignal(validate_view.validation_finished, timeout=30000):
        validate_view.validate()
    wait_idle(context)
    summary = validate_view.summary_label.text()
    assert "Not validated" in summary and "chats.jsonl" in summary
    assert "No such file" in summary and "Invalid" not in summary
    assert not validate_view.running and not errors
    # Go to on a line of the deleted file says so too, without raising
    validate_view.show_line(1)  # read off the GUI thread: the message follows
    qtbot.waitUntil(lambda: bool(errors))
    assert errors and "chats.jsonl" in errors[0] and _is_sentence(errors[0])


def test_an_invalid_schema_file_for_validation_is_named(
    qtbot: QtBot,
    validate_view,
    tmp_path: Path,
    errors: list[str],  # type: ignore[no-untyped-def]
) -> None:
    data = tmp_path / "chats.jsonl"
    data.write_text('{"messages": [{"role": "user", "content": "Hi"}]}\n', encoding="utf-8")
    schema = tmp_path / "out.schema.json"
    schema.write_text('{"type": "objekt"}', encoding="utf-8")
    validate_view.schema_edit.setText(str(schema))
    validate_view.open_file(data)
    qtbot.waitUntil(lambda: bool(errors))
    assert "out.schema.json" in errors[0] and _is_sentence(errors[0])
    assert not validate_view.running


def test_export_without_approved_examples_says_so(
    qtbot: QtBot,
    wait_idle: Callable[..., None],
    open_context: AppContext,
    errors: list[str],
    tmp_path: Path,
) -> None:
    from studio.core.datasets.importing import import_file
    from studio.ui.validate import ValidateView
    from studio.ui.validate.dataset_dialog import ExportChoice

    src = tmp_path / "drafts.csv"
    src.write_text("text,label\nhello,greet\nbye,leave\n", encoding="utf-8")
    result = import_file(open_context.project, src, "drafts", None)
    view = ValidateView(open_context)
    qtbot.addWidget(view)
    view.show()
    out = tmp_path / "out"
    view.export_to(
        ExportChoice(result.dataset_id, "drafts", "banking-intent@4", "openai-chat", out, None)
    )
    wait_idle(open_context)
    qtbot.waitUntil(lambda: bool(errors))
    assert "approved" in errors[0] and "drafts" in errors[0] and _is_sentence(errors[0])
    assert not out.exists() or not any(out.iterdir())


# -- Evaluate ---------------------------------------------------------------------------------


def _evaluate_view(qtbot: QtBot, context: AppContext):  # type: ignore[no-untyped-def]
    from studio.ui.evaluate.view import EvaluateView

    view = EvaluateView(context)
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    qtbot.waitUntil(lambda: bool(view.setup.lists.prompts), timeout=10000)
    return view


def _run_to_the_end(qtbot: QtBot, view, provider: ProviderConfig):  # type: ignore[no-untyped-def]
    view.setup.save_provider(provider)
    view.setup.set_variants([("banking-intent", 3, ""), ("banking-intent", 4, "")])
    view.setup.refresh_estimate()
    qtbot.waitUntil(lambda: view.setup.run_button.isEnabled(), timeout=20000)
    with qtbot.waitSignal(view.run_finished, timeout=60000) as blocker:
        qtbot.mouseClick(view.setup.run_button, Qt.MouseButton.LeftButton)
    return blocker.args[0]


def test_a_dead_server_fails_the_run_within_seconds_with_a_sentence(
    qtbot: QtBot, wait_idle: Callable[..., None], open_context: AppContext
) -> None:
    view = _evaluate_view(qtbot, open_context)
    url = dead_base_url()
    outcome = _run_to_the_end(
        qtbot, view, ProviderConfig("Dead local", url, "compatible", default_model="m")
    )
    assert outcome.failed_reason and "unreachable" in outcome.failed_reason
    assert url in outcome.failed_reason and _is_sentence(outcome.failed_reason)
    assert outcome.failed_reason in view.progress.title.text() + view.progress.status.text()
    wait_idle(open_context)


def test_a_wrong_key_stops_the_run_early_and_says_the_key_was_rejected(
    qtbot: QtBot, wait_idle: Callable[..., None], open_context: AppContext
) -> None:
    view = _evaluate_view(qtbot, open_context)
    with LoopbackServer(require_key="sk-the-right-key-0000000000000000") as server:
        provider = ProviderConfig("Keyed", server.base_url, "compatible", default_model="m")
        keys.set_key(provider, "sk-a-wrong-key-00000000000000000000")
        outcome = _run_to_the_end(qtbot, view, provider)
        requests = server.chat_requests
    assert outcome.failed_reason and "rejected the API key" in outcome.failed_reason
    assert _is_sentence(outcome.failed_reason)
    assert "sk-a-wrong" not in outcome.failed_reason
    # the run stopped after a handful of refusals instead of the whole test split
    assert requests < 40
    wait_idle(open_context)


def test_an_unknown_model_stops_the_run_and_names_the_model(
    qtbot: QtBot, wait_idle: Callable[..., None], open_context: AppContext
) -> None:
    view = _evaluate_view(qtbot, open_context)
    with LoopbackServer(known_models_only=True, models=("only-this",)) as server:
        provider = ProviderConfig("Local", server.base_url, "compatible", default_model="m")
        view.setup.save_provider(provider)
        view.setup.set_variants(
            [("banking-intent", 3, "no-such-model"), ("banking-intent", 4, "no-such-model")]
        )
        view.setup.refresh_estimate()
        qtbot.waitUntil(lambda: view.setup.run_button.isEnabled(), timeout=20000)
        with qtbot.waitSignal(view.run_finished, timeout=60000) as blocker:
            qtbot.mouseClick(view.setup.run_button, Qt.MouseButton.LeftButton)
    outcome = blocker.args[0]
    assert outcome.failed_reason and "'no-such-model'" in outcome.failed_reason
    assert _is_sentence(outcome.failed_reason)
    wait_idle(open_context)


# -- Decide -----------------------------------------------------------------------------------


def test_decide_on_a_project_without_runs_or_test_set_explains_what_is_missing(
    qtbot: QtBot,
    wait_idle: Callable[..., None],
    context: AppContext,
    tmp_path: Path,
    errors: list[str],
) -> None:
    from studio.core.db.project import new_project
    from studio.ui.decide import DecideView

    new_project(tmp_path / "bare.studio").close()
    view = DecideView(context)
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    context.set_project(open_project(tmp_path / "bare.studio"))
    wait_idle(context)
    view.recompute()
    wait_idle(context)
    qtbot.waitUntil(lambda: view.decision is not None, timeout=20000)
    warnings = " ".join(view.decision.warnings)
    assert "test split" in warnings.lower()
    assert not errors


# -- The project file itself: a full disk, a file deleted while open --------------------------


def _fill_the_disk(project) -> None:  # type: ignore[no-untyped-def]
    """Make the project's disk "full": SQLite's own SQLITE_FULL once the file would grow.

    ``max_page_count`` at the current size is how SQLite itself reports a full disk
    ("database or disk is full"), without needing root to mount a tiny filesystem.
    """
    from sqlalchemy import event

    def cap(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    event.listen(project.engine, "connect", cap)
    project.engine.dispose()


def test_a_full_disk_during_import_and_save_version_loses_nothing(
    qtbot: QtBot,
    wait_idle: Callable[..., None],
    open_context: AppContext,
    tmp_path: Path,
    errors: list[str],
) -> None:
    from studio.core import datasets as core
    from studio.ui.datasets.import_dialog import ImportDialog
    from studio.ui.prompts.view import PromptsView

    project = open_context.project
    versions_before = [v.version for v in prompt_log(project, "support-reply")]
    datasets_before = [d.name for d in core.list_datasets(project)]
    _fill_the_disk(project)

    src = tmp_path / "many.csv"
    src.write_text(
        "text,label\n"
        + "".join(f"question number {i} about cards,l{i % 4}\n" for i in range(3000)),
        encoding="utf-8",
    )
    dialog = ImportDialog(open_context)
    qtbot.addWidget(dialog)
    assert preview(qtbot, dialog, src)
    dialog.dataset_name.setCurrentText("many")
    dialog.start_import(all_or_nothing=True)
    wait_idle(open_context)
    qtbot.waitUntil(lambda: dialog.error.isVisibleTo(dialog))
    message = dialog.error.text()
    assert "disk is full" in message and project.path.name in message
    assert _is_sentence(message)
    dialog.reject()

    view = PromptsView(open_context)
    qtbot.addWidget(view)
    view.show()
    wait_idle(open_context)
    view.list_panel.select("support-reply")
    qtbot.waitUntil(lambda: view.current == "support-reply" and view.editor.base is not None)
    wait_idle(open_context)
    card = view.editor.messages.cards[-1]
    card.text.setPlainText(card.text.toPlainText() + " Please." * 3000)
    spec, problem = view.editor.check()
    assert spec is not None, problem
    view.save_version("support-reply", spec, "a long one")
    wait_idle(open_context)
    qtbot.waitUntil(lambda: bool(errors))
    assert "disk is full" in errors[-1] and _is_sentence(errors[-1])
    assert view.editor.is_dirty  # the edit is still in the editor, ready to save later

    project.engine.dispose()
    with open_project(project.path) as again:
        assert [v.version for v in prompt_log(again, "support-reply")] == versions_before
        assert [d.name for d in core.list_datasets(again)] == datasets_before


def test_a_project_deleted_while_open_refuses_changes_with_a_sentence(
    qtbot: QtBot,
    wait_idle: Callable[..., None],
    open_context: AppContext,
    errors: list[str],
) -> None:
    from studio.ui.datasets.view import DatasetsView

    view = DatasetsView(open_context)
    qtbot.addWidget(view)
    view.resize(1300, 800)
    view.show()
    wait_idle(open_context)
    qtbot.waitUntil(lambda: view.model.rowCount() > 0)
    view.select_row(0)
    wait_idle(open_context)
    path = open_context.project.path
    path.unlink()

    view.apply_to_current("label", "card_arrival")
    wait_idle(open_context)
    qtbot.waitUntil(lambda: bool(errors))
    assert "deleted or moved" in errors[0] and path.name in errors[0]
    assert _is_sentence(errors[0])
    # nothing was written into a ghost file, and no empty file appeared at the old path
    assert not path.exists()
    view.requery()
    wait_idle(open_context)
    assert not path.exists()
    assert all("deleted or moved" in e for e in errors)


# -- Evaluate set-up: one variant, an empty test split ---------------------------------------


def test_run_setup_explains_one_variant_and_an_empty_test_split(
    qtbot: QtBot,
    wait_idle: Callable[..., None],
    open_context: AppContext,
    tmp_path: Path,
) -> None:
    from studio.core.datasets.importing import import_file

    src = tmp_path / "unsplit.csv"
    src.write_text("text,label\nhello,greet\nbye,leave\n", encoding="utf-8")
    import_file(open_context.project, src, "unsplit", None)
    view = _evaluate_view(qtbot, open_context)
    view.setup.save_provider(
        ProviderConfig("Local", dead_base_url(), "compatible", default_model="m")
    )
    view.setup.set_variants([("banking-intent", 3, "")])
    view.setup.refresh_estimate()
    wait_idle(open_context)
    problem = view.setup.problem_label.text()
    assert "two prompt versions" in problem and _is_sentence(problem)
    assert not view.setup.run_button.isEnabled()

    view.setup.set_variants([("banking-intent", 3, ""), ("banking-intent", 4, "")])
    index = view.setup.dataset_combo.findText("unsplit", Qt.MatchFlag.MatchStartsWith)
    assert index >= 0
    view.setup.dataset_combo.setCurrentIndex(index)
    view.setup.refresh_estimate()
    wait_idle(open_context)
    qtbot.waitUntil(lambda: bool(view.setup.problem_label.text()), timeout=10000)
    problem = view.setup.problem_label.text()
    assert "unsplit" in problem and "test" in problem and _is_sentence(problem)
    assert not view.setup.run_button.isEnabled()
    wait_idle(open_context)
