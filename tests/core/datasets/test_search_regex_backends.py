"""A regex search finds the same rows on SQLite (Python ``re``) and PostgreSQL (``~*``)."""

from __future__ import annotations

import re

import pytest

from studio.core.datasets import ExampleFilter, ImportMapping, fetch_rows, import_file, query_ids
from studio.core.db.pg_regex import postgres_regex
from studio.core.errors import ValidationError

TEXTS = [
    "I am still waiting on my card",
    "My card has not arrived yet",
    "I lost my card yesterday",
    "Someone stole my wallet and card",
    "What is the exchange rate today?",
    "How do I change my PIN?",
    "my cardboard box of cards",
]

# Each spelling that PostgreSQL reads differently, and a few that it reads the same.
PATTERNS = [
    r"\bmy\b",
    r"\bcard\b",
    r"card\B",
    r"(?P<thing>card) has",
    r"(?i:MY) card",
    r"(?<=stole )my",
    r"^how\b",
    r"\d|\?$",
    r"[\]x]|[^\w\s]",
]


@pytest.fixture
def ds(project, write) -> int:  # type: ignore[no-untyped-def]
    body = "text\n" + "".join(f'"{t}"\n' for t in TEXTS)
    res = import_file(project, write("s.csv", body), "search", ImportMapping(input_fields=["text"]))
    assert res.dataset_id is not None
    return res.dataset_id


@pytest.mark.parametrize("pattern", PATTERNS)
def test_regex_search_matches_python_re_on_both_backends(project, ds, pattern) -> None:  # type: ignore[no-untyped-def]
    rows = fetch_rows(project, query_ids(project, ds))
    # by hand: Python's re (case-insensitive, multiline) over the searched texts
    rx = re.compile(pattern, re.IGNORECASE | re.MULTILINE)
    expected = sorted(r.id for r in rows if rx.search(r.input))
    got = query_ids(project, ds, ExampleFilter(search=pattern, regex=True))
    assert sorted(got) == expected
    assert expected, f"{pattern!r} should match at least one row"


def test_rewrites_for_postgresql() -> None:
    assert postgres_regex(r"\bmy\b") == r"\ymy\y"
    assert postgres_regex(r"a\Bb") == r"a\Yb"
    assert postgres_regex(r"[\b]\\b") == r"[\b]\\b"  # a class member; an escaped backslash
    assert postgres_regex(r"[]\b]x\b") == r"[]\b]x\y"  # "]" first in a class is a member
    assert postgres_regex(r"(?P<w>ab)+") == r"(ab)+"
    assert postgres_regex(r"(?i:ab)c") == r"(?:ab)c"
    assert postgres_regex(r"(?<=a)b(?!c)") == r"(?<=a)b(?!c)"


@pytest.mark.parametrize(
    ("pattern", "what"),
    [
        (r"(?P<w>a)(?P=w)", "named back-reference"),
        (r"(?>ab)c", "atomic group"),
        (r"a*+b", "possessive quantifier"),
        (r"(a)?(?(1)b|c)", "conditional group"),
        (r"(?s:a.b)", "scoped flag group"),
    ],
)
def test_constructs_postgresql_cannot_run_are_refused(pattern: str, what: str) -> None:
    re.compile(pattern)  # valid for Python: only the server cannot run it
    with pytest.raises(ValidationError, match=what) as info:
        postgres_regex(pattern)
    assert "server (PostgreSQL) project" in str(info.value)
