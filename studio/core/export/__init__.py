"""Dataset export: render examples through a prompt version into fine-tuning files.

Public API::

    export_dataset(project, dataset, target, prompt, out_dir, *, validation_fraction=None,
                   statuses=("approved",), splits=(None, "train", "validation"),
                   kind=None, preference_sources=("human", "judge"), model=None,
                   output_template=None, progress=None, cancel=None) -> ExportResult
        ExportResult(ok, out_dir, target, kind, files: [FileResult(role, path, count,
            sha256, bytes, example_ids, report)], manifest, manifest_path, skipped,
            message); .line_map(role), .example_for_line(path, line)
    example_to_chat(spec, example) -> ChatExample          (the rendering rule)
    example_to_preference(spec, example, chosen, rejected) -> PreferenceExample
    load_preference_pairs(project, dataset_id, sources) -> PreferencePairs
    carve_validation(dataset_id, train_ids, fraction) -> set[int]
    export_kinds(target) -> tuple of "chat" / "preference" the target supports
    OutputTemplate.parse(text), SchemaMisfitError(misfits, total)   (obey the prompt's schema)

The rendering rule is documented in :mod:`studio.core.export.render`; the steps (select,
assign (:mod:`.selection`), render, write atomically, re-validate, manifest
(:mod:`.manifest`)) in :mod:`studio.core.export.run`.
"""

from __future__ import annotations

from studio.core.export.fit import Misfit, OutputTemplate, SchemaMisfitError, schema_sentence
from studio.core.export.manifest import FileResult
from studio.core.export.preferences import PreferencePair, PreferencePairs, load_preference_pairs
from studio.core.export.render import ExampleSkipped, example_to_chat, example_to_preference
from studio.core.export.run import (
    DEFAULT_SPLITS,
    DEFAULT_STATUSES,
    MANIFEST_FILE,
    TRAIN_FILE,
    VALIDATION_FILE,
    ExportResult,
    export_dataset,
    export_kinds,
)
from studio.core.export.selection import carve_validation

__all__ = [
    "DEFAULT_SPLITS",
    "DEFAULT_STATUSES",
    "MANIFEST_FILE",
    "TRAIN_FILE",
    "VALIDATION_FILE",
    "ExampleSkipped",
    "ExportResult",
    "FileResult",
    "Misfit",
    "OutputTemplate",
    "PreferencePair",
    "PreferencePairs",
    "SchemaMisfitError",
    "carve_validation",
    "example_to_chat",
    "example_to_preference",
    "export_dataset",
    "export_kinds",
    "load_preference_pairs",
    "schema_sentence",
]
