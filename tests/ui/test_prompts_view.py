"""The Prompts view driven as a user would: real project file, real widgets, real worker."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QTextCursor
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog, QMessageBox, QPlainTextEdit

from studio.ui.context import AppContext
from studio.ui.prompts.view import PromptsView


@pytest.fixture
def view(qtbot, wait_idle, open_context: AppContext) -> PromptsView:
    """The Prompts view on the demo project, with ``support-reply`` open."""
    widget = PromptsView(open_context)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    wait_idle(open_context)
    widget.list_panel.select("support-reply")
    qtbot.waitUntil(lambda: widget.current == "support-reply" and widget.editor.base is not None)
    wait_idle(open_context)
    return widget


def _version_numbers(view: PromptsView) -> list[int]:
    return [r.version for r in view.history.model.rows]


def _save_with_message(qtbot, wait_idle, view: PromptsView, message: str):
    """Ctrl+S, type the message into the dialog, click Save Version, wait for the save."""
    view.editor.setFocus()
    QTest.keySequence(view.editor, QKeySequence.StandardKey.Save)
    qtbot.waitUntil(lambda: view.dialog is not None and view.dialog.isVisible())
    dialog = view.dialog
    QTest.keyClicks(dialog.message, message)
    with qtbot.waitSignal(view.saved, timeout=10000) as saved:
        QTest.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    wait_idle(view.context)
    return saved.args[0]


def test_list_shows_demo_prompts_and_search_filters_as_you_type(qtbot, view: PromptsView) -> None:
    assert view.list_panel.visible_names() == [
        "banking-intent",
        "fee-answer",
        "intent-judge",
        "support-reply",
        "ticket-extract",
    ]
    # Ctrl+F focuses the search box
    view.list_panel.view.setFocus()
    QTest.keySequence(view.list_panel.view, QKeySequence.StandardKey.Find)
    assert view.list_panel.search.hasFocus()
    QTest.keyClicks(view.list_panel.search, "tick")
    assert view.list_panel.visible_names() == ["ticket-extract"]
    # description and variable names match too (after the real list loaded them)
    view.list_panel.search.clear()
    QTest.keyClicks(view.list_panel.search, "customer_message")
    assert view.list_panel.visible_names() == ["support-reply"]
    view.list_panel.search.clear()
    QTest.keyClicks(view.list_panel.search, "zzz-nothing")
    assert view.list_panel.visible_names() == []
    assert view.list_panel.stack.currentWidget() is view.list_panel.empty
    assert "zzz-nothing" in view.list_panel.empty.text()


def test_editor_shows_the_latest_version(view: PromptsView) -> None:
    editor = view.editor
    assert editor.title.text() == "support-reply"
    roles = [r for r, _ in editor.messages.messages()]
    assert roles == ["system", "developer", "user"]
    assert editor.variables() == ["customer_name", "account_notes", "customer_message"]
    assert "v4" in editor.base_label.text() and "no changes" in editor.base_label.text()
    assert not editor.save_button.isEnabled()
    assert editor.params.model_name() == "gpt-4.1-mini"
    assert editor.params.params() == {"temperature": 0.4, "max_tokens": 300}


def test_typing_a_variable_detects_it_and_save_version_creates_a_version(
    qtbot, wait_idle, view: PromptsView
) -> None:
    editor = view.editor
    user_card = editor.messages.cards[2]
    user_card.text.setFocus()
    user_card.text.moveCursor(QTextCursor.MoveOperation.End)
    QTest.keyClick(user_card.text, Qt.Key.Key_Return)
    QTest.keyClicks(user_card.text, "Order: {{order_id}}")
    assert "order_id" in editor.variables()
    assert "order_id" in editor.variables_label.text()
    assert editor.is_dirty and editor.save_button.isEnabled()
    assert "unsaved changes" in editor.base_label.text()

    # change the temperature through its spin box
    temp = editor.params.field("temperature")
    temp.setFocus()
    temp.selectAll()
    QTest.keyClicks(temp, "0.7")
    QTest.keyClick(temp, Qt.Key.Key_Tab)
    assert editor.params.params()["temperature"] == 0.7

    result = _save_with_message(qtbot, wait_idle, view, "Ask for the order id")
    assert result.created and result.version == 5
    qtbot.waitUntil(lambda: _version_numbers(view)[:1] == [5])
    top = view.history.model.rows[0]
    assert top.message == "Ask for the order id" and top.author == "tester"
    # the editor now starts from v5 and has nothing to save
    assert view.editor.base.version == 5
    assert not view.editor.save_button.isEnabled()
    # the list shows the new latest version
    row = next(r for r in view.list_panel.model.rows if r.name == "support-reply")
    assert row.latest_version == 5


def test_save_dialog_lists_the_changes_and_needs_a_message(
    qtbot, wait_idle, view: PromptsView
) -> None:
    editor = view.editor
    editor.params.field("temperature").setValue(0.9)
    editor.save_button.click()
    dialog = view.dialog
    assert dialog.isVisible()
    summary = dialog.findChild(QPlainTextEdit, "saveSummary")
    assert "temperature 0.4 → 0.9" in summary.toPlainText()
    assert not dialog.save_button.isEnabled()  # no message yet
    dialog.reject()
    wait_idle(view.context)
    assert _version_numbers(view)[0] == 4  # cancelled: nothing stored


def test_edit_then_revert_disables_save_and_identical_import_creates_no_version(
    qtbot, wait_idle, view: PromptsView, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = view.editor
    temp = editor.params.field("temperature")
    temp.setValue(0.8)
    assert editor.save_button.isEnabled()
    temp.setValue(0.4)
    assert not editor.save_button.isEnabled() and not editor.is_dirty

    # Export v4, import the same file: identical content, so no version
    target = tmp_path / "support-reply.yaml"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    editor.export_button.click()
    wait_idle(view.context)
    assert target.exists() and "customer_message" in target.read_text(encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(target), ""))
    with qtbot.waitSignal(view.context.status_requested) as status, qtbot.waitSignal(view.saved):
        editor.import_button.click()
    assert status.args[0] == "No changes: no version created."
    wait_idle(view.context)
    assert _version_numbers(view)[0] == 4


def test_import_a_changed_file_adds_a_version(
    qtbot, wait_idle, view: PromptsView, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    target = tmp_path / "reply.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    view.editor.export_button.click()
    wait_idle(view.context)
    doc = json.loads(target.read_text(encoding="utf-8"))
    doc["params"]["temperature"] = 0.1
    target.write_text(json.dumps(doc), encoding="utf-8")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(target), ""))
    with qtbot.waitSignal(view.saved) as saved:
        view.editor.import_button.click()
    assert saved.args[0].created and saved.args[0].version == 5
    wait_idle(view.context)
    qtbot.waitUntil(lambda: _version_numbers(view)[0] == 5)
    assert view.history.model.rows[0].message == "Imported from reply.json"


def test_history_diff_of_two_versions_shows_changed_words(qtbot, view: PromptsView) -> None:
    view.tabs.setCurrentWidget(view.history)
    with qtbot.waitSignal(view.diff_shown) as shown:
        view.history.select_versions([3, 1])
    assert shown.args == [1, 3]
    text = view.history.diff.text()
    assert "v1 → v3" in text
    # key-level change in words and the changed message text on both sides
    assert "temperature" in text and "→" in text
    html = view.history.diff.browser.toHtml()
    assert "line-through" in html  # removed words are struck through
    assert "#c9f2d0" in html  # added words highlighted
    # one selected version: diff against the previous one
    with qtbot.waitSignal(view.diff_shown) as shown:
        view.history.select_versions([4])
    assert shown.args == [3, 4]
    assert "developer" in view.history.diff.text()


def test_move_label_with_confirmation_records_history_and_undoes(
    qtbot, wait_idle, view: PromptsView
) -> None:
    view.tabs.setCurrentWidget(view.history)
    view.history.select_versions([4])
    wait_idle(view.context)
    view.history.label_button.click()
    dialog = view.dialog
    assert dialog.isVisible()
    dialog.label.setCurrentIndex(dialog.label.findData("production"))
    assert dialog.target_version() == 4
    assert "Move “production” from v3 to v4" in dialog.sentence.text()
    with qtbot.waitSignal(view.history_loaded, timeout=10000):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    wait_idle(view.context)
    assert view.labels["production"] == 4
    top = view.history.label_history.item(0).text()
    assert "production: v3 → v4" in top and "tester" in top
    assert view.history.model.rows[0].labels == ("production", "staging") or set(
        view.history.model.rows[0].labels
    ) == {"production", "staging"}

    # Edit ▸ Undo moves it back (recorded as another move)
    assert view.context.undo_stack.undoText() == "Move production to v4"
    view.context.undo_stack.undo()
    wait_idle(view.context)
    qtbot.waitUntil(lambda: view.labels.get("production") == 3)
    assert "production: v4 → v3" in view.history.label_history.item(0).text()


def test_new_custom_label(qtbot, wait_idle, view: PromptsView) -> None:
    view.history.select_versions([2])
    view.history.label_button.click()
    dialog = view.dialog
    dialog.label.setEditText("qa-review")
    assert "Create “qa-review” pointing at v2" in dialog.sentence.text()
    dialog.accept()
    wait_idle(view.context)
    qtbot.waitUntil(lambda: view.labels.get("qa-review") == 2)


def test_restore_as_newest_version(qtbot, wait_idle, view: PromptsView) -> None:
    view.history.select_versions([1])
    view.history.restore_button.click()
    box = view.dialog
    assert isinstance(box, QMessageBox) and "Restore v1" in box.text() and "(v5)" in box.text()
    restore = next(b for b in box.buttons() if b.text() == "Restore")
    with qtbot.waitSignal(view.saved) as saved:
        restore.click()
    assert saved.args[0].created and saved.args[0].version == 5
    wait_idle(view.context)
    qtbot.waitUntil(lambda: _version_numbers(view)[0] == 5)
    assert view.history.model.rows[0].restored_from == 1
    # the restored content equals v1: the diff v1 → v5 is empty
    with qtbot.waitSignal(view.diff_shown):
        view.history.select_versions([5, 1])
    assert "same content" in view.history.diff.text()


def test_preview_renders_sample_values_and_reports_missing_and_unused(
    qtbot, view: PromptsView
) -> None:
    preview = view.editor.preview
    view.editor.tabs.setCurrentWidget(preview)
    # Opens without an error state: missing values are a grey hint, not a red error
    assert preview.error.isHidden()
    assert not preview.hint.isHidden() and "⟨customer_name⟩" in preview.hint.text()
    assert "⟨customer_name⟩" in preview.rendered_text()
    QTest.keyClicks(preview.inputs["customer_name"], "Ada")
    QTest.keyClicks(preview.inputs["account_notes"], "Premium")
    QTest.keyClicks(preview.inputs["customer_message"], "Where is my card?")
    assert preview.error.isHidden() and preview.hint.isHidden()
    assert "Customer name: Ada" in preview.rendered_text()
    assert "Where is my card?" in preview.rendered_text()
    # remove the variable from the template: its value is now unused → warning
    card = view.editor.messages.cards[2]
    card.text.setPlainText(card.text.toPlainText().replace("Account notes: {{account_notes}}", ""))
    assert "account_notes" in preview.warning.text() and not preview.warning.isHidden()


def test_schema_editor_validates_live(qtbot, wait_idle, view: PromptsView) -> None:
    view.list_panel.select("ticket-extract")
    qtbot.waitUntil(lambda: view.current == "ticket-extract")
    wait_idle(view.context)
    schema = view.editor.schema
    assert schema.is_valid and isinstance(schema.value(), dict)
    text = schema.text.toPlainText()
    schema.text.setPlainText(text.replace('"type": "object"', '"type": "objekt"', 1))
    assert not schema.is_valid
    assert "not a valid JSON Schema" in schema.error and "/type" in schema.error
    assert not schema.status.isHidden()
    assert not view.editor.save_button.isEnabled()
    assert "response schema" in view.editor.problem_label.text()
    schema.text.setPlainText(text[:-3])  # broken JSON
    assert "Not valid JSON at line" in schema.error
    schema.text.setPlainText(text)
    assert schema.is_valid and not view.editor.is_dirty


def test_undo_redo_in_the_message_editor(qtbot, view: PromptsView) -> None:
    card = view.editor.messages.cards[1]
    before = card.text.toPlainText()
    card.text.setFocus()
    card.text.moveCursor(QTextCursor.MoveOperation.End)
    QTest.keyClicks(card.text, " Extra rule.")
    assert card.text.toPlainText() == before + " Extra rule."
    assert view.editor.is_dirty
    QTest.keySequence(card.text, QKeySequence.StandardKey.Undo)
    assert card.text.toPlainText() == before
    assert not view.editor.is_dirty
    QTest.keySequence(card.text, QKeySequence("Ctrl+Shift+Z"))
    assert card.text.toPlainText() == before + " Extra rule."


def test_add_remove_reorder_and_role_change(qtbot, view: PromptsView) -> None:
    messages = view.editor.messages
    messages.add_button.click()
    assert len(messages.cards) == 4 and messages.cards[3].role.currentText() == "assistant"
    QTest.keyClicks(messages.cards[3].text, "Sure, {{customer_name}}.")
    messages.cards[3].up.click()
    assert [r for r, _ in messages.messages()] == ["system", "developer", "assistant", "user"]
    messages.cards[2].role.setCurrentText("user")
    assert messages.messages()[2] == ("user", "Sure, {{customer_name}}.")
    messages.cards[2].remove.click()
    assert len(messages.cards) == 3
    assert not view.editor.is_dirty  # back to v4's messages


def test_drafts_survive_switching_prompts(qtbot, wait_idle, view: PromptsView) -> None:
    view.editor.params.field("temperature").setValue(1.1)
    view.list_panel.select("fee-answer")
    qtbot.waitUntil(lambda: view.current == "fee-answer")
    wait_idle(view.context)
    assert not view.editor.is_dirty
    view.list_panel.select("support-reply")
    qtbot.waitUntil(lambda: view.current == "support-reply")
    wait_idle(view.context)
    assert view.editor.is_dirty and view.editor.params.params()["temperature"] == 1.1


def test_new_prompt_dialog_creates_a_first_version(qtbot, wait_idle, view: PromptsView) -> None:
    view.list_panel.new_button.click()
    dialog = view.dialog
    QTest.keyClicks(dialog.name, "support-reply")
    assert not dialog.ok.isEnabled() and "already exists" in dialog.problem.text()
    dialog.name.clear()
    QTest.keyClicks(dialog.name, "refund-triage")
    assert dialog.ok.isEnabled()
    with qtbot.waitSignal(view.prompt_loaded, timeout=10000):
        dialog.ok.click()
    qtbot.waitUntil(lambda: view.current == "refund-triage")
    wait_idle(view.context)
    assert _version_numbers(view) == [1]
    assert view.editor.variables() == ["product", "question"]


def test_navigate_to_a_version(qtbot, view: PromptsView) -> None:
    with qtbot.waitSignal(view.history_loaded):
        view.navigate_to({"prompt": "banking-intent", "version": 2})
    qtbot.waitUntil(lambda: view.history.selected_versions() == [2])
    assert view.tabs.currentWidget() is view.history


def test_description_edit_is_saved(qtbot, wait_idle, view: PromptsView) -> None:
    desc = view.editor.description
    desc.setFocus()
    desc.selectAll()
    QTest.keyClicks(desc, "Drafts replies for the support team")
    with qtbot.waitSignal(view.context.status_requested):
        QTest.keyClick(desc, Qt.Key.Key_Return)
    wait_idle(view.context)
    row = next(r for r in view.list_panel.model.rows if r.name == "support-reply")
    assert row.description == "Drafts replies for the support team"
    assert not view.editor.is_dirty  # the description is not part of a version


def test_tools_editor_checks_the_tools_live(qtbot, wait_idle, view: PromptsView) -> None:
    view.list_panel.select("fee-answer")
    qtbot.waitUntil(lambda: view.current == "fee-answer")
    wait_idle(view.context)
    tools = view.editor.tools
    assert tools.is_valid and tools.value()[0]["function"]["name"] == "lookup_fee_schedule"
    tools.set_text('[{"type": "function"}]')
    assert not tools.is_valid and "tools[0].function" in tools.error
    assert not view.editor.save_button.isEnabled()
    tools.set_text('{"not": "a list"}')
    assert "must be a JSON list" in tools.error
