"""Scores that mean what they say (ISSUE-10 §1): exact, json-equal with per-field
agreement, label exact/lenient counts and label-strict, json-schema's schema, help
examples, and the statistics on a binary scorer — every figure against a hand count."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from studio.core.errors import ValidationError
from studio.core.evals.json_scorers import JsonEqual, first_json_value, json_data_equal
from studio.core.evals.judge import combine_pairwise, parse_judge_choice
from studio.core.evals.run_scoring import (
    PASS_FAIL_SCORERS,
    SCORER_HELP,
    SCORER_NAMES,
    RunScorer,
    scorer_help_text,
    with_default_schema,
)
from studio.core.evals.stats import paired_bootstrap_ci
from studio.core.evals.summary import ResultRow, VariantMeta
from studio.core.evals.summary_compute import summarise
from studio.core.evals.workitems import ExampleInput

IDEAL = '{"intents": ["booking", "change"]}'


def _scorer(
    name: str,
    ideal: str,
    config: dict | None = None,  # type: ignore[type-arg]
    labels: tuple[str, ...] = (),
) -> RunScorer:
    example = ExampleInput(
        1, {"text": "x"}, ideal_output=ideal, label=ideal if name.startswith("label") else None
    )
    return RunScorer(name, config or {}, {1: example}, label_set=labels)


# ----------------------------------------------------------------------------- help
def test_every_scorer_has_help_with_a_passing_and_a_failing_example() -> None:
    assert set(SCORER_HELP) == set(SCORER_NAMES)
    for name, h in SCORER_HELP.items():
        if name == "judge":
            first = parse_judge_choice("[[B]]")
            assert combine_pairwise(first, parse_judge_choice("[[A]]")).winner == "B"
            assert (
                combine_pairwise(parse_judge_choice("[[A]]"), parse_judge_choice("[[A]]")).winner
                == "tie"
            )
            continue
        scorer = _scorer(name, h.ideal, h.config, h.labels)
        good, bad = scorer.score(1, h.passing), scorer.score(1, h.failing)
        assert good.passed is True, (name, good.detail)
        assert bad.passed is False, (name, bad.detail)
        text = scorer_help_text([name])
        assert repr(h.passing) in text and repr(h.failing) in text and "passes:" in text


def test_exact_help_says_only_surrounding_whitespace_is_ignored() -> None:
    assert "only surrounding whitespace is ignored" in SCORER_HELP["exact"].summary
    s = _scorer("exact", IDEAL)
    assert s.score(1, "\n\t" + IDEAL + "  \n").passed is True
    for other in (
        '{"intents":["booking","change"]}',
        IDEAL.upper(),
        '{"intents": ["booking",  "change"]}',
    ):
        assert s.score(1, other).passed is False


# ------------------------------------------------------------------------ json-equal
@pytest.mark.parametrize(
    ("answer", "ideal", "equal"),
    [
        ('{"b": 1, "a": [1, 2]}', '{"a": [1, 2], "b": 1}', True),  # key order
        ('{"n": 1.0}', '{"n": 1}', True),  # number spelling
        ('{"n": 1e0}', '{"n": 1.00}', True),
        ('{"n": 100000000000000000001}', '{"n": 1e20}', False),  # exact, not float
        ('{"n": true}', '{"n": 1}', False),  # bool is not 1
        ('{"n": "1"}', '{"n": 1}', False),  # string is not 1
        ("[1, 2]", "[2, 1]", False),  # arrays in order
        ('{"a": null}', "{}", False),  # extra key
        ('  \n{ "a" : [ ] }\n', '{"a":[]}', True),  # whitespace
    ],
)
def test_json_data_equality(answer: str, ideal: str, equal: bool) -> None:
    assert JsonEqual().score(answer, ideal).passed is equal


def test_first_json_value_bare_fenced_or_in_prose() -> None:
    assert first_json_value('{"a": 1}')[1] == {"a": Decimal(1)}
    assert first_json_value('Sure:\n```json\n{"a": 2}\n```\nDone.')[1] == {"a": Decimal(2)}
    assert first_json_value('The answer is {"a": 3} and {"a": 4}.')[1] == {"a": Decimal(3)}
    assert first_json_value("I can't tell {from this} text [sorry")[0] is False
    assert first_json_value('{"n": NaN}')[0] is False
    deep = "[" * 10_000 + "]" * 10_000
    assert first_json_value(deep)[0] is False  # no RecursionError escapes
    assert json_data_equal({"a": [Decimal("1.0")]}, {"a": [Decimal(1)]})


def test_json_equal_per_field_agreement_and_unparsable_ideal() -> None:
    s = _scorer("json-equal", '{"intent": "refund", "urgent": true, "n": 2}')
    assert s.fields(1, '{"intent": "refund", "urgent": false, "n": 2.0}') == {
        "intent": True,
        "urgent": False,
        "n": True,
    }
    assert s.fields(1, "no json here") == {"intent": False, "urgent": False, "n": False}
    assert s.fields(1, '["intent"]') == {"intent": False, "urgent": False, "n": False}
    bad = _scorer("json-equal", "not json {")
    result = bad.score(1, '{"a": 1}')
    assert result.passed is None and "not JSON" in result.detail


# ----------------------------------------------------------------------------- label
LABELS = ("card_arrival", "lost_or_stolen_card", "exchange_rate")


def test_label_exact_vs_lenient_and_strict_variant() -> None:
    cases = [  # (answer, exact?, lenient?)
        ("card_arrival", True, False),
        ("  card_arrival\n", True, False),
        ('{"intent": "card_arrival"}', True, False),
        ("Card arrival", False, True),
        ("The intent is card-arrival.", False, True),
        ("exchange_rate", False, False),
        ("no idea", False, False),
    ]
    lenient = _scorer("label", "card_arrival", labels=LABELS)
    strict = _scorer("label-strict", "card_arrival", labels=LABELS)
    for answer, exact, only_lenient in cases:
        kind = lenient.label_match(1, answer)
        assert kind == ("exact" if exact else "lenient" if only_lenient else None), answer
        assert lenient.score(1, answer).passed is (exact or only_lenient), answer
        assert strict.score(1, answer).passed is exact, answer
        assert strict.label_match(1, answer) == kind


# ----------------------------------------------------------------------- json-schema
SCHEMA = {"type": "object", "required": ["intent"]}
OTHER = {"type": "object", "required": ["label"]}


def test_json_schema_defaults_to_the_response_schema_and_override_wins() -> None:
    cfg = with_default_schema("json-schema", {}, [("p@1", None), ("p@2", SCHEMA)])
    assert cfg == {"schema": SCHEMA}
    cfg = with_default_schema("json-schema", {"schema": OTHER}, [("p@1", SCHEMA)])
    assert cfg == {"schema": OTHER}
    with pytest.raises(ValidationError, match=r"no response_schema.*--schema FILE"):
        with_default_schema("json-schema", {}, [("p@1", None), ("p@2", None)])
    with pytest.raises(ValidationError, match="different response schemas"):
        with_default_schema("json-schema", {}, [("p@1", SCHEMA), ("p@2", OTHER)])
    assert with_default_schema("exact", {"x": 1}, []) == {"x": 1}


# ----------------------------------------------------------------------------- stats
def _wilson(k: int, n: int, z: float = 1.959963984540054) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def _mcnemar_exact(b: int, c: int) -> float:
    n = b + c
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def test_statistics_apply_unchanged_to_json_equal() -> None:
    ideals = {i: f'{{"a": {i}, "b": "x"}}' for i in range(1, 41)}
    examples = {i: ExampleInput(i, {"t": str(i)}, ideal_output=t) for i, t in ideals.items()}
    scorer = RunScorer("json-equal", {}, examples)
    assert scorer.pass_fail and "json-equal" in PASS_FAIL_SCORERS

    def answer(variant: int, i: int) -> str:
        wrong_a = variant == 1 and i % 3 == 0  # A wrong on multiples of 3
        wrong_b = variant == 2 and i % 7 == 0  # B wrong on multiples of 7
        b_field = "y" if (wrong_a or wrong_b) else "x"
        return f'{{"b": "{b_field}", "a": {i}.0}}'

    rows = []
    for v in (1, 2):
        for i in ideals:
            out = answer(v, i)
            s = scorer.score(i, out)
            rows.append(
                ResultRow(
                    v,
                    i,
                    out,
                    None,
                    s.passed,
                    s.score,
                    10.0,
                    1,
                    1,
                    None,
                    False,
                    1,
                    fields=scorer.fields(i, out),
                )
            )
    summary = summarise(
        run_id=1,
        name="r",
        dataset="d",
        split="test",
        scorer="json-equal",
        status="completed",
        example_ids=list(ideals),
        variants=[VariantMeta(1, 0, "p@1", "m"), VariantMeta(2, 1, "p@2", "m")],
        rows=rows,
        pass_fail=scorer.pass_fail,
    )
    # hand count: A wrong on 3,6,...,39 (13), B wrong on 7,...,35 (5)
    a, b = summary.variants
    assert (a.correct, a.answered, b.correct, b.answered) == (27, 40, 35, 40)
    assert a.ci95 == pytest.approx(_wilson(27, 40)) and b.ci95 == pytest.approx(_wilson(35, 40))
    assert a.field_agreement == {"a": [40, 40], "b": [27, 40]}
    assert b.field_agreement == {"a": [40, 40], "b": [35, 40]}
    # discordant pairs: A wrong & B right = 13 - 1 (21 is both) = 12; B wrong & A right = 4
    c = summary.comparison
    assert c is not None and c.test.lower().startswith("exact mcnemar")
    assert c.difference == pytest.approx((35 - 27) / 40)
    assert c.p_value == pytest.approx(_mcnemar_exact(12, 4))
    cli = summary.to_cli_json()["variants"][0]
    assert cli["field_agreement"]["b"] == {"agree": 27, "scored": 40, "share": 27 / 40}
    # the paired bootstrap takes json-equal's 0/1 values like any binary score
    xs = [1.0 if r.passed else 0.0 for r in rows if r.variant_id == 1]
    ys = [1.0 if r.passed else 0.0 for r in rows if r.variant_id == 2]
    boot = paired_bootstrap_ci(xs, ys, n_boot=2000, seed=0)
    assert boot.difference == pytest.approx(8 / 40) and boot.low < 8 / 40 < boot.high
    # by hand: differences are +1 (12), -1 (4), 0 (24); sd 0.6, normal CI 0.2 ± 1.96·0.6/√40
    half = 1.959963984540054 * 0.6 / math.sqrt(40)
    assert boot.low == pytest.approx(0.2 - half, abs=0.03)
    assert boot.high == pytest.approx(0.2 + half, abs=0.03)


def test_schema_file_in_the_config_is_read_and_stored_as_the_schema(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "s.json"
    path.write_text('{"type": "object", "required": ["intent"]}', "utf-8")
    cfg = with_default_schema("json-schema", {"schema_file": str(path)}, [("p@1", OTHER)])
    assert cfg == {"schema": SCHEMA}
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": "objekt"}', "utf-8")
    with pytest.raises(ValidationError, match=r"bad\.json is not a valid JSON Schema"):
        with_default_schema("json-schema", {"schema_file": str(bad)}, [])
    with pytest.raises(ValidationError, match="Cannot read the schema file"):
        with_default_schema("json-schema", {"schema_file": str(tmp_path / "nope.json")}, [])
