"""Import: formats, encodings, mapping, rejected rows, duplicates, all-or-nothing, cancel."""

from __future__ import annotations

import time
from pathlib import Path

import orjson
import pytest

from studio.core.datasets import (
    ImportMapping,
    auto_mapping,
    get_example,
    import_file,
    iter_examples,
    preview_file,
    query_ids,
    redo,
    undo,
)
from studio.core.datasets.file_format import MAX_LINE_BYTES
from studio.core.errors import CancelledError, UserError, ValidationError
from studio.core.progress import CancelToken, Progress

CSV_MAPPING = ImportMapping(
    input_fields=["text"], label_field="category", task_type="classification"
)


def test_banking77_preview_maps_text_and_category(banking77_dir: Path) -> None:
    pv = preview_file(banking77_dir / "train.csv", n=5)
    assert (pv.format, pv.kind, pv.encoding, pv.delimiter) == ("csv", "table", "utf-8", ",")
    assert pv.columns == ["text", "category"]
    assert len(pv.rows) == 5 and pv.rows[0]["category"] == "card_arrival"
    m = auto_mapping(pv)
    assert (m.input_fields, m.label_field, m.output_field, m.task_type) == (
        ["text"],
        "category",
        None,
        "classification",
    )


def test_csv_multiline_quoted_fields_and_semicolons(project, write) -> None:  # type: ignore[no-untyped-def]
    path = write(
        "multi.csv",
        "question;answer;tags\n"
        '"first line\nsecond line; with a semicolon";"A ""quoted"" answer";a,b\n'
        "plain;yes;\n",
    )
    pv = preview_file(path)
    assert pv.delimiter == ";"
    m = auto_mapping(pv)
    assert (m.input_fields, m.output_field, m.tags_field) == (["question"], "answer", "tags")
    res = import_file(project, path, "qa", m)
    assert (res.imported, res.rejected) == (2, [])
    first, second = iter_examples(project, res.dataset_id)
    assert first.inputs == {"question": "first line\nsecond line; with a semicolon"}
    assert first.ideal_output == 'A "quoted" answer'
    assert first.tags == ("a", "b")
    assert (first.source, first.source_line, second.source_line) == ("multi.csv", 2, 4)


def test_utf8_bom_and_tab_delimiter(project, write) -> None:  # type: ignore[no-untyped-def]
    path = write("bom.tsv", "\ufefftext\tcategory\ncafé crème\tfood\n")
    pv = preview_file(path)
    assert pv.encoding == "utf-8-sig" and pv.columns == ["text", "category"]
    res = import_file(project, path, "bom", CSV_MAPPING)
    assert res.imported == 1 and res.warnings == []
    assert iter_examples(project, res.dataset_id)[0].inputs == {"text": "café crème"}


def test_other_encoding_is_read_with_a_warning(project, write) -> None:  # type: ignore[no-untyped-def]
    rows = "".join(f"Überweisung Nummer {i} für Café Müller,transfer\n" for i in range(30))
    path = write("latin.csv", "text,category\n" + rows, encoding="cp1252")
    pv = preview_file(path)
    assert pv.encoding != "utf-8"
    assert any("not UTF-8" in w for w in pv.warnings)
    res = import_file(project, path, "latin", CSV_MAPPING)
    assert res.imported == 30
    assert any("not UTF-8" in w for w in res.warnings)
    assert "Café Müller" in iter_examples(project, res.dataset_id)[0].inputs["text"]


def test_invalid_utf8_line_in_csv_names_the_line(project, write, db_count) -> None:  # type: ignore[no-untyped-def]
    body = ("text,category\n" + "hello there,greet\n" * 3).encode() * 1
    big = body + b"x" * 300_000 + b",pad\n" + b"caf\xe9,food\n"  # bad byte after the sniffed head
    path = write("bad.csv", big)
    with pytest.raises(UserError) as exc:
        import_file(project, path, "bad", CSV_MAPPING)
    assert "line 6" in exc.value.message and "UTF-8" in exc.value.message
    assert db_count() == 0


