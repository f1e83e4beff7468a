"""``studio dataset export``: a dataset rendered through a prompt version, as training files.

``studio dataset export --project FILE NAME --target FORMAT --prompt NAME@VERSION -o DIR
[--validation FRACTION] [--output-template TEXT] [--json]`` writes ``DIR/train.jsonl``,
``DIR/validation.jsonl`` (when there is a validation set) and ``DIR/manifest.json``;
``--json`` prints the manifest.

When the prompt version has a ``response_schema``, every assistant turn must fit it:
otherwise nothing is written and the exit code is 2, naming the first examples (id and
line) and the way out, ``--output-template '{"intent": "{{label}}"}'``, which maps each
example's label into the schema (the template is checked against the schema before
writing). The written files are validated against the schema again and the output says
so.

Exit codes: 0 exported, 1 the written files failed the target's validation (they are
deleted), 2 bad input (unknown dataset, prompt version or target, nothing to export, an
unwritable folder, answers or a template that do not fit the prompt's schema).

The ``dataset`` command group belongs to :mod:`studio.cli.dataset_cmd`, which calls
:func:`register_dataset_export` with its subparsers.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from studio.cli.common import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    add_force_arg,
    add_project_arg,
    eprint,
    fraction_type,
    open_project_arg,
    print_json,
)
from studio.core.export import ExportResult, SchemaMisfitError, export_dataset, schema_sentence
from studio.core.export.local_lora import DEFAULT_BASE_MODEL, RECIPE_FILES, RECIPE_TARGETS
from studio.core.export.run import MANIFEST_FILE, TRAIN_FILE, VALIDATION_FILE
from studio.core.formats import FORMATS

# The files ``export_dataset`` writes into the output folder
EXPORT_FILE_NAMES = (TRAIN_FILE, VALIDATION_FILE, MANIFEST_FILE, *RECIPE_FILES)
# Data formats, and recipe targets (a format plus run-ready files: local-lora)
EXPORT_TARGETS = (*FORMATS, *RECIPE_TARGETS)


def register_dataset_export(dataset_subparsers: Any) -> None:
    """Add ``export`` to the ``dataset`` command group's subparsers."""
    p = dataset_subparsers.add_parser(
        "export",
        help="export a dataset through a prompt version as fine-tuning JSONL",
        description="Render the approved examples of a dataset through a prompt version "
        "into a target's training format, write train/validation files "
        "atomically, re-validate them and write a manifest.",
    )
    add_project_arg(p)
    p.add_argument("name", metavar="NAME", help="dataset name")
    p.add_argument(
        "--target",
        required=True,
        choices=EXPORT_TARGETS,
        metavar="FORMAT",
        help="one of: " + ", ".join(EXPORT_TARGETS) + " (local-lora: TRL data plus a "
        "run-ready `trl sft` config and README)",
    )
    p.add_argument(
        "--base-model",
        metavar="HF_MODEL",
        default=None,
        help=f"local-lora only: the base model of sft.yaml (default {DEFAULT_BASE_MODEL})",
    )
    p.add_argument(
        "--prompt",
        required=True,
        metavar="NAME@VERSION",
        help="the prompt version (NAME@VERSION, NAME@label or NAME)",
    )
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="DIR",
        type=Path,
        help="output folder (created if missing; must be empty unless --force)",
    )
    add_force_arg(p)
    p.add_argument(
        "--validation",
        type=fraction_type("--validation", below_one=True),
        default=None,
        metavar="FRACTION",
        help="share of train carved out as validation when the dataset has no validation split",
    )
    p.add_argument(
        "--output-template",
        metavar="TEXT",
        default=None,
        help="the answer of each labelled example, with {{label}} where its label "
        'goes, e.g. \'{"intent": "{{label}}"}\'; checked against the prompt '
        "version's response_schema before anything is written",
    )
    p.add_argument("--json", action="store_true", help="print the manifest as JSON")
    p.set_defaults(func=run_export)


