"""Export a dataset through a prompt version to one target's train/validation JSONL.

Steps of :func:`export_dataset`:

1. **Select** the examples: status in ``statuses`` (default: approved only) and split in
   ``splits`` (default: unsplit, train and validation; the test split is never trained
   on unless asked for).
2. **Assign** train and validation: examples in the dataset's validation split form the
   validation file; when no selected example is in it and ``validation_fraction`` is
   given, that share of the train examples is carved out deterministically (examples
   ordered by a hash of dataset id and example id, so the carve-out is stable and does
   not depend on row order).
3. **Render** each example through the prompt version (:mod:`studio.core.export.render`)
   and reshape it with the target's exporter; examples that cannot be exported are
   skipped and listed in the manifest. For preference targets (OpenAI DPO, or
   ``kind="preference"``), the records come from the A/B preferences instead.
   When the prompt version has a ``response_schema``, every record is rendered once
   before writing and its assistant turns are checked against the schema (the output
   template, if any, first): one misfit and nothing is written
   (:mod:`studio.core.export.fit`).
4. **Write** ``train.jsonl`` and ``validation.jsonl`` atomically (temp file + rename).
5. **Re-validate** every written file with the target's validator (and the prompt's
   ``response_schema``; the manifest's ``schema_check`` says so). If a file has an
   error, every file of this export is deleted and the result says why (``ok`` False).
6. **Manifest**: ``manifest.json`` (written last, atomically) holds the counts, sha256
   and size of each file, the prompt version (name, version, hash), the dataset
   snapshot (example count and a hash over the exported ids and their ``updated_at``),
   the target, the studio version, the date, and the example id of every line.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.core.datasets.catalog import get_dataset
from studio.core.db.project import Project
from studio.core.errors import UserError, ValidationError
from studio.core.export import local_lora
from studio.core.export.fit import (
    Misfit,
    OutputTemplate,
    check_template,
    misfits_of,
    parse_template,
    refusal,
    schema_report,
    schema_sentence,
)
from studio.core.export.manifest import (
    FileResult,
    Kind,
    build_manifest,
    write_json_atomic,
)
from studio.core.export.preferences import PreferencePair, load_preference_pairs
from studio.core.export.provenance import provenance_counts
from studio.core.export.render import ExampleSkipped, example_to_chat, example_to_preference
from studio.core.export.selection import examples_by_id, select_examples
from studio.core.formats.common import (
    ChatExample,
    PreferenceExample,
    write_jsonl_atomic,
)
from studio.core.formats.output_schema import compile_schema
from studio.core.formats.registry import FORMATS
from studio.core.formats.validate import validate_file
from studio.core.progress import CancelToken, Progress, ProgressCallback
from studio.core.prompts.records import PromptVersionData
from studio.core.prompts.service import resolve_ref
from studio.core.prompts.spec import PromptSpec

DEFAULT_STATUSES: tuple[str, ...] = ("approved",)
DEFAULT_SPLITS: tuple[str | None, ...] = (None, "train", "validation")
TRAIN_FILE = "train.jsonl"
VALIDATION_FILE = "validation.jsonl"
MANIFEST_FILE = "manifest.json"
# A validation file is not a training file: the minimum-count rule is about training.


@dataclass
class ExportResult:
    """What an export did. ``ok`` False: a file failed re-validation and was deleted."""

    ok: bool
    out_dir: Path
    target: str
    kind: Kind
    files: list[FileResult]
    manifest: dict[str, Any]
    manifest_path: Path | None
    skipped: list[dict[str, Any]] = field(default_factory=list)
    message: str = ""

    def line_map(self, role: str = "train") -> list[int]:
        """Example id of each line (index 0 = line 1) of the ``role`` file."""
        for f in self.files:
            if f.role == role:
                return f.example_ids
        return []

    def example_for_line(self, path: Path, line: int | None) -> int | None:
        """The example id behind ``line`` (1-based) of an exported file, or None."""
        if line is None:
            return None
        for f in self.files:
            if Path(f.path) == Path(path) and 1 <= line <= len(f.example_ids):
                return f.example_ids[line - 1]
        return None


def _remove(paths: Iterable[Path]) -> None:
    for p in paths:
        with contextlib.suppress(OSError):
            p.unlink()


def _prepare_dir(out_dir: Path) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(
            f"Cannot create the output folder {out_dir}: {exc.strerror or exc}.", where=str(out_dir)
        ) from None
    if not out_dir.is_dir():
        raise UserError(f"{out_dir} is not a folder.", where=str(out_dir))
    # An old manifest would describe files this export replaces: remove it first, so a
    # manifest on disk always belongs to a complete export.
    _remove([out_dir / MANIFEST_FILE])


def _resolve_prompt(project: Project, prompt: str | PromptVersionData) -> PromptVersionData:
    if isinstance(prompt, PromptVersionData):
        return prompt
    return resolve_ref(project, prompt)


def _kind_for(target: str, kind: Kind | None) -> Kind:
    spec = FORMATS.get(target)
    if spec is None:
        raise ValidationError(
            f"Unknown export target {target!r}; use one of: {', '.join(FORMATS)}.", where="target"
        )
    if kind is None:
        kind = "chat" if spec.export_chat is not None else "preference"
    if kind == "chat" and spec.export_chat is None:
        raise ValidationError(
            f"{spec.title} takes preference pairs only; export it with kind 'preference'.",
            where="target",
        )
    if kind == "preference" and spec.export_preference is None:
        raise ValidationError(f"{spec.title} has no preference (DPO) format.", where="target")
    return kind


class _Records:
    """Lazily rendered records of one file; records the example id of each line."""

    def __init__(
        self,
        items: Iterable[tuple[int, Callable[[], dict[str, Any]]]],
        skipped: list[dict[str, Any]],
        tick: Callable[[], None],
    ) -> None:
        self.items = items
        self.skipped = skipped
        self.tick = tick
        self.ids: list[int] = []

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for example_id, make in self.items:
            self.tick()
            try:
                record = make()
            except ExampleSkipped as exc:
                self.skipped.append(
                    {"example_id": example_id, "reason": exc.reason, "message": exc.message}
                )
                continue
            except UserError as exc:  # the target's exporter cannot hold this example
                self.skipped.append(
                    {
                        "example_id": example_id,
                        "reason": "target_cannot_hold",
                        "message": f"Example {example_id}: {exc.message}",
                    }
                )
                continue
            self.ids.append(example_id)
            yield record


def _neutral_items(
    project: Project,
    dataset_id: int,
    ids: list[int],
    kind: Kind,
    spec: PromptSpec,
    pairs: dict[int, list[PreferencePair]],
    template: OutputTemplate | None,
) -> Iterator[tuple[int, Callable[[], ChatExample | PreferenceExample]]]:
    """(example id, render) of every record of one file, in line order."""
    if kind == "chat":
        for ex in examples_by_id(project, dataset_id, set(ids)):
            yield ex.id, (lambda ex=ex: example_to_chat(spec, ex, template))  # type: ignore[misc]
        return
    wanted = {i for i in ids if i in pairs}
    for ex in examples_by_id(project, dataset_id, wanted):
        for pair in pairs[ex.id]:
            yield (
                ex.id,
                (
                    lambda ex=ex, pair=pair: example_to_preference(  # type: ignore[misc]
                        spec, ex, pair.chosen, pair.rejected
                    )
                ),
            )


def _schema_misfits(
    project: Project,
    dataset_id: int,
    plan: list[tuple[str, str, list[int]]],
    kind: Kind,
    spec: PromptSpec,
    pairs: dict[int, list[PreferencePair]],
    template: OutputTemplate | None,
    exporter: Callable[..., dict[str, Any]],
    validator: Any,
    cancel: CancelToken | None,
) -> tuple[list[Misfit], int]:
    """Render every record as the writer will and check its assistant turns (no writing).

    Returns the misfits (file and line as they would be written) and the record count.
    """
    misfits: list[Misfit] = []
    records = 0
    for _role, name, ids in plan:
        line = 0
        for _example_id, make in _neutral_items(
            project, dataset_id, ids, kind, spec, pairs, template
        ):
            if cancel is not None and not records % 2000:
                cancel.raise_if_cancelled()
            try:
                neutral = make()
                exporter(neutral)
            except UserError:  # skipped by the writer too (and listed there)
                continue
            line += 1
            records += 1
            misfits += misfits_of(neutral, validator, name, line)
    return misfits, records


def export_dataset(
    project: Project,
    dataset: int | str,
    target: str,
    prompt: str | PromptVersionData,
    out_dir: Path,
    *,
    validation_fraction: float | None = None,
    statuses: tuple[str, ...] = DEFAULT_STATUSES,
    splits: tuple[str | None, ...] = DEFAULT_SPLITS,
    kind: Kind | None = None,
    preference_sources: tuple[str, ...] = ("human", "judge"),
    model: str | None = None,
    output_template: str | None = None,
    keep_failed: bool = False,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    base_model: str | None = None,
) -> ExportResult:
    """Export ``dataset`` rendered through ``prompt`` to ``target`` files in ``out_dir``.

    Args:
        project: the open project.
        dataset: dataset id or name.
        target: a format name of :data:`studio.core.formats.FORMATS` (openai-chat ...).
        prompt: ``NAME@VERSION`` / ``NAME@label`` or a resolved version.
        out_dir: folder for ``train.jsonl``, ``validation.jsonl`` and ``manifest.json``
            (created if missing; files of the same names are replaced).
        validation_fraction: share of train carved out as validation when the dataset
            has no validation split among the selected examples (ignored otherwise).
        statuses: example statuses to export (default approved only).
        splits: splits to export (None = unsplit); test is excluded by default.
        kind: "chat" (supervised) or "preference" (DPO pairs from the A/B preferences);
            default: chat when the target has a chat format, else preference.
        preference_sources: which preferences count ("human", "judge").
        model: the model for the re-validation's token limits (default: the target's).
        output_template: an answer with ``{{label}}`` for labelled examples (see
            :mod:`studio.core.export.fit`); checked against the prompt's response schema.
        keep_failed: keep files that fail re-validation (no manifest is written), and
            write answers that do not fit the prompt's response schema instead of refusing
            (the re-validation lists them by line); the Validate view and Decide's
            readiness check use this to show what is wrong with a dataset's export.
        progress: called with examples done / selected.
        cancel: checked between examples; cancelling removes the partial export.
        base_model: the base model of a recipe target (``local-lora``: the
            ``model_name_or_path`` of its ``sft.yaml``; default a small open-weight model).

    Returns:
        The result; ``ok`` False when a written file failed re-validation (its files are
        deleted and ``message`` says why).

    Raises:
        UserError: unknown dataset, prompt version or target, a bad fraction, nothing to
            export, or a folder that cannot be written; an output template that does not
            fit the prompt's response schema.
        SchemaMisfitError: the prompt version has a ``response_schema`` and some
            assistant turn would not fit it (nothing is written).
        CancelledError: ``cancel`` was triggered (nothing is left behind).
    """
    out_dir = Path(out_dir)
    # A recipe target (local-lora) writes a data format plus its run-ready files
    recipe_target = target if target in local_lora.RECIPE_TARGETS else None
    target = local_lora.format_for(target)
    kind = _kind_for(target, kind)
    fmt = FORMATS[target]
    if validation_fraction is not None and not 0.0 <= validation_fraction < 1.0:
        raise ValidationError(
            f"The validation fraction must be at least 0 and below 1, not {validation_fraction}.",
            where="validation",
        )
    template = parse_template(output_template)
    info = get_dataset(project, dataset)
    version = _resolve_prompt(project, prompt)
    schema = version.spec.response_schema
    try:
        validator = compile_schema(schema)
    except UserError as exc:
        why = exc.message.removeprefix("The output JSON Schema is invalid: ")
        raise ValidationError(
            f"The response_schema of {version.ref} is not a valid JSON Schema, so the export "
            f"cannot check its answers: {why}",
            where="response_schema",
        ) from None
    sel = select_examples(project, info.id, statuses, splits, validation_fraction, cancel)
    if sel.count == 0:
        raise UserError(
            f'Dataset "{info.name}" has no examples to export with status '
            f"{' or '.join(statuses) or '(none)'}"
            + (
                f" ({sel.excluded_test} are in the test split, which is not exported)"
                if sel.excluded_test
                else ""
            )
            + ".",
            where="dataset",
        )
    pairs_info = None
    pairs: dict[int, list[PreferencePair]] = {}
    if kind == "preference":
        pairs_info = load_preference_pairs(project, info.id, preference_sources)
        for pair in pairs_info.pairs:
            pairs.setdefault(pair.example_id, []).append(pair)
        if not any(i in pairs for i in sel.train + sel.validation):
            raise UserError(
                f'Dataset "{info.name}" has no usable A/B preferences for the selected '
                "examples; record preferences in an A/B comparison first.",
                where="dataset",
            )

    exporter = fmt.export_chat if kind == "chat" else fmt.export_preference
    assert exporter is not None
    plan = [("train", TRAIN_FILE, sel.train), ("validation", VALIDATION_FILE, sel.validation)]
    checked = 0
    if validator is not None and schema is not None and template is not None:
        check_template(template, validator, sel.first_label or "example_label", schema, version.ref)
    if validator is not None and schema is not None and not keep_failed:
        # The prompt fixes the answer's shape: check it all before anything is written.
        # (keep_failed writes anyway: the re-validation then shows each misfit's line.)
        misfits, checked = _schema_misfits(
            project, info.id, plan, kind, version.spec, pairs, template, exporter, validator, cancel
        )
        if misfits:
            raise refusal(misfits, checked, schema, version.ref, template)
    _prepare_dir(out_dir)
    total = len(sel.train) + len(sel.validation)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if done % 256 == 0 or done == total:
            if cancel is not None:
                cancel.raise_if_cancelled()
            if progress is not None:
                progress(Progress(done, total, f"{done:,} of {total:,} examples"))

    skipped: list[dict[str, Any]] = []
    written: list[FileResult] = []
    try:
        for role, name, ids in plan:
            path = out_dir / name
            if not ids:
                if role == "validation":
                    _remove([path])  # a stale file from an earlier export
                continue
            items = (
                (i, lambda make=make: exporter(make()))
                for i, make in _neutral_items(
                    project, info.id, ids, kind, version.spec, pairs, template
                )
            )
            records = _Records(items, skipped, tick)
            count, digest = write_jsonl_atomic(path, records)
            if count == 0:
                _remove([path])
                continue
            written.append(FileResult(role, path, count, digest, path.stat().st_size, records.ids))
    except BaseException:
        _remove(f.path for f in written)
        raise

    if not any(f.role == "train" for f in written):
        _remove(f.path for f in written)
        reasons = ", ".join(sorted({s["reason"] for s in skipped})) or "nothing selected"
        raise UserError(
            f'Nothing from dataset "{info.name}" could be exported to '
            f"{fmt.title} (skipped: {reasons})."
            + (f" First: {skipped[0]['message']}" if skipped else ""),
            where="dataset",
        )

    # Re-validate what was written, with the target's own validator and the prompt's
    # response schema (the export checks its own files against the schema by itself).
    try:
        for f in written:
            if progress is not None:
                progress(Progress(total, total, f"Validating {f.path.name}"))
            f.report = validate_file(f.path, target, model=model, schema=schema, cancel=cancel)
    except BaseException:
        _remove(f.path for f in written)
        raise
    failing = [f for f in written if f.blocking_errors()]

    manifest = build_manifest(
        info.id,
        info.name,
        version,
        target,
        kind,
        sel,
        written,
        skipped,
        validation_fraction,
        statuses,
        splits,
        pairs_info,
    )
    manifest["schema_check"] = schema_report(
        version.ref, schema, template, checked, {f.path.name: f.report for f in written}
    )
    manifest["provenance"] = provenance_counts(
        project, info.id, [i for f in written for i in f.example_ids]
    )
    if recipe_target is not None and not failing:
        try:
            _add_recipe(
                manifest, recipe_target, written, out_dir, info.name, version.ref, base_model
            )
        except BaseException:
            _remove(f.path for f in written)
            raise
    if failing:
        if not keep_failed:
            _remove(f.path for f in written)
        first = failing[0].blocking_errors()[0]
        where = f"{failing[0].path.name}" + (f" line {first.line}" if first.line else "")
        message = (
            f"The export failed {fmt.title} validation"
            + (" (files kept for inspection)" if keep_failed else " and was deleted")
            + ": "
            f"{sum(len(f.blocking_errors()) for f in failing)} error(s); first at "
            f"{where}: {first.message}"
        )
        manifest["status"] = "failed_validation"
        return ExportResult(
            False, out_dir, recipe_target or target, kind, written, manifest, None, skipped, message
        )
    manifest_path = out_dir / MANIFEST_FILE
    write_json_atomic(manifest_path, manifest)
    checked_text = schema_sentence(manifest["schema_check"])
    return ExportResult(
        True,
        out_dir,
        recipe_target or target,
        kind,
        written,
        manifest,
        manifest_path,
        skipped,
        f"Exported {sum(f.count for f in written):,} records to {out_dir}."
        + (f" {checked_text}" if checked_text else "")
        + (
            f" Run: cd {out_dir} && {manifest['recipe']['command']}" if "recipe" in manifest else ""
        ),
    )


def _add_recipe(
    manifest: dict[str, Any],
    recipe_target: str,
    written: list[FileResult],
    out_dir: Path,
    dataset: str,
    prompt_ref: str,
    base_model: str | None,
) -> None:
    """Write a recipe target's run-ready files and record them in the manifest."""
    train = next(f for f in written if f.role == "train")
    val = next((f.count for f in written if f.role == "validation"), 0)
    tokens = ((train.report.stats.get("tokens") or {}) if train.report else {}).get("max")
    recipe = local_lora.size_recipe(
        train.count, max_tokens=tokens, validation_records=val, base_model=base_model
    )
    local_lora.write_recipe(out_dir, recipe, dataset=dataset, prompt_ref=prompt_ref)
    manifest["data_format"] = manifest["target"]
    manifest["target"] = recipe_target
    manifest["target_title"] = local_lora.RECIPE_TITLES[recipe_target]
    manifest["recipe"] = recipe.to_json()


def export_kinds(target: str) -> tuple[Kind, ...]:
    """What ``target`` can hold: ("chat",), ("preference",) or both."""
    spec = FORMATS.get(local_lora.format_for(target))
    if spec is None:
        return ()
    kinds: list[Kind] = []
    if spec.export_chat is not None:
        kinds.append("chat")
    if spec.export_preference is not None:
        kinds.append("preference")
    return tuple(kinds)
