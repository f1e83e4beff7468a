"""What an export wrote, and ``manifest.json``: the record that lets anyone check it.

Step 6 of :func:`studio.core.export.run.export_dataset`: the manifest (written last,
atomically) holds the counts, sha256 and size of each file, the prompt version (name,
version, hash), the dataset snapshot (example count and a hash over the exported ids and
their ``updated_at``), the target, the studio version, the date, and the example id of
every line.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from studio import __version__
from studio.core.atomic import write_bytes_atomic
from studio.core.export.selection import Selected
from studio.core.formats.common import ValidationReport
from studio.core.formats.registry import FORMATS
from studio.core.prompts.records import PromptVersionData

Kind = Literal["chat", "preference"]
# Findings that never fail the small validation file.
VALIDATION_FILE_EXEMPT = frozenset({"too_few_examples"})
MAX_SKIPPED_LISTED = 50


@dataclass
class FileResult:
    """One written (and re-validated) file."""

    role: str  # "train" or "validation"
    path: Path
    count: int
    sha256: str
    bytes: int
    example_ids: list[int]
    report: ValidationReport | None = None

    def blocking_errors(self) -> list[Any]:
        """The errors that fail the export (the validation file may be small)."""
        if self.report is None:
            return []
        exempt = VALIDATION_FILE_EXEMPT if self.role == "validation" else frozenset()
        return [f for f in self.report.findings if f.severity == "error" and f.code not in exempt]


def write_json_atomic(path: Path, data: dict[str, Any]) -> str:
    payload = (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()
    write_bytes_atomic(path, payload)
    return hashlib.sha256(payload).hexdigest()


def build_manifest(
    dataset_id: int,
    dataset_name: str,
    version: PromptVersionData,
    target: str,
    kind: Kind,
    sel: Selected,
    written: list[FileResult],
    skipped: list[dict[str, Any]],
    fraction: float | None,
    statuses: tuple[str, ...],
    splits: tuple[str | None, ...],
    pairs_info: Any,
) -> dict[str, Any]:
    fmt = FORMATS[target]
    files: dict[str, Any] = {}
    for f in written:
        report = f.report
        files[f.role] = {
            "path": f.path.name,
            "records": f.count,
            "sha256": f.sha256,
            "bytes": f.bytes,
            "validation": None
            if report is None
            else {
                "valid": not f.blocking_errors(),
                "errors": sum(1 for x in report.findings if x.severity == "error"),
                "warnings": sum(1 for x in report.findings if x.severity == "warning"),
                "findings_by_code": report.stats.get("findings_by_code", {}),
                "tokens": (report.stats.get("tokens") or {}).get("total"),
            },
        }
    reasons: dict[str, int] = {}
    for s in skipped:
        reasons[s["reason"]] = reasons.get(s["reason"], 0) + 1
    manifest: dict[str, Any] = {
        "status": "ok",
        "studio_version": __version__,
        "created_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "target": target,
        "target_title": fmt.title,
        "format": kind,
        "counts": {
            "selected": sel.count,
            "train": next((f.count for f in written if f.role == "train"), 0),
            "validation": next((f.count for f in written if f.role == "validation"), 0),
            "skipped": len(skipped),
            "excluded_test_split": sel.excluded_test,
        },
        "files": files,
        "prompt": {
            "name": version.name,
            "version": version.version,
            "ref": version.ref,
            "hash": version.hash,
            "model": version.spec.model,
        },
        "dataset": {
            "id": dataset_id,
            "name": dataset_name,
            "snapshot": {
                "examples": sel.count,
                "hash": sel.snapshot,
                "hash_of": "sha256 over 'id<TAB>updated_at<LF>' of the selected "
                "examples in id order",
            },
        },
        "selection": {
            "statuses": list(statuses),
            "splits": list(splits),
            "validation_source": sel.validation_source,
            "validation_fraction": fraction,
        },
        "skipped": {"by_reason": reasons, "examples": skipped[:MAX_SKIPPED_LISTED]},
        "lines": {f.role: f.example_ids for f in written},
    }
    if pairs_info is not None:
        with_pairs = {p.example_id for p in pairs_info.pairs}
        manifest["preferences"] = {
            "pairs": len(pairs_info.pairs),
            "left_out": dict(pairs_info.left_out),
            "selected_examples_without_pairs": sum(
                1 for i in sel.train + sel.validation if i not in with_pairs
            ),
        }
    return manifest
