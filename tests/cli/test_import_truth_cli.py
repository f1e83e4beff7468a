"""``studio dataset import`` tells the truth: encodings, an unclosed
quote, a header without rows, bad rows listed with nothing stored unless asked."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# é ü ñ £ in Windows-1252: charset-normalizer alone ranks cp1250 first for these bytes
# ("I paid Ł20", "El nińo"); the import must read them as Western European
WESTERN = [
    ("I paid £20 for the café", "fees"),
    ("My Müller card", "card"),
    ("El niño asked", "other"),
]


def studio(*argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "studio", *argv],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def _texts(proj: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(proj)
    try:
        rows = conn.execute("SELECT input_json, label FROM example ORDER BY id").fetchall()
    finally:
        conn.close()
    return [(json.loads(r[0])["text"], r[1]) for r in rows]


def _western_csv(tmp_path: Path) -> Path:
    path = tmp_path / "western.csv"
    body = "text,label\n" + "".join(f"{t},{lb}\n" for t, lb in WESTERN)
    path.write_bytes(body.encode("cp1252"))  # the bytes a Windows spreadsheet writes
    return path


def test_a_cp1252_csv_reads_correctly(proj: Path, tmp_path: Path) -> None:
    path = _western_csv(tmp_path)
    raw = path.read_bytes()
    assert b"\xe9" in raw and b"\xa3" in raw and b"\xf1" in raw and b"\xfc" in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    r = studio("dataset", "import", "--project", str(proj), str(path), "--name", "w")
    assert r.returncode == 0, r.stderr
    assert "Western European (Windows-1252)" in r.stderr  # says it was detected
    assert _texts(proj) == WESTERN


def test_encoding_flag_overrides_detection(proj: Path, tmp_path: Path) -> None:
    path = _western_csv(tmp_path)
    r = studio(
        "dataset",
        "import",
        "--project",
        str(proj),
        str(path),
        "--name",
        "w",
        "--encoding",
        "cp1250",
    )
    assert r.returncode == 0, r.stderr
    # Windows-1250 reads ñ as ń and £ as Ł: what the user asked for, no guess warning
    texts = [t for t, _ in _texts(proj)]
    assert texts[0] == "I paid Ł20 for the café" and texts[2] == "El nińo asked"
    assert "detected" not in r.stderr
    r = studio(
        "dataset",
        "import",
        "--project",
        str(proj),
        str(path),
        "--name",
        "x",
        "--encoding",
        "klingon",
    )
    assert r.returncode == 2 and '"klingon" is not a text encoding' in r.stderr
    assert "Traceback" not in r.stderr


def test_an_unclosed_quote_names_the_line_it_opens_on(proj: Path, tmp_path: Path) -> None:
    path = tmp_path / "quote.csv"
    path.write_text(
        'text,label\nfine,a\nalso fine,b\n"this quote never closes,c\nfourth,d\nfifth,e\n',
        encoding="utf-8",
    )
    r = studio("dataset", "import", "--project", str(proj), str(path), "--name", "q")
    assert r.returncode == 2
    assert "quote.csv: line 4 opens a quote that is never closed" in r.stderr
    assert "Traceback" not in r.stderr
    assert _texts(proj) == []


def test_a_header_without_rows_exits_2(proj: Path, tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("text,label\n", encoding="utf-8")
    r = studio("dataset", "import", "--project", str(proj), str(path), "--name", "h")
    assert r.returncode == 2 and "no rows" in r.stderr and "header.csv" in r.stderr
    assert _texts(proj) == []


def test_bad_rows_are_listed_and_nothing_stored_unless_asked(proj: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        "text,label\nfirst,a\nthis row,has,too many\nsecond,b\n,c\nthird,d\n",
        encoding="utf-8",
    )
    args = ("dataset", "import", "--project", str(proj), str(path), "--name", "b")
    r = studio(*args)
    assert r.returncode == 2
    assert "2 rows cannot be imported; nothing was imported" in r.stderr
    assert "line 3 has 3 field(s)" in r.stderr and "line 5" in r.stderr
    assert _texts(proj) == []
    r = studio(*args, "--json")
    assert r.returncode == 2
    assert [x["line"] for x in json.loads(r.stdout)["rejected"]] == [3, 5]
    r = studio(*args, "--skip-bad-rows", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["imported"] == 3 and [x["line"] for x in out["rejected"]] == [3, 5]
    assert [t for t, _ in _texts(proj)] == ["first", "second", "third"]


def test_a_stray_quote_closed_later_does_not_swallow_lines(proj: Path, tmp_path: Path) -> None:
    path = tmp_path / "stray.csv"
    path.write_text(
        'text,label\nfine,a\n"stray quote,b\nswallowed,c\n"quoted",d\nlast,e\n',
        encoding="utf-8",
    )
    args = ("dataset", "import", "--project", str(proj), str(path), "--name", "s")
    r = studio(*args)
    assert r.returncode == 2
    assert "line 3 opens a quote that is not closed properly, so lines 3–5" in r.stderr
    assert _texts(proj) == []
    r = studio(*args, "--skip-bad-rows")
    assert r.returncode == 0, r.stderr
    assert [t for t, _ in _texts(proj)] == ["fine", "last"]
