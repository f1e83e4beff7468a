"""The local LoRA / QLoRA run-ready folder: TRL data, a ``trl sft`` config and a README.

``studio dataset export … --target local-lora -o DIR`` exports the data in the TRL
conversational format (``{"messages": [...]}``, tool-call arguments as JSON objects, the
``trl`` target of :mod:`studio.core.formats.trl`) and adds:

* ``DIR/sft.yaml`` — a config for ``trl sft --config sft.yaml`` (TRL :data:`TRL_VERSION`
  with transformers :data:`TRANSFORMERS_VERSION` and PEFT) sized to the data;
* ``README.md`` in the folder — the one command to run, and why each setting is what it is.

The settings follow ``docs/where-to-train.md`` §2 (TRL's documented LoRA values
and its starting point for 500–2,000 chat examples):

* LoRA on all linear layers, ``lora_r`` 16, ``lora_alpha`` 32, ``lora_dropout`` 0.05;
  learning rate 2e-4 (LoRA ≈ 10× full fine-tuning) with 5 % warm-up
  (``warmup_steps: 0.05``: transformers 5 reads a value below 1 as a share of the steps);
* **epochs**: 3 below :data:`FEW_EXAMPLES` training records, else 2 (fewer records need
  more passes; 2–3 is the documented range and more over-fits);
* **effective batch** (``per_device_train_batch_size`` × ``gradient_accumulation_steps``):
  8 below :data:`SMALL_BATCH_BELOW` records, else 16 (documented 8–16); the per-device
  batch is 4, or 2 for bases of 7B parameters or more;
* **4-bit** (QLoRA, NF4) for bases of 7B parameters or more, and when the size cannot
  be read from the model name (the safer choice for memory);
* ``assistant_only_loss``: the loss counts the assistant turns only (TRL patches the
  chat templates it knows, Qwen2.5 among them, for this);
* ``max_length``: at least 1,024 (TRL's default), raised to cover the longest record
  (its token count from the export's validation × 1.2, for the base model's tokenizer
  differing from the one counted with, rounded up to a multiple of 256).

``trl sft``'s ``datasets:`` mixture concatenates every entry into the training split, so
``validation.jsonl`` (when the dataset has a validation split) is not listed in it: it
stays beside the data for evaluation after training (the README says so).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.core.atomic import write_bytes_atomic

LOCAL_LORA_TARGET = "local-lora"
# Export targets that are a data format plus a recipe: target -> the format of the data
RECIPE_TARGETS: dict[str, str] = {LOCAL_LORA_TARGET: "trl"}
RECIPE_TITLES: dict[str, str] = {
    LOCAL_LORA_TARGET: "Local LoRA / QLoRA run-ready folder (TRL + PEFT)"
}
TRL_VERSION = "1.16.0"
TRANSFORMERS_VERSION = "5.25.0"
# A small open-weight chat model whose chat template TRL can patch for assistant-only loss
DEFAULT_BASE_MODEL = "Qwen/Qwen2.5-1.5B-Instruct"
RECIPE_FILE = "sft.yaml"
README_FILE = "README.md"
RECIPE_FILES = (RECIPE_FILE, README_FILE)
FEW_EXAMPLES = 1000
SMALL_BATCH_BELOW = 500
QUANTISE_FROM_B = 7.0
OUTPUT_DIR = "lora-out"
_SIZE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*[bB](?![a-zA-Z])")


def format_for(target: str) -> str:
    """The data format an export target writes (a recipe target's, or itself)."""
    return RECIPE_TARGETS.get(target, target)


def base_model_size_b(model: str) -> float | None:
    """Billions of parameters read from a model name ("Qwen2.5-7B-Instruct" -> 7.0).

    The largest ``<number>B`` in the name (a "8x7B" mixture reads 7: the name alone does
    not say more); None when the name has none.
    """
    sizes = [float(m.group(1)) for m in _SIZE.finditer(model.rsplit("/", 1)[-1])]
    return max(sizes) if sizes else None


@dataclass(frozen=True)
class LoraRecipe:
    """The sized settings of one local LoRA run."""

    base_model: str
    size_b: float | None
    load_in_4bit: bool
    epochs: int
    per_device_batch: int
    grad_accum: int
    max_length: int
    train_records: int
    validation_records: int

    @property
    def effective_batch(self) -> int:
        """Examples per optimiser step."""
        return self.per_device_batch * self.grad_accum

    def config(self) -> dict[str, Any]:
        """The ``sft.yaml`` keys and values, in file order."""
        cfg: dict[str, Any] = {
            "model_name_or_path": self.base_model,
            "datasets": [{"path": "json", "data_files": "train.jsonl", "split": "train"}],
            "use_peft": True,
            "lora_r": 16,
            "lora_alpha": 32,
            "lora_dropout": 0.05,
            "lora_target_modules": "all-linear",
            "load_in_4bit": self.load_in_4bit,
        }
        if self.load_in_4bit:
            cfg["bnb_4bit_quant_type"] = "nf4"
        cfg |= {
            "learning_rate": 2.0e-4,
            "num_train_epochs": self.epochs,
            "per_device_train_batch_size": self.per_device_batch,
            "gradient_accumulation_steps": self.grad_accum,
            "warmup_steps": 0.05,
            "lr_scheduler_type": "cosine",
            "max_length": self.max_length,
            "assistant_only_loss": True,
            "gradient_checkpointing": True,
            "logging_steps": 10,
            "save_strategy": "epoch",
            "report_to": "none",
            "seed": 42,
            "output_dir": OUTPUT_DIR,
        }
        return cfg

    def yaml(self) -> str:
        """``sft.yaml``: block YAML whose scalars are JSON (a subset of YAML)."""
        lines = [
            f"# trl sft --config {RECIPE_FILE}   (TRL {TRL_VERSION}, transformers "
            f"{TRANSFORMERS_VERSION}, PEFT); written by the studio, see the README in this folder",
        ]
        for key, value in self.config().items():
            if isinstance(value, list):
                lines.append(f"{key}:")
                for item in value:
                    first = True
                    for k, v in item.items():
                        lines.append(f"  {'- ' if first else '  '}{k}: {json.dumps(v)}")
                        first = False
            else:
                lines.append(f"{key}: {json.dumps(value)}")
        return "\n".join(lines) + "\n"

    def to_json(self) -> dict[str, Any]:
        """What the manifest records of the recipe."""
        return {
            "trl_version": TRL_VERSION,
            "transformers_version": TRANSFORMERS_VERSION,
            "config": RECIPE_FILE,
            "readme": README_FILE,
            "base_model": self.base_model,
            "base_model_size_b": self.size_b,
            "load_in_4bit": self.load_in_4bit,
            "epochs": self.epochs,
            "effective_batch": self.effective_batch,
            "max_length": self.max_length,
            "command": f"trl sft --config {RECIPE_FILE}",
        }


def size_recipe(
    train_records: int,
    *,
    max_tokens: int | None = None,
    validation_records: int = 0,
    base_model: str | None = None,
) -> LoraRecipe:
    """Size the run to the data (the rules are in the module docstring)."""
    model = base_model or DEFAULT_BASE_MODEL
    size = base_model_size_b(model)
    big = size is None or size >= QUANTISE_FROM_B
    per_device = 2 if big else 4
    effective = 8 if train_records < SMALL_BATCH_BELOW else 16
    max_length = 1024
    if max_tokens:
        max_length = max(max_length, 256 * math.ceil(max_tokens * 1.2 / 256))
    return LoraRecipe(
        base_model=model,
        size_b=size,
        load_in_4bit=big,
        epochs=3 if train_records < FEW_EXAMPLES else 2,
        per_device_batch=per_device,
        grad_accum=effective // per_device,
        max_length=max_length,
        train_records=train_records,
        validation_records=validation_records,
    )


def readme(recipe: LoraRecipe, dataset: str, prompt_ref: str) -> str:
    """``README.md`` of the folder: the command, the files, the settings and why."""
    quant = (
        "4-bit QLoRA (NF4): the base has 7B parameters or more"
        if recipe.load_in_4bit and recipe.size_b is not None
        else "4-bit QLoRA (NF4): the base model's size is not in its name"
        if recipe.load_in_4bit
        else "16-bit LoRA: the base is below 7B parameters"
    )
    val = (
        f"- `validation.jsonl` — {recipe.validation_records:,} held-out records, not trained "
        "on (`trl sft`'s `datasets:` list would merge them into training); use them to "
        "check the trained model.\n"
        if recipe.validation_records
        else ""
    )
    batch = (
        f"{recipe.effective_batch} ({recipe.per_device_batch} × {recipe.grad_accum} "
        "accumulation steps)"
    )
    return f"""# Local LoRA fine-tune of {dataset}

Data exported by the studio through `{prompt_ref}`. Run from this folder:

```sh
pip install "trl=={TRL_VERSION}" "transformers=={TRANSFORMERS_VERSION}" peft bitsandbytes
trl sft --config {RECIPE_FILE}
```

The adapter is written to `{OUTPUT_DIR}/`. You own these weights: they are not retired on
a vendor's clock.

## Files

- `train.jsonl` — {recipe.train_records:,} records, `{{"messages": [...]}}` (TRL's
  conversational format; tool-call arguments are JSON objects).
{val}- `{RECIPE_FILE}` — the training config (below).
- `manifest.json` — counts, checksums, the prompt version and the dataset snapshot.

## Settings and why

| setting | value | why |
|---|---|---|
| base model | `{recipe.base_model}` | change `model_name_or_path` to train another |
| quantisation | `load_in_4bit: {json.dumps(recipe.load_in_4bit)}` | {quant} |
| LoRA | r 16, alpha 32, dropout 0.05, all linear layers | TRL's documented LoRA values |
| learning rate | 2e-4, cosine, 5 % warm-up | LoRA ≈ 10× the full fine-tuning rate |
| epochs | {recipe.epochs} | 3 below {FEW_EXAMPLES:,} training records, else 2 |
| effective batch | {batch} | 8 below {SMALL_BATCH_BELOW:,} records, else 16 |
| max length | {recipe.max_length:,} tokens | the longest record × 1.2 (tokenizers differ) |
| loss | assistant turns only | the model learns the answers, not the prompts |

Assistant-only loss needs a chat template TRL {TRL_VERSION} can mark for training (it
patches the templates of Qwen 2.5 and 3, Llama 3, Gemma, Phi-3 and others); if `trl sft`
says the base model's template is not training-compatible, set `assistant_only_loss: false`.

If the GPU runs out of memory, halve `per_device_train_batch_size` and double
`gradient_accumulation_steps` (the effective batch stays the same), or set
`load_in_4bit: true`.
"""


def write_recipe(out_dir: Path, recipe: LoraRecipe, *, dataset: str, prompt_ref: str) -> list[Path]:
    """Write ``sft.yaml`` and ``README.md`` into ``out_dir`` atomically; return their paths."""
    paths = [out_dir / RECIPE_FILE, out_dir / README_FILE]
    write_bytes_atomic(paths[0], recipe.yaml().encode())
    write_bytes_atomic(paths[1], readme(recipe, dataset, prompt_ref).encode())
    return paths
