"""The local-LoRA run-ready folder: every sft.yaml key is an option of the pinned TRL
(read from its vendored source with ``ast``), the sizing rules, and the folder itself."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import yaml
from helpers.export_project import DATASET

from studio.core.db.project import Project
from studio.core.export import export_dataset
from studio.core.export.local_lora import (
    DEFAULT_BASE_MODEL,
    TRANSFORMERS_VERSION,
    TRL_VERSION,
    base_model_size_b,
    size_recipe,
)

REF = "support@1"
VENDORED = Path(__file__).resolve().parents[2] / "data" / f"trl-{TRL_VERSION}"


def _classes(path: Path) -> dict[str, ast.ClassDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}


def _fields(cls: ast.ClassDef) -> set[str]:
    return {
        n.target.id
        for n in cls.body
        if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)
    }


def _sft_parser_classes() -> list[str]:
    """The dataclasses `trl sft` parses: the tuple ``dataclass_types`` in make_parser()."""
    tree = ast.parse((VENDORED / "trl" / "scripts" / "sft.py").read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Name)
            and node.targets[0].id == "dataclass_types"
            and isinstance(node.value, ast.Tuple)
        ):
            return [e.id for e in node.value.elts if isinstance(e, ast.Name)]
    raise AssertionError("make_parser() of trl sft not found")


def _known_options() -> tuple[set[str], set[str]]:
    """(every option `trl sft --config` accepts, the keys of one `datasets:` entry)."""
    classes: dict[str, ast.ClassDef] = {}
    for rel in (
        "scripts/utils.py",
        "trainer/sft_config.py",
        "trainer/base_config.py",
        "trainer/model_config.py",
    ):
        classes |= _classes(VENDORED / "trl" / rel)
    training_args = set(
        (VENDORED / f"transformers-{TRANSFORMERS_VERSION}" / "training_args_fields.txt")
        .read_text(encoding="utf-8")
        .split()
    )

    def all_fields(name: str) -> set[str]:
        if name == "TrainingArguments":
            return training_args
        cls = classes[name]
        out = _fields(cls)
        for base in cls.bases:
            if isinstance(base, ast.Name):
                out |= all_fields(base.id)
        return out

    names = _sft_parser_classes()
    assert names == ["ScriptArguments", "SFTConfig", "ModelConfig", "DatasetMixtureConfig"]
    known: set[str] = set()
    for name in names:
        known |= all_fields(name)
    return known, _fields(classes["DatasetConfig"])


def _check(config: dict[str, object]) -> None:
    known, dataset_keys = _known_options()
    unknown = sorted(k for k in config if k not in known)
    assert unknown == [], f"not options of trl sft {TRL_VERSION}: {unknown}"
    for entry in config["datasets"]:  # type: ignore[attr-defined]
        assert set(entry) <= dataset_keys, set(entry) - dataset_keys


def test_the_checker_is_not_vacuous() -> None:
    known, dataset_keys = _known_options()
    # from each vendored source: ModelConfig, SFTConfig, _BaseConfig, TrainingArguments,
    # ScriptArguments, DatasetMixtureConfig; and names that are NOT options
    for key in (
        "lora_r",
        "assistant_only_loss",
        "bf16",
        "gradient_accumulation_steps",
        "dataset_name",
        "datasets",
    ):
        assert key in known
    for key in ("lora_rank", "epochs", "warmup_ratio", "base_model", "use_lora"):
        assert key not in known
    assert dataset_keys == {
        "path",
        "name",
        "data_dir",
        "data_files",
        "split",
        "columns",
        "fraction",
    }


@pytest.mark.parametrize(
    "base", [None, "meta-llama/Llama-3.1-8B-Instruct", "my-org/private-student"]
)
@pytest.mark.parametrize("records", [10, 700, 5000])
def test_every_sft_yaml_key_is_a_trl_option(base: str | None, records: int) -> None:
    recipe = size_recipe(records, max_tokens=900, validation_records=3, base_model=base)
    config = yaml.safe_load(recipe.yaml())
    assert config == recipe.config()  # the YAML says what the recipe means
    _check(config)


@pytest.mark.parametrize(
    ("records", "epochs", "effective"),
    [(1, 3, 8), (499, 3, 8), (500, 3, 16), (999, 3, 16), (1000, 2, 16), (20000, 2, 16)],
)
def test_epochs_and_effective_batch_follow_the_documented_rule(
    records: int, epochs: int, effective: int
) -> None:
    small = size_recipe(records)
    assert (small.epochs, small.effective_batch) == (epochs, effective)
    assert (small.per_device_batch, small.grad_accum) == (4, effective // 4)
    assert small.base_model == DEFAULT_BASE_MODEL and not small.load_in_4bit
    big = size_recipe(records, base_model="Qwen/Qwen2.5-7B-Instruct")
    assert big.load_in_4bit and big.per_device_batch == 2
    assert big.effective_batch == effective
    assert big.config()["bnb_4bit_quant_type"] == "nf4"


@pytest.mark.parametrize(
    ("name", "size"),
    [
        ("Qwen/Qwen2.5-1.5B-Instruct", 1.5),
        ("meta-llama/Llama-3.3-70B-Instruct", 70.0),
        ("mistralai/Ministral-3B", 3.0),
        ("openai/gpt-oss-20b", 20.0),
        ("org/student", None),
        ("Qwen/Qwen3-32B", 32.0),
    ],
)
def test_base_model_size_from_the_name(name: str, size: float | None) -> None:
    assert base_model_size_b(name) == size


def test_max_length_covers_the_longest_record() -> None:
    assert size_recipe(10, max_tokens=None).max_length == 1024
    assert size_recipe(10, max_tokens=800).max_length == 1024  # 960 -> 1024 floor
    # 2000 * 1.2 = 2400 -> next multiple of 256 = 2560
    assert size_recipe(10, max_tokens=2000).max_length == 2560


def test_export_writes_the_run_ready_folder(export_project: Project, tmp_path: Path) -> None:
    out = tmp_path / "lora"
    result = export_dataset(export_project, DATASET, "local-lora", REF, out)
    assert result.ok, result.message
    assert result.target == "local-lora"
    train = [json.loads(x) for x in (out / "train.jsonl").read_text().splitlines()]
    val = (out / "validation.jsonl").read_text().splitlines()
    # helpers/export_project.py: 12 approved train rows, 3 approved validation rows
    assert (len(train), len(val)) == (12, 3)
    assert all(
        set(r) <= {"messages", "tools"} and r["messages"][-1]["role"] == "assistant" for r in train
    )
    config = yaml.safe_load((out / "sft.yaml").read_text())
    _check(config)
    assert config["datasets"] == [{"path": "json", "data_files": "train.jsonl", "split": "train"}]
    assert config["model_name_or_path"] == DEFAULT_BASE_MODEL
    assert (config["use_peft"], config["lora_r"], config["lora_alpha"]) == (True, 16, 32)
    assert (config["lora_dropout"], config["lora_target_modules"]) == (0.05, "all-linear")
    assert config["learning_rate"] == 2e-4 and config["assistant_only_loss"] is True
    assert config["num_train_epochs"] == 3  # 12 < 1000
    assert config["per_device_train_batch_size"] * config["gradient_accumulation_steps"] == 8
    assert config["load_in_4bit"] is False
    readme = (out / "README.md").read_text()
    assert f'pip install "trl=={TRL_VERSION}"' in readme and "peft bitsandbytes" in readme
    assert "trl sft --config sft.yaml" in readme
    assert "3 held-out records" in readme
    assert "set `assistant_only_loss: false`" in readme
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["target"] == "local-lora" and manifest["data_format"] == "trl"
    assert manifest["recipe"]["trl_version"] == TRL_VERSION
    assert manifest["recipe"]["epochs"] == 3


def test_export_with_a_big_base_uses_4_bit(export_project: Project, tmp_path: Path) -> None:
    out = tmp_path / "lora8b"
    result = export_dataset(
        export_project, DATASET, "local-lora", REF, out, base_model="meta-llama/Llama-3.1-8B"
    )
    assert result.ok
    config = yaml.safe_load((out / "sft.yaml").read_text())
    assert config["load_in_4bit"] is True and config["bnb_4bit_quant_type"] == "nf4"
    assert (config["per_device_train_batch_size"], config["gradient_accumulation_steps"]) == (2, 4)
    _check(config)
