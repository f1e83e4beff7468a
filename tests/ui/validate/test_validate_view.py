"""The Validate view: a file full of problems, go to, fixes, cancel, dataset export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from problem_file import PROBLEM_LINES, write_problem_file
from pytestqt.qtbot import QtBot

from studio.core.formats import Finding
from studio.ui.context import AppContext
from studio.ui.validate import ValidateView
from studio.ui.validate.dataset_dialog import DatasetExportDialog, ExportChoice
from studio.ui.validate.findings_tree import COL_GOTO
from studio.ui.validate.line_reader import read_line

DEMO_DATASET = "Banking intents (demo)"


@pytest.fixture(scope="module")
def problems_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_problem_file(tmp_path_factory.mktemp("problems") / "support-chats.jsonl")


@pytest.fixture
def problems(problems_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "support-chats.jsonl"
    path.write_bytes(problems_template.read_bytes())
    return path


def make_view(qtbot: QtBot, context: AppContext) -> ValidateView:
    view = ValidateView(context)
    qtbot.addWidget(view)
    view.resize(1300, 800)
    return view


def open_and_wait(qtbot: QtBot, view: ValidateView, path: Path) -> None:
    with qtbot.waitSignal(view.validation_finished, timeout=30000):
        view.open_file(path)


def leaf_for(view: ValidateView, code: str):  # type: ignore[no-untyped-def]
    for leaf in view.findings.leaves():
        f = view.findings.finding_of(leaf)
        if f is not None and f.code == code:
            return leaf, f
    raise AssertionError(f"no {code} row in the tree")


def test_a_file_full_of_problems_fills_the_findings_tree(
    qtbot: QtBot, context: AppContext, problems: Path
) -> None:
    view = make_view(qtbot, context)
    open_and_wait(qtbot, view, problems)
    assert view.report is not None and not view.report.valid
    counts = view.findings.code_counts()
    for code in (
        "utf8_bom",
        "empty_line",
        "invalid_json",
        "unknown_role",
        "missing_assistant_message",
        "special_token",
        "tool_call_id_mismatch",
        "secret_detected",
        "pii_email",
        "example_too_long",
    ):
        assert counts.get(code) == 1, (code, counts)
    assert counts["duplicate_example"] == 2
    top = [view.findings.topLevelItem(i).text(0) for i in range(view.findings.topLevelItemCount())]
    assert top[0].startswith("Errors (") and top[1].startswith("Warnings (")
    leaf, _ = leaf_for(view, "invalid_json")
    assert leaf.text(1) == str(PROBLEM_LINES["invalid_json"]) and "column" in leaf.text(2)
    assert "openai-chat" in view.detected_label.text()
    assert "Invalid" in view.summary_label.text()
    assert view.histogram.bins and view.histogram.limit == 65536
    assert "1 over" in view.stat_labels["limit"].text()
    assert "prices as of" in view.stat_labels["cost"].text()
    assert view.fix_button.isEnabled()


def test_go_to_shows_just_that_line(qtbot: QtBot, context: AppContext, problems: Path) -> None:
    view = make_view(qtbot, context)
    open_and_wait(qtbot, view, problems)
    leaf, f = leaf_for(view, "unknown_role")
    with qtbot.waitSignal(view.line_shown) as shown:
        view.findings.itemClicked.emit(leaf, COL_GOTO)
    assert shown.args == [PROBLEM_LINES["unknown_role"]]
    assert '"role": "customer"' in view.viewer.toPlainText()
    assert view.viewer_title.text().startswith(f"Line {PROBLEM_LINES['unknown_role']}")
    # the JSON error's column is highlighted
    leaf, f = leaf_for(view, "invalid_json")
    with qtbot.waitSignal(view.line_shown):  # read off the GUI thread
        view.go_to(f)
    sel = view.viewer.extraSelections()
    assert len(sel) == 1 and sel[0].cursor.selectedText() == ","
    # the BOM line says so; a blank line is shown as such
    with qtbot.waitSignal(view.line_shown):
        view.go_to(Finding(1, "error", "utf8_bom", "BOM"))
    assert "starts with a BOM" in view.viewer_title.text()
    with qtbot.waitSignal(view.line_shown):
        view.go_to(Finding(3, "error", "empty_line", "blank"))
    assert view.viewer.toPlainText() == "(blank line)"


def test_read_line_streams_to_the_line(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    path.write_bytes(b"".join(b'{"n": %d}\n' % i for i in range(5000)))
    got = read_line(path, 4321)
    assert got is not None and got.text == '{"n": 4320}' and not got.truncated
    assert read_line(path, 5001) is None
    long = tmp_path / "long.jsonl"
    long.write_text("x" * 50_000 + "\n", encoding="utf-8")
    cut = read_line(long, 1, max_chars=100)
    assert cut is not None and cut.truncated and len(cut.text) == 100


def test_fix_writes_a_new_file_and_leaves_the_original_untouched(
    qtbot: QtBot, context: AppContext, problems: Path, tmp_path: Path
) -> None:
    view = make_view(qtbot, context)
    open_and_wait(qtbot, view, problems)
    original = problems.read_bytes()
    dst = tmp_path / "fixed.jsonl"
    with qtbot.waitSignal(view.fix_written, timeout=30000) as written:
        view.write_fixed_copy(dst)
    result, path = written.args
    assert path == str(dst)
    assert result.counts["bom_stripped"] == 1
    assert result.counts["blank_lines_dropped"] == 1
    assert result.counts["duplicates_dropped"] == 2
    assert problems.read_bytes() == original
    data = dst.read_bytes()
    assert not data.startswith(b"\xef\xbb\xbf") and b"\n\n" not in data
    # the view opens the fixed copy and validates it: the fixed problems are gone
    qtbot.waitUntil(
        lambda: view.path == dst and view.report is not None and view.report.file == str(dst),
        timeout=30000,
    )
    codes = view.report.codes()
    assert not codes & {"utf8_bom", "empty_line", "duplicate_example"}
    assert "invalid_json" in codes  # not a safe fix: left for the user


def test_fixing_onto_the_original_is_refused(
    qtbot: QtBot, context: AppContext, problems: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    view = make_view(qtbot, context)
    open_and_wait(qtbot, view, problems)
    original = problems.read_bytes()
    errors: list[object] = []
    monkeypatch.setattr(context, "show_error", lambda exc, details="": errors.append(exc))
    view.write_fixed_copy(problems)
    qtbot.waitUntil(lambda: bool(errors), timeout=10000)
    assert "must not overwrite the original" in str(errors[0])
    assert problems.read_bytes() == original


def test_cancel_stops_validation(qtbot: QtBot, context: AppContext, tmp_path: Path) -> None:
    path = tmp_path / "many.jsonl"
    line = json.dumps(
        {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
    )
    path.write_text((line + "\n") * 50_000, encoding="utf-8")
    view = make_view(qtbot, context)
    with qtbot.waitSignal(view.validation_cancelled, timeout=30000):
        view.open_file(path)
        assert view.running and view.cancel_button.isEnabled()
        view.cancel()
    assert view.report is None and not view.running
    assert not view.cancel_button.isEnabled() and view.validate_button.isEnabled()


def test_mixed_formats_are_flagged(qtbot: QtBot, context: AppContext, tmp_path: Path) -> None:
    chat = json.dumps(
        {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
    )
    gemini = json.dumps(
        {
            "contents": [
                {"role": "user", "parts": [{"text": "q"}]},
                {"role": "model", "parts": [{"text": "a"}]},
            ]
        }
    )
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([chat] * 8 + [gemini] * 3) + "\n", encoding="utf-8")
    view = make_view(qtbot, context)
    open_and_wait(qtbot, view, path)
    assert "mixed formats" in view.detected_label.text()
    assert "mixed_formats" in view.findings.code_counts()


def test_schema_and_model_options_reach_the_validator(
    qtbot: QtBot, context: AppContext, tmp_path: Path
) -> None:
    path = tmp_path / "plain.jsonl"
    path.write_text(
        "\n".join(
            json.dumps(
                {
                    "messages": [
                        {"role": "user", "content": f"q{i}"},
                        {"role": "assistant", "content": f"a{i}"},
                    ]
                }
            )
            for i in range(10)
        )
        + "\n",
        encoding="utf-8",
    )
    schema = tmp_path / "schema.json"
    schema.write_text('{"type": "object"}', encoding="utf-8")
    view = make_view(qtbot, context)
    view.schema_edit.setText(str(schema))
    view.model_combo.setCurrentIndex(view.model_combo.findData("gpt-3.5-turbo"))
    open_and_wait(qtbot, view, path)
    assert "output_not_json" in view.findings.code_counts()
    assert view.report is not None and view.report.stats["tokens"]["limit"] == 16385


def test_dataset_export_validation_navigates_to_the_example(
    qtbot: QtBot, open_context: AppContext, tmp_path: Path
) -> None:
    from studio.core.datasets import get_dataset, query_ids, update_example
    from studio.core.datasets.queries import ExampleFilter

    project = open_context.project
    assert project is not None
    ds = get_dataset(project, DEMO_DATASET)
    target_id = query_ids(project, ds.id, ExampleFilter(statuses=("approved",), splits=("train",)))[
        5
    ]
    update_example(project, target_id, ideal_output="card_arrival <|endoftext|>")
    view = make_view(qtbot, open_context)
    assert view.dataset_button.isEnabled() and view.export_button.isEnabled()
    choice = ExportChoice(ds.id, ds.name, "banking-intent@2", "openai-chat", None, None)
    with qtbot.waitSignal(view.validation_finished, timeout=60000):
        view.validate_dataset(choice)
    assert view.export_result is not None and not view.export_result.ok
    assert view.selected_format() == "openai-chat"
    _, f = leaf_for(view, "special_token")
    assert view.example_for_line(f.line) == target_id
    with qtbot.waitSignal(open_context.navigate_requested) as nav:
        view.go_to(f)
    assert nav.args == ["datasets", {"dataset_id": ds.id, "example_id": target_id}]
    qtbot.waitUntil(lambda: f"example {target_id}" in view.viewer_title.text())
    assert not view.fix_button.isEnabled()  # fixes are for files, not exports


def test_export_writes_files_and_shows_the_manifest(
    qtbot: QtBot, open_context: AppContext, tmp_path: Path
) -> None:
    from studio.core.datasets import get_dataset

    project = open_context.project
    assert project is not None
    ds = get_dataset(project, DEMO_DATASET)
    out = tmp_path / "export"
    view = make_view(qtbot, open_context)
    choice = ExportChoice(ds.id, ds.name, "banking-intent@3", "vertex-gemini", out, None)
    with qtbot.waitSignal(view.export_finished, timeout=60000) as done:
        view.export_to(choice)
    result = done.args[0]
    assert result.ok and (out / "manifest.json").exists()
    text = view.manifest_view.toPlainText()
    assert result.manifest["files"]["train"]["sha256"] in text
    assert view.tabs.currentIndex() == 1
    qtbot.waitUntil(lambda: view.report is not None, timeout=30000)
    assert view.report is not None and view.report.format == "vertex-gemini"
    assert view.file_combo.count() == 2
    # The view shows the reports the export already made instead of parsing the files again
    assert view.report is result.files[0].report
    view.file_combo.setCurrentIndex(1)
    assert view.report is result.files[1].report and view.path == result.files[1].path


def test_dataset_dialog_lists_datasets_prompts_and_targets(
    qtbot: QtBot, open_context: AppContext
) -> None:
    project = open_context.project
    assert project is not None
    dialog = DatasetExportDialog(project, export=True)
    qtbot.addWidget(dialog)
    dialog.choose(dataset=DEMO_DATASET, prompt="banking-intent", version=2, target="trl")
    assert dialog.choice() is None  # no folder yet
    assert "output folder" in dialog.error_label.text()
    dialog.folder_edit.setText("/tmp/x")
    choice = dialog.choice()
    assert choice is not None
    assert choice.prompt_ref == "banking-intent@2" and choice.target == "trl"
    assert choice.dataset_name == DEMO_DATASET and choice.validation_fraction is None


def test_without_a_project_only_files_can_be_validated(qtbot: QtBot, context: AppContext) -> None:
    view = make_view(qtbot, context)
    assert not view.dataset_button.isEnabled() and not view.export_button.isEnabled()
    assert not view.validate_button.isEnabled() and not view.cancel_button.isEnabled()


def test_export_dialog_output_template_maps_labels_into_the_schema(
    qtbot: QtBot, open_context: AppContext, tmp_path: Path
) -> None:
    """banking-intent@4 has a response_schema: the template field makes the export fit it."""
    import jsonschema

    from studio.core.prompts.service import get_version

    project = open_context.project
    assert project is not None
    schema = get_version(project, "banking-intent", 4).spec.response_schema
    assert schema is not None
    dialog = DatasetExportDialog(project, export=True)
    qtbot.addWidget(dialog)
    dialog.choose(dataset=DEMO_DATASET, prompt="banking-intent", version=4, target="openai-chat")
    assert "v4 has a response_schema" in dialog.schema_label.text()
    suggestion = '{"intent": "{{label}}", "confidence": "low"}'
    assert dialog.template_edit.placeholderText() == suggestion
    dialog.folder_edit.setText(str(tmp_path / "export"))
    dialog.template_edit.setText('{"intent": "card_arrival"}')
    assert dialog.choice() is None and "has no {{label}}" in dialog.error_label.text()
    good = '{"intent": "{{label}}", "confidence": "high"}'
    dialog.template_edit.setText(good)
    choice = dialog.choice()
    assert choice is not None and choice.output_template == good
    dialog.choose(version=1)  # no schema: the dialog says answers go out as stored
    assert "no response_schema" in dialog.schema_label.text()

    view = make_view(qtbot, open_context)
    with qtbot.waitSignal(view.export_finished, timeout=60000) as done:
        view.export_to(choice)
    result = done.args[0]
    assert result.ok, result.message
    assert (
        "Validated the written files against the response_schema of banking-intent@4"
        in view.manifest_view.toPlainText()
    )
    assert result.manifest["schema_check"]["valid"] is True
    written = 0
    for f in result.files:  # every assistant turn written, checked independently
        for line in Path(f.path).read_text(encoding="utf-8").splitlines():
            for m in json.loads(line)["messages"]:
                if m["role"] == "assistant":
                    jsonschema.validate(json.loads(m["content"]), schema)
                    written += 1
    assert written > 0

    # without the template the export is refused, with the reason shown, nothing written
    refused = ExportChoice(
        choice.dataset_id,
        choice.dataset_name,
        "banking-intent@4",
        "openai-chat",
        tmp_path / "bare",
        None,
    )
    with qtbot.waitSignal(open_context.error_requested, timeout=60000) as err:
        view.export_to(refused)
    assert "nothing was written" in err.args[0] and "Output template" in err.args[0]
    assert not (tmp_path / "bare").exists()