def test_invalid_utf8_line_in_jsonl_is_rejected_by_line(project, write) -> None:  # type: ignore[no-untyped-def]
    # 9,000 good lines (past the 256 KB encoding sniff), then one Latin-1 line
    good = b"".join(b'{"text": "ok %d", "label": "a"}\n' % i for i in range(9000))
    path = write(
        "bad.jsonl",
        good + b'{"text": "caf\xe9", "label": "a"}\n' + b'{"text": "end", "label": "b"}\n',
    )
    res = import_file(project, path, "j", ImportMapping(input_fields=["text"], label_field="label"))
    assert res.imported == 9001
    assert [r.line for r in res.rejected] == [9001]
    assert "line 9001 is not valid JSON" in res.rejected[0].reason


def test_openai_chat_jsonl_keeps_system_turns_tools(project, write) -> None:  # type: ignore[no-untyped-def]
    tool = {
        "type": "function",
        "function": {"name": "get_balance", "parameters": {"type": "object"}},
    }
    lines = [
        {
            "messages": [
                {"role": "system", "content": "You are a bank assistant."},
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello! How can I help?"},
                {"role": "user", "content": "What is my balance?"},
                {"role": "assistant", "content": "Let me check."},
            ]
        },
        {
            "messages": [
                {"role": "user", "content": "Balance please"},
                {
                    "role": "assistant",
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "get_balance", "arguments": "{}"},
                        }
                    ],
                },
            ],
            "tools": [tool],
        },
    ]
    path = write("chat.jsonl", "\n".join(orjson.dumps(x).decode() for x in lines) + "\n")
    pv = preview_file(path)
    assert (pv.format, pv.kind) == ("jsonl", "chat")
    m = auto_mapping(pv)
    assert m.task_type == "chat"
    res = import_file(project, path, "chats", m)
    assert (res.imported, res.rejected) == (2, [])
    a, b = iter_examples(project, res.dataset_id)
    assert a.system_prompt == "You are a bank assistant."
    assert a.conversation is not None and [t["role"] for t in a.conversation] == [
        "user",
        "assistant",
        "user",
    ]
    assert (a.output_kind, a.ideal_output) == ("text", "Let me check.")
    assert b.system_prompt is None and b.output_kind == "tool_calls"
    out = orjson.loads(b.ideal_output or "")
    assert out["tool_calls"][0]["function"]["name"] == "get_balance" and out["content"] is None
    assert b.tools == [tool]


def test_prompt_completion_and_json_array(project, write) -> None:  # type: ignore[no-untyped-def]
    pc = write(
        "pc.jsonl",
        '{"prompt": "2+2=", "completion": " 4"}\n{"prompt": "3+3=", "completion": " 6"}\n',
    )
    pv = preview_file(pc)
    assert pv.kind == "prompt_completion"
    res = import_file(project, pc, "pc", auto_mapping(pv))
    assert res.imported == 2
    first = iter_examples(project, res.dataset_id)[0]
    assert first.inputs == {"prompt": "2+2="} and first.ideal_output == " 4"

    arr = write(
        "arr.json",
        orjson.dumps(
            [
                {"input": "Invoice 12 from ACME", "output": {"vendor": "ACME", "number": 12}},
                {"input": "Invoice 9 from Beta", "output": {"vendor": "Beta", "number": 9}},
            ],
            option=orjson.OPT_INDENT_2,
        ).decode(),
    )
    pv2 = preview_file(arr)
    assert (pv2.format, pv2.kind) == ("json", "records")
    m = auto_mapping(pv2)
    assert (m.input_fields, m.output_field, m.task_type) == (["input"], "output", "extraction")
    res2 = import_file(project, arr, "invoices", m)
    ex = iter_examples(project, res2.dataset_id)[0]
    assert ex.output_kind == "json" and orjson.loads(ex.ideal_output or "") == {
        "vendor": "ACME",
        "number": 12,
    }


