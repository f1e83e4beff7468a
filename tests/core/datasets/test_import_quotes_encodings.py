"""Reading CSVs honestly: Western code pages, chosen encodings, quotes that never close."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from studio.core.datasets.importing import import_file
from studio.core.datasets.preview import preview_file
from studio.core.db.project import Project
from studio.core.errors import UserError

Write = Callable[..., Path]


def test_central_european_and_cyrillic_files_are_not_forced_to_cp1252(write: Write) -> None:
    polish = write("pl.csv", "text\nZażółć gęślą jaźń\nŁódź jest piękna\n", "cp1250")
    pv = preview_file(polish)
    assert pv.encoding == "cp1250"
    assert [r["text"] for r in pv.rows] == ["Zażółć gęślą jaźń", "Łódź jest piękna"]
    short = write("pl2.csv", "text\nmoże być\n", "cp1250")  # ż read as cp1252 is "¿"
    assert preview_file(short).encoding != "cp1252"
    spanish = write("es.csv", "text\n¿Qué tal? ¡Hola señor!\n", "cp1252")
    assert preview_file(spanish).rows == [{"text": "¿Qué tal? ¡Hola señor!"}]
    russian = write("ru.csv", "text\nМой перевод не прошёл\nГде моя карта\n", "cp1251")
    pv = preview_file(russian)
    assert pv.encoding == "cp1251"
    assert [r["text"] for r in pv.rows] == ["Мой перевод не прошёл", "Где моя карта"]


def test_a_chosen_encoding_is_used_and_a_bom_is_dropped(write: Write) -> None:
    path = write("bom.csv", "\ufefftext\ncafé\n", "utf-8")
    pv = preview_file(path, encoding="UTF8")
    assert pv.encoding == "utf-8-sig" and pv.columns == ["text"] and pv.rows == [{"text": "café"}]
    latin = write("l1.csv", "text\nna\u00efve\n", "latin-1")
    assert preview_file(latin, encoding="latin-1").rows == [{"text": "naïve"}]
    with pytest.raises(UserError, match='"rot13" is not a text encoding'):
        preview_file(latin, encoding="rot13")


@pytest.mark.parametrize(
    "body",
    [
        'text,label\nok,a\n"a ""quoted"" word\nover two lines",b\n',  # ends in a multi-line field
        'text,label\nok,a\nmy 5" screen,b',  # a literal quote, no final newline
    ],
)
def test_valid_quoting_at_the_end_is_not_an_error(
    write: Write, project: Project, body: str
) -> None:
    result = import_file(project, write("ok.csv", body), "ok")
    assert result.imported == 2 and not result.rejected


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ('text,label\nok,a\n"never closed,b', 3),  # last line, no newline
        ('text,label\nok,a\nfine,"b\nmore,c\nmore,d\n', 3),  # opens in the second field
        ('text,label\n"a ""x"" b\nc",a\nok,b\n"open\n\nmore\n', 5),  # after a valid one
    ],
)
def test_an_unclosed_quote_names_its_line_and_imports_nothing(
    write: Write, project: Project, db_count: Callable[..., int], body: str, line: int
) -> None:
    path = write("q.csv", body)
    with pytest.raises(UserError) as exc:
        import_file(project, path, "q")
    assert f"line {line} opens a quote that is never closed" in exc.value.message
    assert db_count() == 0 and db_count("dataset") == 0


def test_a_header_with_blank_lines_only_has_no_rows(write: Write, project: Project) -> None:
    path = write("h.csv", "text,label\n\n  \n")
    with pytest.raises(UserError, match="no rows"):
        import_file(project, path, "h")
