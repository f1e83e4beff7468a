"""The export dialog's routes (where to train, for the chosen format) and the local-lora
target from the app: run-ready folder, provenance line in the summary."""

from __future__ import annotations

from pathlib import Path

import yaml
from pytestqt.qtbot import QtBot

from studio.core.decide.platforms import load_platforms
from studio.ui.context import AppContext
from studio.ui.validate import ValidateView
from studio.ui.validate.dataset_dialog import DatasetExportDialog, ExportChoice

DEMO_DATASET = "Banking intents (demo)"


def test_dialog_shows_the_routes_of_the_chosen_format(
    qtbot: QtBot, open_context: AppContext
) -> None:
    project = open_context.project
    assert project is not None
    dialog = DatasetExportDialog(project, export=True)
    qtbot.addWidget(dialog)
    dialog.choose(dataset=DEMO_DATASET, prompt="banking-intent", version=2, target="openai-chat")
    text = dialog.routes_view.toPlainText()
    cat = load_platforms()
    takes = [p.name for p in cat.platforms.values() if "openai-chat" in p.export_targets]
    assert takes and all(name in text for name in takes)
    assert "Azure OpenAI fine-tuning" in text  # resources/platforms.json
    assert "$1.70 an hour (about $1,224.00 a month)" in text  # 1.70 × 720
    assert "2027-10-14: gpt-4.1-mini, gpt-4.1-nano, gpt-4.1" in text
    assert "unknown: gpt-oss-20b, Qwen3-32B, Llama-3.3-70B-Instruct, Ministral-3B" in text
    assert "65,536 tokens per example" in text
    assert not dialog.base_model_edit.isEnabled()
    dialog.choose(target="local-lora")
    text = dialog.routes_view.toPlainText()
    assert "Local LoRA / QLoRA" in text and "none: you own the weights" in text
    assert "Azure" not in text
    assert dialog.base_model_edit.isEnabled()
    dialog.folder_edit.setText("/tmp/x")
    dialog.base_model_edit.setText("Qwen/Qwen2.5-7B-Instruct")
    choice = dialog.choice()
    assert choice is not None and choice.target == "local-lora"
    assert choice.base_model == "Qwen/Qwen2.5-7B-Instruct"
    dialog.choose(target="trl")
    choice = dialog.choice()
    assert choice is not None and choice.base_model is None


def test_validate_dialog_has_no_recipe_target(qtbot: QtBot, open_context: AppContext) -> None:
    project = open_context.project
    assert project is not None
    dialog = DatasetExportDialog(project, export=False)
    qtbot.addWidget(dialog)
    assert dialog.target_combo.findData("local-lora") < 0


def test_local_lora_export_from_the_app(
    qtbot: QtBot, open_context: AppContext, tmp_path: Path
) -> None:
    from studio.core.datasets import get_dataset

    project = open_context.project
    assert project is not None
    ds = get_dataset(project, DEMO_DATASET)
    out = tmp_path / "lora"
    view = ValidateView(open_context)
    qtbot.addWidget(view)
    view.resize(1300, 800)
    choice = ExportChoice(
        ds.id,
        ds.name,
        "banking-intent@2",
        "local-lora",
        out,
        None,
        base_model="Qwen/Qwen2.5-7B-Instruct",
    )
    with qtbot.waitSignal(view.export_finished, timeout=60000) as done:
        view.export_to(choice)
    result = done.args[0]
    assert result.ok, result.message
    assert {p.name for p in out.iterdir()} >= {"train.jsonl", "sft.yaml", "README.md"}
    config = yaml.safe_load((out / "sft.yaml").read_text())
    assert config["model_name_or_path"] == "Qwen/Qwen2.5-7B-Instruct"
    assert config["load_in_4bit"] is True
    text = view.manifest_view.toPlainText()
    prov = result.manifest["provenance"]
    n = sum(prov["inputs"].values())
    assert n == result.manifest["counts"]["train"] + result.manifest["counts"]["validation"]
    assert f"Ideal outputs: {prov['ideal_outputs']['human']:,} human-written" in text
    assert "trl sft --config sft.yaml" in text
    qtbot.waitUntil(lambda: view.report is not None, timeout=30000)
    assert view.selected_format() == "trl"
