"""Shared widgets: the JSON editor's live validation and the messages editor."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest

from studio.core.errors import UserError
from studio.ui.widgets.json_editor import JsonEditor
from studio.ui.widgets.messages_editor import MessagesEditor


def _schema_check(value: object) -> list[str]:
    from studio.core.prompts.spec import check_json_schema

    check_json_schema(value, "response_schema")
    return []


def test_json_editor_reports_syntax_errors_with_line_and_column(qtbot) -> None:
    editor = JsonEditor(validator=_schema_check)
    qtbot.addWidget(editor)
    with qtbot.waitSignal(editor.validity_changed) as changed:
        editor.set_text('{\n  "type": "object",\n  "properties": {\n}')
    assert changed.args == [False]
    assert editor.error.startswith("Not valid JSON at line 4")
    assert not editor.status.isHidden()
    editor.set_text('{"type": "object"}')
    assert editor.is_valid and editor.value() == {"type": "object"} and editor.status.isHidden()


def test_json_editor_names_the_schema_path_of_a_bad_schema(qtbot) -> None:
    editor = JsonEditor(validator=_schema_check)
    qtbot.addWidget(editor)
    editor.set_value({"type": "object", "properties": {"email": {"type": "strin"}}})
    assert not editor.is_valid
    assert "/properties/email/type" in editor.error


def test_json_editor_expected_type_empty_and_warnings(qtbot) -> None:
    def warn_if_not_object(value: object) -> list[str]:
        if isinstance(value, dict) and value.get("bad"):
            raise UserError("`bad` is not allowed.")
        return ["just a warning"] if value == {} else []

    editor = JsonEditor(validator=warn_if_not_object, expect=dict, allow_empty=True)
    qtbot.addWidget(editor)
    editor.set_text("[1, 2]")
    assert editor.error == "Expected an object {…}."
    editor.set_text("")
    assert editor.is_valid and editor.value() is None
    editor.set_text("{}")
    assert editor.is_valid and editor.warnings == ["just a warning"]
    assert "just a warning" in editor.status.text()
    editor.set_text('{"bad": true}')
    assert editor.error == "`bad` is not allowed."


def test_json_editor_typing_undo_redo(qtbot) -> None:
    editor = JsonEditor()
    qtbot.addWidget(editor)
    editor.show()
    editor.text.setFocus()
    QTest.keyClicks(editor.text, '{"a": 1')
    assert not editor.is_valid
    QTest.keyClicks(editor.text, "}")
    assert editor.is_valid and editor.value() == {"a": 1}
    QTest.keySequence(editor.text, QKeySequence.StandardKey.Undo)
    assert editor.text.toPlainText() != '{"a": 1}'
    QTest.keySequence(editor.text, QKeySequence.StandardKey.Redo)
    assert editor.text.toPlainText() == '{"a": 1}'


def test_messages_editor_add_move_remove(qtbot) -> None:
    editor = MessagesEditor()
    qtbot.addWidget(editor)
    editor.set_messages([("system", "Be brief."), ("user", "{{q}}")])
    with qtbot.waitSignal(editor.changed):
        editor.add_button.click()
    assert editor.messages()[-1] == ("assistant", "")
    assert editor.cards[2].index_label.text() == "messages[2]"
    editor.move_message(2, -1)
    assert [r for r, _ in editor.messages()] == ["system", "assistant", "user"]
    assert not editor.cards[0].up.isEnabled() and not editor.cards[2].down.isEnabled()
    editor.cards[1].remove.click()
    assert editor.messages() == [("system", "Be brief."), ("user", "{{q}}")]
    editor.remove_message(0)
    assert not editor.cards[0].remove.isEnabled()  # the last message cannot be removed


def test_message_text_grows_with_its_content(qtbot) -> None:
    editor = MessagesEditor()
    qtbot.addWidget(editor)
    editor.resize(600, 800)
    editor.set_messages([("user", "short")])
    editor.show()
    small = editor.cards[0].text.sizeHint().height()
    editor.cards[0].text.setPlainText("\n".join(f"line {i}" for i in range(12)))
    assert editor.cards[0].text.sizeHint().height() > small
    assert (
        editor.cards[0].text.font().fixedPitch()
        or editor.cards[0].text.font().styleHint() is not None
    )
    _ = Qt