def test_bad_rows_listed_by_line_and_all_or_nothing(project, write, db_count) -> None:  # type: ignore[no-untyped-def]
    path = write(
        "mixed.jsonl",
        '{"text": "good one", "label": "x"}\n'
        "{not json}\n"
        "\n"
        '["an", "array"]\n'
        '{"label": "no text"}\n'
        '{"text": "   ", "label": "x"}\n'
        '{"text": "good two", "label": "y"}\n',
    )
    m = ImportMapping(input_fields=["text"], label_field="label", task_type="classification")
    strict = import_file(project, path, "strict", m, all_or_nothing=True)
    assert strict.rolled_back and strict.imported == 0
    assert [r.line for r in strict.rejected] == [2, 4, 5, 6]
    assert "line 2 is not valid JSON" in strict.rejected[0].reason
    assert "array" in strict.rejected[1].reason
    assert '"text" is missing' in strict.rejected[2].reason
    assert '"text" is empty' in strict.rejected[3].reason
    assert db_count() == 0 and db_count("dataset") == 0 and db_count("operation") == 0

    lenient = import_file(project, path, "lenient", m)
    assert lenient.imported == 2 and len(lenient.rejected) == 4 and not lenient.rolled_back
    assert db_count() == 2


def test_csv_row_with_missing_field_and_missing_column(project, write) -> None:  # type: ignore[no-untyped-def]
    path = write("short.csv", "text,category\nfine,a\nno label here\nalso fine,b\n")
    res = import_file(project, path, "short", CSV_MAPPING)
    assert res.imported == 2
    assert res.rejected[0].line == 3 and 'missing "category"' in res.rejected[0].reason
    with pytest.raises(ValidationError) as exc:
        import_file(
            project, path, "x", ImportMapping(input_fields=["question"], label_field="category")
        )
    assert "short.csv has no column 'question'" in exc.value.message
    assert "text, category" in exc.value.message


@pytest.mark.parametrize("content", [b"", b"\n\n  \n"])
def test_empty_files_are_refused(project, write, content: bytes) -> None:  # type: ignore[no-untyped-def]
    path = write("empty.csv", content)
    with pytest.raises(UserError) as exc:
        import_file(project, path, "e", CSV_MAPPING)
    assert "empty.csv" in exc.value.message and (
        "empty" in exc.value.message or "blank" in exc.value.message
    )


def test_missing_file_and_binary_file(project, write, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UserError, match="does not exist"):
        preview_file(tmp_path / "nope.csv")
    with pytest.raises(UserError, match="binary"):
        preview_file(write("x.csv", b"\x00\x01\x02" * 10))


def test_50mb_single_line_jsonl_is_rejected(project, tmp_path: Path, db_count) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as fh:
        fh.write(b'{"text": "small", "label": "a"}\n')
        fh.write(b'{"text": "' + b"x" * (50 * 1024 * 1024) + b'", "label": "a"}\n')
        fh.write(b'{"text": "small two", "label": "b"}\n')
    res = import_file(
        project, path, "huge", ImportMapping(input_fields=["text"], label_field="label")
    )
    assert res.imported == 2
    assert res.rejected[0].line == 2
    assert f"{MAX_LINE_BYTES // 1_048_576} MB" in res.rejected[0].reason
    assert db_count() == 2


def test_50mb_single_line_csv_is_a_clear_error(project, tmp_path: Path, db_count) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "huge.csv"
    with path.open("wb") as fh:
        fh.write(b"text,category\n" + b"y" * (50 * 1024 * 1024) + b",a\n")
    with pytest.raises(UserError) as exc:
        import_file(project, path, "huge", CSV_MAPPING)
    assert "line 2" in exc.value.message and "MB" in exc.value.message
    assert db_count() == 0


def test_unclosed_quote_in_csv(project, write, db_count) -> None:  # type: ignore[no-untyped-def]
    path = write("q.csv", 'text,category\nok,a\n"never closed,b\nmore,c\n')
    try:
        res = import_file(project, path, "q", CSV_MAPPING, all_or_nothing=True)
    except UserError as exc:
        assert "q.csv" in exc.message
        assert db_count() == 0
    else:
        # Python's csv reads the rest of the file into one field: that row is short
        assert res.rolled_back and res.rejected and res.rejected[0].line == 3
        assert db_count() == 0


