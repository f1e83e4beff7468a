"""Exports obey the prompt: a response_schema binds every assistant turn written."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from helpers.export_project import (
    INTENT_LABELS,
    INTENT_SCHEMA,
    INTENT_TEXTS,
    INTENTS_DATASET,
)

from studio.core.db.project import Project
from studio.core.errors import ValidationError
from studio.core.export import OutputTemplate, SchemaMisfitError, export_dataset
from studio.core.export.fit import suggested_template

REF = "intents@1"
GOOD = '{"intent": "{{label}}", "confidence": 1.0}'


def _answers(path: Path) -> list[str]:
    return [
        json.loads(line)["messages"][-1]["content"]
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


def test_bare_labels_are_refused_and_nothing_is_written(
    schema_project: Project, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    with pytest.raises(SchemaMisfitError) as info:
        export_dataset(schema_project, INTENTS_DATASET, "openai-chat", REF, out)
    err = info.value
    # every one of the 15 records (12 train, 3 validation) holds a bare label
    assert err.total == 15 and len(err.misfits) == 15
    first = err.misfits[0]
    assert (first.file, first.line) == ("train.jsonl", 1)
    assert "example 1 (train.jsonl line 1)" in err.message
    assert "'card_arrival' is not JSON" in err.message
    assert "nothing was written" in err.message
    assert "--output-template" in err.message and "Output template" in err.message
    assert suggested_template(INTENT_SCHEMA) in err.message
    assert not out.exists()


def test_refusal_leaves_an_earlier_export_alone(schema_project: Project, tmp_path: Path) -> None:
    export_dataset(
        schema_project, INTENTS_DATASET, "openai-chat", REF, tmp_path, output_template=GOOD
    )
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(SchemaMisfitError):
        export_dataset(schema_project, INTENTS_DATASET, "openai-chat", REF, tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


@pytest.mark.parametrize(
    ("template", "needle"),
    [
        ('{"intent": "{{label}}"}', "'confidence' is a required property"),
        ('{"intent": {{label}}, "confidence": 1}', "Put {{label}} inside quotes"),
        ('{"intent": "{{label}}", "confidence": "high"}', "'high' is not of type 'number'"),
    ],
)
def test_a_template_that_breaks_the_schema_is_refused_before_writing(
    schema_project: Project, tmp_path: Path, template: str, needle: str
) -> None:
    out = tmp_path / "out"
    with pytest.raises(ValidationError) as info:
        export_dataset(
            schema_project, INTENTS_DATASET, "openai-chat", REF, out, output_template=template
        )
    assert not isinstance(info.value, SchemaMisfitError)
    message = info.value.message
    assert "does not fit the response_schema of intents@1" in message
    assert "label 'card_arrival'" in message and needle in message
    assert not out.exists()


@pytest.mark.parametrize(
    ("template", "needle"),
    [
        ('{"intent": "card_arrival"}', "has no {{label}}"),
        ('{"intent": "{{label}}", "why": "{{reason}}"}', "{{reason}}"),
    ],
)
def test_template_placeholders_are_checked(template: str, needle: str) -> None:
    with pytest.raises(ValidationError, match=None) as info:
        OutputTemplate.parse(template)
    assert needle in info.value.message


def test_a_label_is_escaped_as_json_string_content() -> None:
    t = OutputTemplate.parse('{"intent": "{{ label }}"}')
    assert json.loads(t.render('say "hi"\\now')) == {"intent": 'say "hi"\\now'}


def test_a_fitting_template_writes_files_every_line_of_which_validates(
    schema_project: Project, tmp_path: Path
) -> None:
    result = export_dataset(
        schema_project, INTENTS_DATASET, "openai-chat", REF, tmp_path, output_template=GOOD
    )
    assert result.ok
    expected = {
        "train.jsonl": [lab for _, lab in INTENT_TEXTS],
        "validation.jsonl": list(INTENT_LABELS),
    }
    for name, labels in expected.items():
        answers = _answers(tmp_path / name)
        # independently of the studio: jsonschema on every assistant answer written
        for answer in answers:
            jsonschema.validate(json.loads(answer), INTENT_SCHEMA)
        assert [json.loads(a)["intent"] for a in answers] == labels
        assert all(json.loads(a)["confidence"] == 1.0 for a in answers)
    check = result.manifest["schema_check"]
    assert check["schema"] == "response_schema of intents@1"
    assert check["output_template"] == GOOD
    assert check["checked_before_writing"] == 15
    assert check["validated_after_writing"] == {
        "train.jsonl": {"lines": 12, "schema_errors": 0},
        "validation.jsonl": {"lines": 3, "schema_errors": 0},
    }
    assert check["valid"] is True
    assert "Validated the written files against the response_schema of intents@1" in result.message
    on_disk = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert on_disk["schema_check"] == check


def test_keep_failed_writes_and_lists_every_misfit_by_line(
    schema_project: Project, tmp_path: Path
) -> None:
    # the Validate view (and Decide's readiness) want to see what is wrong, line by line
    result = export_dataset(
        schema_project, INTENTS_DATASET, "openai-chat", REF, tmp_path, keep_failed=True
    )
    assert not result.ok
    train = result.files[0]
    assert train.report is not None
    lines = sorted(f.line for f in train.report.findings if f.code == "output_not_json")
    assert lines == list(range(1, 13))
    assert result.manifest["schema_check"]["validated_after_writing"]["train.jsonl"] == {
        "lines": 12,
        "schema_errors": 12,
    }
    assert result.manifest["schema_check"]["valid"] is False


def test_a_prompt_without_schema_says_so(export_project: Project, tmp_path: Path) -> None:
    result = export_dataset(export_project, "support answers", "openai-chat", "support@1", tmp_path)
    assert result.ok
    assert result.manifest["schema_check"]["schema"] is None
    assert "no response_schema" in result.manifest["schema_check"]["note"]
