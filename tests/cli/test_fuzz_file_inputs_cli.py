"""Property-based fuzzing of the CLI's file inputs (ISSUE-10 §7).

Hypothesis writes prompt files (JSON and YAML), decide answers, variable files, CSV /
JSONL / JSON dataset files and JSONL training files (plus schemas) from a mix of valid
documents, damaged documents, deep nesting, odd encodings and raw bytes, and runs the
command in-process (``run_cli``: the same code as ``python -m studio``). Every run must
end with a documented exit code and no exception: 0 or 2 (``validate`` also 1 for an
invalid file, ``dataset import --all-or-nothing`` 1), never a traceback.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studio.cli.main import run_cli
from studio.core.db.project import new_project

# per input kind; 6 kinds, about 240 runs in all (STUDIO_FUZZ_EXAMPLES=500 for a long hunt,
# STUDIO_FUZZ_RANDOM=1 for new examples instead of the fixed, repeatable ones)
EXAMPLES = int(os.environ.get("STUDIO_FUZZ_EXAMPLES", "40"))
RANDOM = os.environ.get("STUDIO_FUZZ_RANDOM") == "1"
_counter = itertools.count()
_stats: dict[str, Any] = {"runs": 0, "seconds": 0.0, "codes": {}}

# -- documents ----------------------------------------------------------------------------

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
_json_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _nest(depth: int, kind: str) -> str:
    return ("[" * depth + "]" * depth) if kind == "array" else ('{"a":' * depth + "1" + "}" * depth)


_deep = st.builds(
    _nest, st.sampled_from([50, 101, 1_000, 1_100, 10_000]), st.sampled_from(["array", "object"])
)

_PROMPT_KEYS = [
    "name",
    "description",
    "model",
    "messages",
    "params",
    "response_schema",
    "variables",
    "tools",
]


@st.composite
def prompt_docs(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": draw(st.text(max_size=10)),
        "model": "gpt-4.1-mini",
        "messages": [
            {
                "role": draw(st.sampled_from(["system", "user", "assistant", "tool", "x"])),
                "content": draw(st.text(max_size=30)),
            }
        ],
    }
    for key in draw(st.lists(st.sampled_from(_PROMPT_KEYS), max_size=3)):
        doc[key] = draw(_json_values)
    return doc


@st.composite
def answers_docs(draw: st.DrawFn) -> dict[str, Any]:
    fields = [
        "must_change",
        "knowledge_changes",
        "calls_per_day",
        "latency_target_p95_ms",
        "data_sensitivity",
        "residency",
        "allowed_platforms",
        "openai_fine_tuning_access",
        "quality_target",
        "current_model",
        "candidate_model",
        "bogus",
    ]
    good: dict[str, Any] = {
        "must_change": ["narrow_high_volume"],
        "calls_per_day": 9000,
        "allowed_platforms": [],
        "openai_fine_tuning_access": "unknown",
    }
    for key in draw(st.lists(st.sampled_from(fields), max_size=3)):
        good[key] = draw(_json_values)
    return good


@st.composite
def record_docs(draw: st.DrawFn) -> dict[str, Any]:
    rec: dict[str, Any] = {"text": draw(st.text(max_size=20)), "label": draw(st.text(max_size=6))}
    for key in draw(st.lists(st.text(max_size=6), max_size=2)):
        rec[key] = draw(_json_values)
    return rec


@st.composite
def chat_docs(draw: st.DrawFn) -> dict[str, Any]:
    shape = draw(st.sampled_from(["chat", "prompt_completion", "alpaca", "dpo", "junk"]))
    text = st.text(max_size=20)
    if shape == "chat":
        content: Any = draw(
            st.one_of(
                text,
                st.lists(
                    st.dictionaries(
                        st.sampled_from(["type", "text", "image_url"]), _json_values, max_size=2
                    ),
                    max_size=2,
                ),
            )
        )
        return {
            "messages": [
                {"role": "user", "content": draw(text)},
                {"role": draw(st.sampled_from(["assistant", "user", "bot"])), "content": content},
            ]
        }
    if shape == "prompt_completion":
        return {"prompt": draw(text), "completion": draw(text)}
    if shape == "alpaca":
        return {
            "instruction": draw(text),
            "input": draw(text),
            draw(st.sampled_from(["output", "response"])): draw(text),
        }
    if shape == "dpo":
        return {"prompt": draw(text), "chosen": draw(text), "rejected": draw(text)}
    return draw(st.dictionaries(st.text(max_size=6), _json_values, max_size=3))


def _damage(data: bytes, how: str, at: int, extra: bytes) -> bytes:
    cut = at % (len(data) + 1)
    if how == "truncate":
        return data[:cut]
    if how == "insert":
        return data[:cut] + extra + data[cut:]
    if how == "bom":
        return b"\xef\xbb\xbf" + data
    if how == "utf16":
        return data.decode("utf-8", "replace").encode("utf-16")
    if how == "latin1":
        return data.decode("utf-8", "replace").encode("latin-1", "replace") + b"\xe9\xff"
    if how == "nul":
        return data[:cut] + b"\x00" + data[cut:]
    return data


def files(
    docs: st.SearchStrategy[Any], *, lines: bool = False, csv: bool = False
) -> st.SearchStrategy[bytes]:
    """Bytes of a file: valid documents, damaged ones, deep nesting or noise."""

    @st.composite
    def build(draw: st.DrawFn) -> bytes:
        kind = draw(st.sampled_from(["valid", "valid", "damaged", "deep", "noise"]))
        if kind == "noise":
            return draw(st.binary(max_size=200))
        if kind == "deep":
            deep = draw(_deep)
            if lines:
                return (json.dumps(draw(docs)) + "\n" + '{"x": ' + deep + "}\n").encode()
            if csv:
                return ('text,label\na,b\n"' + deep.replace('"', '""') + '",c\n').encode()
            return ('{"messages": ' + deep + "}").encode()
        if csv:
            rows = draw(
                st.lists(st.lists(st.text(max_size=10), min_size=2, max_size=2), max_size=5)
            )
            data = "text,label\n" + "".join(
                ",".join('"' + c.replace('"', '""') + '"' for c in r) + "\n" for r in rows
            )
            body = data.encode()
        elif lines:
            body = "".join(json.dumps(d) + "\n" for d in draw(st.lists(docs, max_size=6))).encode()
        else:
            body = json.dumps(draw(docs), indent=draw(st.sampled_from([None, 2]))).encode()
        if kind == "damaged":
            body = _damage(
                body,
                draw(st.sampled_from(["truncate", "insert", "bom", "utf16", "latin1", "nul"])),
                draw(st.integers(0, 10_000)),
                draw(st.binary(min_size=1, max_size=5)),
            )
        return body

    return build()


# -- running ------------------------------------------------------------------------------

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not RANDOM,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz")
    new_project(folder / "p.studio").close()
    return folder


def _cli(argv: list[str], allowed: frozenset[int] = frozenset({0, 2})) -> None:
    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = run_cli(argv)
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
    _stats["runs"] += 1
    _stats["seconds"] += time.perf_counter() - start
    _stats["codes"][code] = _stats["codes"].get(code, 0) + 1
    text = err.getvalue()
    assert code in allowed, f"exit {code} for {argv}: {text[-500:]}"
    assert "Traceback" not in text and "Traceback" not in out.getvalue()
    if code == 2:
        assert text.strip(), f"exit 2 without a message for {argv}"


def _file(workdir: Path, suffix: str, data: bytes) -> Path:
    path = workdir / f"in{next(_counter)}{suffix}"
    path.write_bytes(data)
    return path


@FUZZ
@given(data=files(prompt_docs()), suffix=st.sampled_from([".json", ".yaml"]))
def test_prompt_files(workdir: Path, data: bytes, suffix: str) -> None:
    if suffix == ".yaml" and data.lstrip().startswith((b"{", b"[")):
        data = data.replace(b"{", b"{ ", 1)  # JSON is YAML too; keep it that way
    f = _file(workdir, suffix, data)
    _cli(["prompt", "save", "--project", str(workdir / "p.studio"), "fuzzed", "--from", str(f)])


@FUZZ
@given(data=files(answers_docs()))
def test_decide_answers(workdir: Path, data: bytes) -> None:
    f = _file(workdir, ".json", data)
    _cli(
        [
            "decide",
            "--project",
            str(workdir / "p.studio"),
            "--answers",
            str(f),
            "--json",
            "--today",
            "2026-11-22",
        ]
    )


@FUZZ
@given(data=files(st.dictionaries(st.text(max_size=5), _json_values, max_size=3)))
def test_prompt_render_vars(workdir: Path, data: bytes) -> None:
    f = _file(workdir, ".json", data)
    # the prompt may not exist yet: that is a clean exit 2 as well
    _cli(["prompt", "render", "--project", str(workdir / "p.studio"), "fuzzed", "--vars", str(f)])


@FUZZ
@given(kind=st.sampled_from(["jsonl", "json", "csv"]), data=st.data())
def test_dataset_import(workdir: Path, kind: str, data: st.DataObject) -> None:
    body = data.draw(files(record_docs(), lines=kind == "jsonl", csv=kind == "csv"))
    if kind == "json" and not body.lstrip().startswith(b"["):
        body = b"[" + body + b"]" if data.draw(st.booleans()) else body
    f = _file(workdir, f".{kind}", body)
    strict = data.draw(st.booleans())
    argv = [
        "dataset",
        "import",
        "--project",
        str(workdir / "p.studio"),
        str(f),
        "--name",
        f"ds{next(_counter)}",
    ] + (["--all-or-nothing"] if strict else [])
    _cli(argv, frozenset({0, 1, 2}) if strict else frozenset({0, 2}))


@FUZZ
@given(
    data=files(chat_docs(), lines=True),
    fmt=st.sampled_from(["auto", "openai-chat", "trl", "alpaca", "openai-dpo"]),
)
def test_validate(workdir: Path, data: bytes, fmt: str) -> None:
    f = _file(workdir, ".jsonl", data)
    _cli(["validate", str(f), "--format", fmt, "--json"], frozenset({0, 1, 2}))


@FUZZ
@given(data=files(chat_docs(), lines=True), schema=files(_json_values))
def test_validate_with_schema(workdir: Path, data: bytes, schema: bytes) -> None:
    f = _file(workdir, ".jsonl", data)
    s = _file(workdir, ".json", schema)
    _cli(["validate", str(f), "--schema", str(s)], frozenset({0, 1, 2}))


def test_zz_report_counts(capsys: pytest.CaptureFixture[str]) -> None:
    """Print how many CLI runs the fuzz tests made and how long they took (-s shows it)."""
    with capsys.disabled():
        print(
            f"\nfuzz: {_stats['runs']} CLI runs in {_stats['seconds']:.1f} s, "
            f"exit codes {dict(sorted(_stats['codes'].items()))}"
        )