def test_duplicates_skipped_in_file_and_against_dataset(project, write) -> None:  # type: ignore[no-untyped-def]
    a = write(
        "a.csv", "text,category\nHello  World,a\nhello world,a\nＨＥＬＬＯ world ,b\nother,b\n"
    )
    res = import_file(project, a, "d", CSV_MAPPING)
    assert (res.imported, res.skipped_duplicates) == (2, 2)
    b = write("b.csv", "text,category\nOTHER,b\nnew one,c\n")
    res2 = import_file(project, b, "d", CSV_MAPPING)
    assert (res2.imported, res2.skipped_duplicates) == (1, 1)
    assert len(query_ids(project, res.dataset_id)) == 3


def test_import_is_one_undoable_operation(project, write, db_count) -> None:  # type: ignore[no-untyped-def]
    path = write("u.csv", "text,category\none,a\ntwo,b\nthree,a\n")
    res = import_file(project, path, "u", CSV_MAPPING)
    ids = query_ids(project, res.dataset_id)
    summary = undo(project, res.dataset_id)
    assert (
        summary is not None and summary.kind == "import" and summary.changes.rows_added_or_removed
    )
    assert db_count() == 0
    again = redo(project, res.dataset_id)
    assert again is not None and query_ids(project, res.dataset_id) == ids
    assert get_example(project, ids[0]).inputs == {"text": "one"}


def test_cancel_rolls_back_everything(project, tmp_path: Path, db_count) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "many.csv"
    path.write_text(
        "text,category\n" + "".join(f"query number {i},l{i % 5}\n" for i in range(20000))
    )
    token = CancelToken()
    seen: list[Progress] = []

    def on_progress(p: Progress) -> None:
        seen.append(p)
        if p.done >= p.total // 3:
            token.cancel()
        else:
            # Progress is throttled by time (~0.1 s): without this pause a fast import
            # sends its next report only at the very end, after the last cancel check,
            # and the test depended on how fast the machine was.
            time.sleep(0.12)

    with pytest.raises(CancelledError):
        import_file(project, path, "many", CSV_MAPPING, progress=on_progress, cancel=token)
    assert seen
    assert db_count() == 0 and db_count("dataset") == 0 and db_count("operation") == 0


def test_classification_import_builds_label_set(project, write) -> None:  # type: ignore[no-untyped-def]
    from studio.core.datasets import get_dataset

    path = write("c.csv", "text,category\none,b_label\ntwo,a_label\n")
    res = import_file(project, path, "cls", CSV_MAPPING)
    info = get_dataset(project, "cls")
    assert info.task_type == "classification" and info.label_set == ["b_label", "a_label"]
    ex = iter_examples(project, res.dataset_id)[0]
    assert ex.label == ex.ideal_output == "b_label" and ex.status == "needs_review"


def test_converted_rows_match_the_insert_columns() -> None:
    from studio.core.datasets.importing import _INSERT_COLUMNS
    from studio.core.datasets.mapping import ConvertContext, convert_record

    table = ConvertContext(CSV_MAPPING, "table", "classification", "f.csv")
    chat = ConvertContext(ImportMapping(input_fields=[]), "chat", "chat", "c.jsonl")
    msgs = {"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]}
    assert tuple(convert_record({"text": "hi", "category": "a"}, table)) == _INSERT_COLUMNS
    assert tuple(convert_record(msgs, chat)) == _INSERT_COLUMNS


def test_utf16_with_bom_is_read(project, write) -> None:  # type: ignore[no-untyped-def]
    path = write("u16.csv", "text,category\nnaïve question,a\nzweite Frage,b\n", encoding="utf-16")
    pv = preview_file(path)
    assert pv.encoding == "utf-16" and pv.columns == ["text", "category"]
    res = import_file(project, path, "u16", CSV_MAPPING)
    assert res.imported == 2
    assert iter_examples(project, res.dataset_id)[0].inputs == {"text": "naïve question"}
