"""The validator's fast paths give exactly the results of the full paths.

* ``fastpath.make_plain_chat`` stands in for ``detect_record`` + ``OpenAIChatChecker`` on
  plain chat lines: whenever it accepts a record, the full path reports nothing and counts
  the same tokens and outputs.
* ``validate_file`` with the fast path gives the same report, byte for byte, as with the
  fast path switched off, including duplicates (canonical JSON) and forced key collisions.
* The number-scan gates in ``scan.py`` never hide a phone or card finding.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import orjson
import pytest
from fmt_helpers import run_checker
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from studio.core.formats import detect_record, fastpath, scan, validate_file
from studio.core.formats import validate as validate_mod
from studio.core.formats.fastpath import FAST_PRIMARY, make_plain_chat
from studio.core.tokens.counting import count_chat_tokens, counter, role_counter

SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

ROLES = (
    st.sampled_from(
        ["system", "user", "assistant"] * 4 + ["tool", "developer", "function", "", "User", "model"]
    )
    | st.integers(0, 3)
    | st.none()
    | st.lists(st.text(max_size=2), max_size=1)
)
CONTENTS = (
    st.sampled_from(
        ["", " ", "\n\t", "Hello", "card_arrival 42", "x" * 60, "<|im_start|>", "ü", "\u3000"]
    )
    | st.text(max_size=20)
    | st.none()
    | st.integers()
    | st.lists(
        st.fixed_dictionaries({"type": st.just("text"), "text": st.text(max_size=5)}), max_size=2
    )
)


def _message(role: Any, content: Any, swap: bool, extra: dict[str, Any]) -> Any:
    msg = {"content": content, "role": role} if swap else {"role": role, "content": content}
    msg.update(extra)
    return msg


MESSAGES = st.one_of(
    st.builds(_message, ROLES, CONTENTS, st.booleans(), st.just({})),
    st.builds(
        _message,
        ROLES,
        CONTENTS,
        st.booleans(),
        st.dictionaries(
            st.sampled_from(["weight", "name", "tool_calls", "x"]),
            st.integers(0, 1) | st.text(max_size=3),
            max_size=1,
        ),
    ),
    st.builds(lambda r: {"role": r}, ROLES),
    st.builds(lambda c: {"content": c}, CONTENTS),
    st.integers() | st.text(max_size=3) | st.none(),
)
TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=40
).filter(lambda t: not t.isspace())


@st.composite
def plain_records(draw: Any) -> dict[str, Any]:
    """A clean chat example (optional system, user/assistant turns, assistant last)."""
    messages: list[dict[str, Any]] = []
    if draw(st.booleans()):
        messages.append({"role": "system", "content": draw(TEXT)})
    for _ in range(draw(st.integers(1, 3))):
        messages.append({"role": "user", "content": draw(TEXT)})
        if draw(st.integers(0, 4)) == 0:  # two user turns in a row are allowed
            messages.append({"role": "user", "content": draw(TEXT)})
        messages.append({"role": "assistant", "content": draw(TEXT)})
    return {"messages": messages}


RECORDS = st.one_of(
    plain_records(),
    st.builds(lambda ms: {"messages": ms}, st.lists(MESSAGES, max_size=6)),
    st.builds(
        lambda ms, extra: {"messages": ms, **extra},
        st.lists(MESSAGES, max_size=6),
        st.dictionaries(
            st.sampled_from(["tools", "x", "system", "functions"]),
            st.integers(),
            min_size=1,
            max_size=1,
        ),
    ),
    st.builds(lambda ms: {"messages": ms}, MESSAGES),
    st.just({}),
)


def _plain() -> fastpath.PlainChatFn:
    return make_plain_chat(counter("o200k_base"), role_counter("o200k_base"))


@SETTINGS
@given(record=RECORDS)
def test_fast_path_accepts_only_what_the_full_path_finds_clean(record: dict[str, Any]) -> None:
    fast = _plain()(record)
    if fast is None:
        return
    sink, [result] = run_checker("openai-chat", record)
    primary, fits = detect_record(record, deep=False)
    assert sink.items == []
    assert primary == FAST_PRIMARY and "openai-chat" in fits
    tokens, outputs, _key = fast
    assert tokens == result.tokens == count_chat_tokens(record["messages"], "gpt-4o-mini")
    assert outputs == result.outputs


@SETTINGS
@given(record=plain_records())
def test_fast_path_takes_every_clean_plain_record(record: dict[str, Any]) -> None:
    fast = _plain()(record)
    assert fast is not None
    # the same record with the message keys in another order has the same key
    swapped = {
        "messages": [{"content": m["content"], "role": m["role"]} for m in record["messages"]]
    }
    again = _plain()(swapped)
    assert again is not None and again[2] == fast[2]


def test_fast_path_cache_is_bounded_and_exact() -> None:
    plain = make_plain_chat(
        counter("o200k_base"), role_counter("o200k_base"), max_entries=2, max_chars=50
    )
    records = [
        {
            "messages": [
                {"role": "system", "content": f"System prompt {i % 3} " * 3},
                {"role": "user", "content": f"question {i}"},
                {"role": "assistant", "content": f"answer {i}"},
            ]
        }
        for i in range(12)
    ]
    for record in records * 2:
        fast = plain(record)
        assert fast is not None
        assert fast[0] == count_chat_tokens(record["messages"], "gpt-4o")


def test_fast_path_rejections() -> None:
    plain = _plain()
    ok = {
        "messages": [
            {"role": "system", "content": "s"},
            {"role": "user", "content": "u"},
            {"role": "assistant", "content": "a"},
        ]
    }
    assert plain(ok) is not None
    rejected = [
        {"messages": ok["messages"], "tools": []},
        {"messages": []},
        {"messages": [{"role": "user", "content": "u"}]},  # no assistant at the end
        {"messages": [{"role": "assistant", "content": "a"}]},  # starts with the assistant
        {"messages": [{"role": "system", "content": "s"}, {"role": "assistant", "content": "a"}]},
        {
            "messages": [
                {"role": "user", "content": "u"},
                {"role": "system", "content": "s"},
                {"role": "assistant", "content": "a"},
            ]
        },
        {
            "messages": [
                {"role": "user", "content": "u"},
                {"role": "system", "content": "s"},
                {"role": "user", "content": "u"},
                {"role": "assistant", "content": "a"},
            ]
        },
        {
            "messages": [
                {"role": "system", "content": "s"},
                {"role": "system", "content": "s"},
                {"role": "user", "content": "u"},
                {"role": "assistant", "content": "a"},
            ]
        },
        {"messages": [{"role": "user", "content": " "}, {"role": "assistant", "content": "a"}]},
        {
            "messages": [
                {"role": "user", "content": "u"},
                {"role": "assistant", "content": "a", "weight": 1},
            ]
        },
        {
            "messages": [
                {"role": "user", "content": "u"},
                {"role": "tool", "content": "t"},
                {"role": "assistant", "content": "a"},
            ]
        },
        {"messages": [{"role": ["user"], "content": "u"}, {"role": "assistant", "content": "a"}]},
    ]
    for record in rejected:
        assert plain(record) is None, record


# --- validate_file end to end: fast path on == fast path off ------------------------------

BASE = [
    {
        "messages": [
            {"role": "system", "content": "You classify bank questions."},
            {"role": "user", "content": f"Where is my card {i}?"},
            {"role": "assistant", "content": f"card_arrival {i}"},
        ]
    }
    for i in range(6)
]
SPECIAL_LINES = [
    b'{"messages": [{"role": "user", "content": "mail me at ann@example.com"}, '
    b'{"role": "assistant", "content": "ok"}]}',
    b'{"messages": [{"role": "user", "content": "card 4111 1111 1111 1111"}, '
    b'{"role": "assistant", "content": "ok"}]}',
    b'{"messages": [{"role": "user", "content": "key sk-abcdefghijklmnopqrstuvwx"}, '
    b'{"role": "assistant", "content": "ok"}]}',
    b'{"messages": [{"role": "user", "content": "a\\u0000b"}, '
    b'{"role": "assistant", "content": "<|im_end|>"}]}',
    b'{"messages": [{"role": "user", "content": "u"}, {"role": "assistant", "content": ""}]}',
    b'{"messages": [{"role": "user", "content": "u"}]}',
    b'{"messages": [{"role": "user", "content": "u"}, {"role": "assistant", "content": "a",'
    b' "weight": 0}]}',
    b'{"contents": [{"role": "user", "parts": [{"text": "hi"}]}]}',
    b"{bad json",
    b"",
    b"[1, 2]",
]


def _variants(record: dict[str, Any], rng: random.Random) -> bytes:
    """The record as JSON, sometimes with keys reordered or extra whitespace."""
    how = rng.randrange(3)
    if how == 0:
        return orjson.dumps(record)
    if how == 1:
        return orjson.dumps(
            {"messages": [dict(reversed(list(m.items()))) for m in record["messages"]]}
        )
    return orjson.dumps(record).replace(b'":', b'" : ').replace(b",", b", ")


def _report(path: Path, fmt: str) -> dict[str, Any]:
    report = validate_file(path, fmt, max_findings_per_code=5).to_json()
    return report


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_lines=st.integers(1, 40),
    fmt=st.sampled_from(["auto", "openai-chat"]),
    collide=st.booleans(),
)
def test_validate_file_same_report_with_and_without_fast_path(
    tmp_path: Path, seed: int, n_lines: int, fmt: str, collide: bool
) -> None:
    rng = random.Random(seed)
    lines: list[bytes] = []
    for _ in range(n_lines):
        roll = rng.random()
        if roll < 0.5:
            lines.append(_variants(rng.choice(BASE), rng))
        elif roll < 0.7:
            lines.append(rng.choice(SPECIAL_LINES))
        else:
            lines.append(
                orjson.dumps(
                    {
                        "messages": [
                            {
                                "role": rng.choice(
                                    ["user", "assistant", "system", "user", "assistant", "tool"]
                                ),
                                "content": rng.choice(["x", "", " ", "y", "z"]),
                            }
                            for _ in range(rng.randrange(6))
                        ]
                    }
                )
            )
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines) + rng.choice([b"", b"\n"]))
    with pytest.MonkeyPatch.context() as mp:
        if collide:  # every fast-path line gets the same key: equality must be confirmed
            mp.setattr(fastpath, "hash", lambda _value: 42, raising=False)
        fast = _report(path, fmt)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(validate_mod, "FAST_FORMATS", frozenset())
        full = _report(path, fmt)
    assert fast == full


def test_duplicates_with_forced_collisions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fastpath, "hash", lambda _value: 7, raising=False)
    a, b, c = (orjson.dumps(r) for r in BASE[:3])
    reordered_b = orjson.dumps(
        {"messages": [{"content": m["content"], "role": m["role"]} for m in BASE[1]["messages"]]}
    )
    path = tmp_path / "d.jsonl"
    path.write_bytes(b"\n".join([a, b, c, reordered_b, a, c]) + b"\n")
    report = validate_file(path, "openai-chat")
    dups = [(f.line, f.message) for f in report.findings if f.code == "duplicate_example"]
    assert dups == [
        (4, "Duplicate of line 2."),
        (5, "Duplicate of line 1."),
        (6, "Duplicate of line 3."),
    ]
    assert report.stats["duplicates"] == 3


def test_duplicate_of_bom_first_line(tmp_path: Path) -> None:
    line = orjson.dumps(BASE[0])
    path = tmp_path / "bom.jsonl"
    path.write_bytes(
        b"\xef\xbb\xbf" + line + b"\n" + b"\n".join(orjson.dumps(r) for r in BASE) + b"\n"
    )
    report = validate_file(path, "openai-chat")
    assert [(f.line, f.message) for f in report.findings if f.code == "duplicate_example"] == [
        (2, "Duplicate of line 1.")
    ]


# --- number-scan gates -------------------------------------------------------------------

NUMBERISH = st.lists(
    st.sampled_from(
        [
            b"0",
            b"1",
            b"4",
            b"5",
            b"9",
            b" ",
            b"-",
            b"(",
            b")",
            b".",
            b"+",
            b"a",
            b"_",
            b'"',
            b"1111 ",
            b"4111",
        ]
    ),
    max_size=60,
).map(b"".join)
GROUPED = st.tuples(
    st.sampled_from([b"", b" ", b"+", b"a", b"(", b"_", b".", b'"']),
    st.lists(st.tuples(st.integers(0, 10**5 - 1), st.integers(1, 5)), min_size=1, max_size=6),
    st.lists(
        st.sampled_from([b" ", b"-", b".", b"(", b")", b") ", b"--", b""]), min_size=6, max_size=6
    ),
    st.sampled_from([b"", b" ", b"a", b")", b"_", b".", b'"']),
).map(
    lambda t: (
        t[0]
        + b"".join(str(n).zfill(w).encode() + sep for (n, w), sep in zip(t[1], t[2], strict=False))
        + t[3]
    )
)


@SETTINGS
@given(raw=NUMBERISH | GROUPED | st.binary(max_size=80))
@example(raw=b"call 555-123-4567 now")
@example(raw=b"card 4111 1111 1111 1111.")
@example(raw=b"+4930123456")
def test_number_gates_never_hide_a_finding(raw: bytes) -> None:
    gated: list[tuple[str, str, str]] = []
    full: list[tuple[str, str, str]] = []
    scan._number_findings(raw, lambda *a: gated.append(a))
    scan._number_scan(raw, lambda *a: full.append(a))
    assert gated == full
