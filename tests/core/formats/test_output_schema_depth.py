"""An assistant output nested deeper than the JSON depth limit is named, not a crash.

The depth check once sat in the shared schema check with names only the validator had, so
the export's pre-write check raised NameError on such an output and the validator reported
``check_failed``. Both now report ``output_not_json`` with the depth.
"""

from __future__ import annotations

import json
from pathlib import Path

from studio.core.formats import validate_file
from studio.core.formats.output_schema import compile_schema, output_schema_problem
from studio.core.json_depth import MAX_DEPTH

SCHEMA = {"type": "object"}
DEEP = "[" * (MAX_DEPTH + 20) + "]" * (MAX_DEPTH + 20)


def test_shared_check_names_the_depth() -> None:
    problem = output_schema_problem(DEEP, compile_schema(SCHEMA))
    assert problem == ("output_not_json", f"is JSON nested more than {MAX_DEPTH} levels deep")


def test_validator_reports_deep_output(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    rows = [
        {
            "messages": [
                {"role": "user", "content": "q"},
                {"role": "assistant", "content": DEEP if i == 0 else "{}"},
            ]
        }
        for i in range(10)
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = validate_file(path, "openai-chat", schema=SCHEMA)
    codes = [(f.line, f.code) for f in report.findings if f.severity == "error"]
    assert codes == [(1, "output_not_json")]
    message = next(f.message for f in report.findings if f.code == "output_not_json")
    assert message == f"Assistant output 1 is JSON nested more than {MAX_DEPTH} levels deep."
