"""Fine-tuning JSONL formats: streaming validation, detection, fixes and export.

Public API::

    validate_file(path, fmt="auto", *, model=None, schema=None, progress=None, cancel=None,
                  max_findings_per_code=1000) -> ValidationReport
    FORMATS: dict[str, FormatSpec]     # openai-chat, openai-dpo, ..., mistral
    fix_file(src, dst, ...) -> FixResult
    write_jsonl_atomic(path, records) -> (count, sha256)
    ChatExample, PreferenceExample, Finding, ValidationReport
"""

from __future__ import annotations

from studio.core.formats.common import (
    ChatExample,
    Finding,
    FixResult,
    FormatSpec,
    PreferenceExample,
    ValidationReport,
    write_jsonl_atomic,
)
from studio.core.formats.detect import choose_format, detect_record
from studio.core.formats.export import export_chat, export_preference
from studio.core.formats.fix import fix_file
from studio.core.formats.registry import FORMATS
from studio.core.formats.validate import validate_file

__all__ = [
    "FORMATS",
    "ChatExample",
    "Finding",
    "FixResult",
    "FormatSpec",
    "PreferenceExample",
    "ValidationReport",
    "choose_format",
    "detect_record",
    "export_chat",
    "export_preference",
    "fix_file",
    "validate_file",
    "write_jsonl_atomic",
]
