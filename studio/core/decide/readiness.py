"""Data readiness through the export: what a fine-tune would train on, validated.

Decide does not render or validate training rows by a rule of its own: it runs the
dataset's export (:func:`studio.core.export.export_dataset`, the same renderer, the
prompt's ``response_schema`` and the same validator as ``studio dataset export``) into
a temporary folder and reads the validation report (issue 12, "one route per concept").

* The training examples: approved examples of the train split (every approved example
  while the dataset is not split).
* Rendered through the best measured prompt version; with none, through a plain user
  turn holding the example's input fields (the export's rule for everything else).
* ``keep_failed`` export: files that fail validation (schema misfits included) are kept
  and reported line by line instead of refused, so the errors can be counted.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from studio.core.db.project import Project
from studio.core.decide.wording import num
from studio.core.errors import UserError
from studio.core.export import TRAIN_FILE, export_dataset
from studio.core.export.fit import suggested_template
from studio.core.prompts.records import PromptVersionData
from studio.core.prompts.service import resolve_ref
from studio.core.prompts.spec import Message, PromptSpec

#: The export format the training data is validated in (every chat-shaped target
#: accepts a superset of what OpenAI's supervised format accepts).
VALIDATION_FORMAT = "openai-chat"


@dataclass
class TrainingCheck:
    """What the export of the training examples measured (None: not measured)."""

    tokens_mean: float | None
    tokens_p95: float | None
    tokens_how: str
    errors: int | None
    warnings: int | None
    validation_how: str


def input_only_version(input_fields: list[str]) -> PromptVersionData:
    """A stand-in prompt version: one user turn with the input fields, one per line."""
    fields = input_fields or ["text"]
    spec = PromptSpec(
        messages=(Message("user", "\n".join(f"{{{{{f}}}}}" for f in fields)),), model=""
    )
    return PromptVersionData(
        name="(input text alone)",
        description="",
        version=0,
        spec=spec,
        message="",
        author="",
        created_at=datetime.now(UTC),
        hash="",
        labels=(),
        restored_from=None,
        is_latest=False,
    )


def check_training_data(
    project: Project,
    dataset_id: int,
    examples: int,
    split_known: bool,
    version_ref: str | None,
    input_fields: list[str],
    model: str,
) -> TrainingCheck:
    """Export the training examples as the studio would, validate them, count tokens.

    Args:
        project: the open project.
        dataset_id: the dataset.
        examples: how many training examples there are (for the provenance text).
        split_known: the dataset is split (train only) or not (every approved example).
        version_ref: ``NAME@VERSION`` of the best measured prompt version, or None.
        input_fields: the dataset's input fields (for the stand-in version).
        model: whose tokenizer and limits the validation uses.
    """
    if not examples:
        return TrainingCheck(None, None, "", None, None, "")
    version: PromptVersionData | None = None
    if version_ref is not None:
        try:
            version = resolve_ref(project, version_ref)
        except UserError:
            version = None
    source = (
        f"rendered through {version.ref}"
        if version is not None
        else "input text alone (no measured prompt version to render it)"
    )
    how = f"{num(examples)} approved train examples {source}"
    splits: tuple[str | None, ...] = ("train",) if split_known else (None,)
    with tempfile.TemporaryDirectory(prefix="studio-decide-") as tmp:
        try:
            result = export_dataset(
                project,
                dataset_id,
                VALIDATION_FORMAT,
                version if version is not None else input_only_version(input_fields),
                Path(tmp),
                splits=splits,
                model=model,
                keep_failed=True,
            )
        except UserError:  # nothing could be rendered
            return TrainingCheck(None, None, "", examples, 0, f"{how}: none could be rendered")
    train = next((f for f in result.files if f.role == "train"), None)
    report = train.report if train is not None else None
    if report is None:
        return TrainingCheck(None, None, "", examples, 0, f"{how}: none could be rendered")
    failures = len(result.skipped)
    verdicts: Mapping[str, int] = report.stats.get("verdicts") or {}
    file_errors = sum(1 for f in report.findings if f.line is None and f.severity == "error")
    file_warnings = sum(1 for f in report.findings if f.line is None and f.severity == "warning")
    errors = int(verdicts.get("error", 0)) + file_errors + failures
    warnings = int(verdicts.get("warning", 0)) + file_warnings
    tokens: Mapping[str, Any] = report.stats.get("tokens") or {}
    mean, p95 = tokens.get("mean"), tokens.get("p95")
    exact = "exact" if tokens.get("exact") else "estimated"
    exported = f"exported as {VALIDATION_FORMAT} JSONL ({TRAIN_FILE} of the studio's export)"
    schema = version.spec.response_schema if version is not None else None
    against = " and its response_schema" if schema is not None else ""
    failed = f"; {num(failures)} could not be exported" if failures else ""
    misfits = int(
        ((result.manifest.get("schema_check") or {}).get("validated_after_writing") or {})
        .get(TRAIN_FILE, {})
        .get("schema_errors", 0)
    )
    if misfits and schema is not None:
        failed += (
            f"; {num(misfits)} answers do not fit the response_schema (the export "
            f"refuses them: map labels with an output template such as "
            f"{suggested_template(schema)})"
        )
    return TrainingCheck(
        float(mean) if isinstance(mean, int | float) else None,
        float(p95) if isinstance(p95, int | float) else None,
        f"{how}, {exported}, {exact} {tokens.get('encoding')} counts for {model}",
        errors,
        warnings,
        f"{how}, {exported} and validated for {model}{against}: {num(errors)} examples "
        f"with errors, {num(warnings)} with warnings{failed}",
    )