def run_export(args: argparse.Namespace) -> int:
    """Run the export; exit 0 ok, 1 failed re-validation, 2 bad input."""
    from studio.core.output_paths import check_output_dir

    check_output_dir(args.output, writes=EXPORT_FILE_NAMES, project=args.project, force=args.force)
    project = open_project_arg(args.project)
    try:
        result = export_dataset(
            project,
            args.name,
            args.target,
            args.prompt,
            args.output,
            validation_fraction=args.validation,
            output_template=args.output_template,
            base_model=args.base_model,
        )
    except SchemaMisfitError as exc:
        if args.json:
            print_json(
                {
                    "status": "refused",
                    "error": exc.message,
                    "records": exc.total,
                    "misfits": [m.to_json() for m in exc.misfits[:50]],
                }
            )
        raise
    finally:
        project.close()
    if args.json:
        data = dict(result.manifest)
        if not result.ok:
            data["error"] = result.message
            data["findings"] = {
                f.role: [x.to_json() for x in f.blocking_errors()[:50]]
                for f in result.files
                if f.blocking_errors()
            }
        print_json(data)
    else:
        sys.stdout.write(render_human(result))
    if not result.ok:
        if not args.json:
            eprint(f"studio: {result.message}")
        return EXIT_CHECK_FAILED
    return EXIT_OK


def render_human(result: ExportResult) -> str:
    """A few lines: files with counts and sha256, skipped examples, the manifest path."""
    m = result.manifest
    lines: list[str] = []
    if result.ok:
        lines.append(
            f"Exported {m['dataset']['name']} through {m['prompt']['ref']} to "
            f"{m['target_title']} ({m['format']}):"
        )
    else:
        lines.append(
            f"Export of {m['dataset']['name']} to {m['target_title']} FAILED "
            "validation; the files were deleted."
        )
    for f in result.files:
        verdict = "valid" if not f.blocking_errors() else f"{len(f.blocking_errors())} error(s)"
        lines.append(f"  {f.path}  {f.count:,} records  sha256 {f.sha256[:16]}...  {verdict}")
        if f.blocking_errors():
            for x in f.blocking_errors()[:5]:
                where = f"line {x.line}" if x.line is not None else "file"
                ex = result.example_for_line(f.path, x.line)
                lines.append(
                    f"    {where}"
                    + (f" (example {ex})" if ex else "")
                    + f": [{x.code}] {x.message}"
                )
    counts = m["counts"]
    if counts.get("excluded_test_split"):
        lines.append(
            f"  {counts['excluded_test_split']:,} examples in the test split were not exported."
        )
    skipped = m["skipped"]["by_reason"]
    if skipped:
        lines.append(
            f"  Skipped {counts['skipped']:,} examples: "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(skipped.items()))
        )
        for s in m["skipped"]["examples"][:3]:
            lines.append(f"    {s['message']}")
    src = m["selection"]["validation_source"]
    lines.append(
        "  Validation: "
        + {
            "split": "the dataset's validation split",
            "fraction": f"{m['selection']['validation_fraction']} of train (deterministic)",
            "none": "none",
        }.get(src, src)
    )
    lines += provenance_lines(m)
    check = schema_sentence(m.get("schema_check"))
    if check is not None:
        lines.append(f"  {check}")
    if result.manifest_path is not None:
        lines.append(f"  Manifest: {result.manifest_path}")
    recipe = m.get("recipe")
    if recipe and result.ok:
        lines.append(
            f"  Recipe: {recipe['config']} for TRL {recipe['trl_version']} on "
            f"{recipe['base_model']} ({'4-bit QLoRA' if recipe['load_in_4bit'] else 'LoRA'}, "
            f"{recipe['epochs']} epochs, effective batch {recipe['effective_batch']})"
        )
        lines.append(f"  Run: cd {result.out_dir} && {recipe['command']}  (see README.md)")
    return "\n".join(lines) + "\n"


def provenance_lines(manifest: dict[str, Any]) -> list[str]:
    """Who wrote the exported ideal outputs and how many inputs are synthetic."""
    from studio.core.export.provenance import provenance_sentence

    sentence = provenance_sentence(manifest)
    return [f"  {sentence}"] if sentence else []
