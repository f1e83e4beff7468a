"""Import keeps every ideal output as the user wrote it (ISSUE-10 §1)."""

from __future__ import annotations

import csv
import io

from studio.core.datasets import ImportMapping, import_file, iter_examples

EXTRACTION = ImportMapping(input_fields=["text"], output_field="ideal", task_type="extraction")
SPELLINGS = [
    '{"intents": ["booking", "change"]}',
    '{"intents":["booking","change"]}',
    '{\n  "intents": [ "booking" ],\n  "n": 1.0\n}',
    '  {"b": 1e0, "a": "ünï"}  ',
]


def test_csv_json_ideals_are_stored_verbatim(project, write) -> None:  # type: ignore[no-untyped-def]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["text", "ideal"])
    for i, ideal in enumerate(SPELLINGS):
        w.writerow([f"row {i}", ideal])
    path = write("ideals.csv", buf.getvalue())
    res = import_file(project, path, "json-task", EXTRACTION)
    assert res.imported == len(SPELLINGS) and res.rejected == []
    rows = list(iter_examples(project, res.dataset_id))
    assert [r.ideal_output for r in rows] == SPELLINGS
    assert {r.output_kind for r in rows} == {"json"}


def test_jsonl_string_ideals_verbatim_and_inline_objects_in_common_spelling(
    project,
    write,  # type: ignore[no-untyped-def]
) -> None:
    path = write(
        "ideals.jsonl",
        '{"text": "a", "ideal": "{\\"intents\\":[\\"booking\\"]}"}\n'
        '{"text": "b", "ideal": {"intents": ["booking", "change"], "note": "ü"}}\n'
        '{"text": "c", "ideal": {"z":1,"a":[true,null]}}\n',
    )
    res = import_file(project, path, "json-task", EXTRACTION)
    a, b, c = iter_examples(project, res.dataset_id)
    assert a.ideal_output == '{"intents":["booking"]}'  # the string, character for character
    assert b.ideal_output == '{"intents": ["booking", "change"], "note": "ü"}'
    assert c.ideal_output == '{"z": 1, "a": [true, null]}'  # key order kept


def test_invalid_json_ideal_is_still_rejected(project, write) -> None:  # type: ignore[no-untyped-def]
    path = write("bad.csv", 'text,ideal\nx,"{intents: 1}"\ny,"{""ok"": 1}"\n')
    res = import_file(project, path, "json-task", EXTRACTION)
    assert res.imported == 1 and len(res.rejected) == 1
    assert "not valid JSON" in str(res.rejected[0])
