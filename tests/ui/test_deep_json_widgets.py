"""10,000-level nested JSON typed into the app: a sentence with the line, no traceback."""

from __future__ import annotations

from studio.core.prompts.spec import check_json_schema
from studio.ui.widgets.json_editor import JsonEditor

N = 10_000


def _schema_check(value: object) -> list[str]:
    check_json_schema(value, "response_schema")
    return []


def test_json_editor_refuses_deep_nesting_with_its_line(qtbot) -> None:  # type: ignore[no-untyped-def]
    editor = JsonEditor(validator=_schema_check)
    qtbot.addWidget(editor)
    with qtbot.waitSignal(editor.validity_changed) as changed:
        editor.set_text('{\n"type": "object",\n"x": ' + "[" * N + "]" * N + "}")
    assert changed.args == [False]
    # the "{" on line 1 is level 1; level 101 is the 100th "[" after the 5 characters
    # of '"x": ' on line 3, so column 5 + 100
    assert editor.error == "Nested more than 100 levels deep at line 3, column 105."
    assert not editor.status.isHidden() and editor.value() is None
    # 90 levels of a real schema are fine
    deep = '{"type": "object", "properties": {"a": ' * 45 + '{"type": "string"}' + "}}" * 45
    editor.set_text(deep)
    assert editor.is_valid, editor.error
