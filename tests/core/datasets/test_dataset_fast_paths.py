"""The fast paths of bulk import and bulk edits give exactly what the plain paths give.

* Import binds only the per-row values (RowConverter) and writes the constant ones as
  SQL literals: the stored rows equal :func:`convert_record` for every kind of record.
* A bulk label in a classification dataset writes its history (label, ideal output,
  output kind) in one pass and undo restores every field in one pass: undo and redo
  must still give back the exact rows, including ones whose ideal output differed
  from the label, whose label already was the new one, or whose output was JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import text

from studio.core.datasets import (
    ExampleFilter,
    ImportMapping,
    add_example,
    create_dataset,
    example_history,
    import_file,
    query_ids,
    redo,
    set_label,
    set_status,
    undo,
    update_example,
)
from studio.core.datasets.importing import _sql_literal, insert_sql
from studio.core.datasets.mapping import (
    ROW_COLUMNS,
    ConvertContext,
    RowConverter,
    RowError,
    convert_record,
)
from studio.core.db.project import Project

COLUMNS = (
    "id, dataset_id, input_json, system_prompt, conversation_json, tools_json, output_kind, "
    "ideal_output, status, label, tags, rating, notes, split, split_locked, source, "
    "source_line, norm_hash, search_text"
)


def rows_of(project: Project, dataset_id: int) -> list[tuple[Any, ...]]:
    # plain SQL on the project's own connection (either backend), not the services
    with project.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                text(f"SELECT {COLUMNS} FROM example WHERE dataset_id = :d ORDER BY id"),
                {"d": dataset_id},
            )
        ]


# -- import --------------------------------------------------------------------------

RECORDS: list[dict[str, Any]] = [
    {
        "text": "Hello there",
        "category": "greet",
        "status": "approved",
        "split": "val",
        "tags": "a, b",
        "rating": "4",
        "notes": "n",
    },
    {
        "text": "  Straße  CAFÉ ",
        "category": " lbl ",
        "status": "",
        "split": "",
        "tags": ["x", "y"],
        "rating": "",
        "notes": None,
    },
    {
        "text": {"nested": [1, 2]},
        "category": 7,
        "status": "Needs Review",
        "split": "test",
        "tags": "",
        "rating": 2.0,
        "notes": "n2",
    },
    {"text": "x", "category": "y" * 201},
    {"text": "", "category": "a"},
    {"category": "a"},
    {"text": "bad status", "category": "a", "status": "weird"},
    {"text": "bad rating", "category": "a", "rating": "9"},
]
CHAT_RECORDS: list[dict[str, Any]] = [
    {
        "messages": [
            {"role": "system", "content": "sys"},
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "yo"},
        ]
    },
    {
        "messages": [
            {"role": "user", "content": "fc"},
            {
                "role": "assistant",
                "content": None,
                "function_call": {"name": "g", "arguments": "{}"},
            },
        ],
        "functions": [{"name": "g"}],
    },
    {"messages": []},
]


def outcome(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except RowError as exc:
        return ("error", str(exc))


@pytest.mark.parametrize(
    ("mapping", "kind", "task", "records"),
    [
        (
            ImportMapping(
                input_fields=["text"],
                label_field="category",
                status_field="status",
                split_field="split",
                tags_field="tags",
                rating_field="rating",
                notes_field="notes",
                task_type="classification",
            ),
            "records",
            "classification",
            RECORDS,
        ),
        (
            ImportMapping(
                input_fields=["text"], label_field="category", task_type="classification"
            ),
            "table",
            "classification",
            RECORDS,
        ),
        (
            ImportMapping(
                input_fields=["text", "category"],
                output_field="notes",
                variable_names={"text": "t"},
            ),
            "records",
            "generation",
            RECORDS,
        ),
        (ImportMapping(input_fields=[], task_type="chat"), "chat", "chat", CHAT_RECORDS),
    ],
)
def test_row_converter_gives_what_convert_record_gives(
    mapping: ImportMapping, kind: str, task: str, records: list[dict[str, Any]]
) -> None:
    ctx = ConvertContext(mapping, kind, task, "f.jsonl")
    convert = RowConverter(ctx)
    assert set(convert.columns) | set(convert.constants) | {"dataset_id"} == set(ROW_COLUMNS)
    assert not set(convert.columns) & set(convert.constants)
    for line, record in enumerate(records, start=1):
        expected = outcome(convert_record, record, ctx)
        got = outcome(convert, record, line)
        if isinstance(expected, tuple):
            assert got == expected, record
            continue
        full = {**expected, **convert.constants, **dict(zip(convert.columns, got, strict=True))}
        assert full == {**expected, "source_line": line}, record


def test_constants_are_written_as_safe_literals() -> None:
    assert _sql_literal(None) == "NULL" and _sql_literal(0) == "0" and _sql_literal(True) == "TRUE"
    assert _sql_literal("it's ? :x") == "'it''s ? :x'"
    with pytest.raises(TypeError):
        _sql_literal("nul\x00")
    with pytest.raises(TypeError):
        _sql_literal(1.5)
    sql = insert_sql(("a", "b"), {"source": "o'k.csv", "rating": None})
    assert sql == "INSERT INTO example (a, b, source, rating) VALUES (?, ?, 'o''k.csv', NULL)"


def test_import_of_a_file_with_quotes_in_its_name(project: Project, write: Any) -> None:
    path = write("it's ? 100%.csv", "text,category\nfirst,a\nsecond,b\n")
    res = import_file(
        project,
        path,
        "q",
        ImportMapping(input_fields=["text"], label_field="category", task_type="classification"),
    )
    assert res.imported == 2 and res.dataset_id is not None
    rows = rows_of(project, res.dataset_id)
    assert [(r[15], r[16], r[9], r[7]) for r in rows] == [
        ("it's ? 100%.csv", 2, "a", "a"),
        ("it's ? 100%.csv", 3, "b", "b"),
    ]
    assert {(r[8], r[10], r[11], r[12], r[13], r[14]) for r in rows} == {
        ("needs_review", "", None, "", None, 0)
    }


# -- bulk label: history and undo/redo are exact -------------------------------------


@pytest.fixture
def mixed(project: Project, write: Any) -> int:
    """A classification dataset whose rows cover every case of a bulk label."""
    path = write(
        "m.csv",
        "text,category\nsame as new,apple\nlabel differs,cherry\nideal differs,cherry\n"
        "ideal is new,cherry\nunlabelled,\njson output,cherry\n",
    )
    res = import_file(
        project,
        path,
        "mixed",
        ImportMapping(input_fields=["text"], label_field="category", task_type="classification"),
    )
    assert res.dataset_id is not None
    ids = query_ids(project, res.dataset_id)
    update_example(project, ids[2], ideal_output="something else")
    update_example(project, ids[3], ideal_output="apple")
    update_example(project, ids[5], ideal_output={"a": 1})
    set_status(project, res.dataset_id, [ids[0]], "approved")
    return res.dataset_id


def test_bulk_label_history_and_undo_redo_are_exact(project: Project, mixed: int) -> None:
    ids = query_ids(project, mixed)
    before = rows_of(project, mixed)
    changes = set_label(project, mixed, ExampleFilter(), "apple")
    assert changes.example_ids == tuple(ids[1:])  # the first already had the label
    after = rows_of(project, mixed)
    assert {(r[9], r[7], r[6]) for r in after} == {("apple", "apple", "text")}
    # one history row per field that changed, with the old value
    fields = {
        i: {
            (h.field, orjson.dumps(h.before).decode())
            for h in example_history(project, i)
            if h.op_id == changes.op_id
        }
        for i in ids
    }
    assert fields[ids[0]] == set()
    assert fields[ids[1]] == {("label", '"cherry"'), ("ideal_output", '"cherry"')}
    assert fields[ids[2]] == {("label", '"cherry"'), ("ideal_output", '"something else"')}
    assert fields[ids[3]] == {("label", '"cherry"')}
    # the row had no ideal output: the label set by a person makes it a human-written one
    assert fields[ids[4]] == {("label", "null"), ("ideal_output", "null"), ("ideal_source", '""')}
    assert fields[ids[5]] == {
        ("label", '"cherry"'),
        ("ideal_output", '"{\\"a\\":1}"'),
        ("output_kind", '"json"'),
    }
    # one example's rows keep their order: label first, then what follows from it
    hist = [h.field for h in reversed(example_history(project, ids[5])) if h.op_id == changes.op_id]
    assert hist == ["label", "ideal_output", "output_kind"]

    undone = undo(project, mixed)
    assert undone is not None and undone.changes.example_ids == tuple(ids[1:])
    assert {"label", "ideal_output", "output_kind"} <= undone.changes.fields
    restored = rows_of(project, mixed)
    assert restored == before
    redone = redo(project, mixed)
    assert redone is not None
    assert rows_of(project, mixed) == after
    undo(project, mixed)
    assert rows_of(project, mixed) == before


def test_bulk_label_with_nothing_to_change_records_nothing(project: Project, mixed: int) -> None:
    ids = query_ids(project, mixed)
    assert set_label(project, mixed, [ids[0]], "apple").op_id is None
    changed = set_label(project, mixed, [ids[0], ids[1]], "apple")
    assert changed.example_ids == (ids[1],)


def test_undo_of_a_single_edit_touches_only_its_example(project: Project) -> None:
    ds = create_dataset(project, "gen", "generation", input_fields=["text"]).id
    a = add_example(project, ds, {"text": "a"}, ideal_output="x").example_ids[0]
    b = add_example(project, ds, {"text": "b"}, ideal_output="y").example_ids[0]
    before = rows_of(project, ds)
    update_example(project, a, ideal_output="z", notes="checked", rating=3)
    undo(project, ds)
    now = rows_of(project, ds)
    assert now == before and {r[0] for r in now} == {a, b}


# -- migrations: revisions read without Alembic ---------------------------------------


def test_revisions_read_from_the_scripts_match_alembic() -> None:
    from studio.core.db import migrate

    scanned = migrate.scan_revisions()
    assert scanned is not None
    scripts = migrate.script_directory()
    assert scanned == (
        frozenset(r.revision for r in scripts.walk_revisions()),
        scripts.get_current_head(),
    )
    assert migrate.head_revision() == scripts.get_current_head()


def test_scan_gives_up_when_unsure(tmp_path: Path) -> None:
    from studio.core.db import migrate

    assert migrate.scan_revisions(tmp_path) is None  # no scripts
    (tmp_path / "a.py").write_text("revision = 'a'\ndown_revision = None\n")
    (tmp_path / "b.py").write_text("revision: str = 'b'\ndown_revision: str | None = 'a'\n")
    assert migrate.scan_revisions(tmp_path) == (frozenset({"a", "b"}), "b")
    (tmp_path / "c.py").write_text("revision = 'c'\ndown_revision = 'a'\n")  # two heads
    assert migrate.scan_revisions(tmp_path) is None
    (tmp_path / "d.py").write_text("revision = 'd'\ndown_revision = ('b', 'c')\n")  # merge
    assert migrate.scan_revisions(tmp_path) == (frozenset("abcd"), "d")
    (tmp_path / "e.py").write_text("REVISION = compute()\n")
    assert migrate.scan_revisions(tmp_path) is None


def test_opening_a_current_project_imports_neither_alembic_nor_sqlmodel(tmp_path: Path) -> None:
    import subprocess
    import sys

    from studio.core.db.project import new_project

    path = tmp_path / "p.studio"
    new_project(path).close()
    code = (
        "import sys\n"
        "from studio.core.db.project import open_project\n"
        f"open_project({str(path)!r}).close()\n"
        "print(sorted(m for m in ('alembic', 'sqlmodel', 'jsonschema', 'yaml') "
        "if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]"
