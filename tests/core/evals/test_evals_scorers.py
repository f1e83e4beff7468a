"""Scorers, the confusion table and the two-order LLM judge."""

from __future__ import annotations

from typing import Any

import pytest
from helpers import loopback, provider_for

from studio.core.errors import ValidationError
from studio.core.evals.calls import MemorySink
from studio.core.evals.json_scorers import (
    JsonFieldMatch,
    JsonSchemaValid,
    JsonValid,
    per_field_accuracy,
)
from studio.core.evals.judge import (
    PairwiseJudge,
    combine_pairwise,
    fill_judge_messages,
    parse_judge_choice,
    tally,
)
from studio.core.evals.runner import run_items_blocking
from studio.core.evals.scorers import (
    NO_LABEL,
    Contains,
    ExactMatch,
    LabelMatch,
    NormalisedMatch,
    RegexMatch,
    confusion_table,
    normalise_text,
)
from studio.core.evals.stats import sign_test


def test_exact_and_normalised_match() -> None:
    assert ExactMatch().score("  Paris\n", "Paris").passed is True
    miss = ExactMatch().score("paris", "Paris")
    assert miss.passed is False and miss.score == 0.0 and "expected 'Paris'" in miss.detail
    assert ExactMatch(strip=False).score("Paris ", "Paris").passed is False
    assert NormalisedMatch().score("  PARIS!!  ", "paris").passed is True
    assert NormalisedMatch().score("The answer is: Paris.", "the answer is paris").passed is True
    assert NormalisedMatch().score("Lyon", "Paris").passed is False
    assert normalise_text("Ｈello,\t  World…") == "hello world"


def test_label_match_extracts_known_labels() -> None:
    scorer = LabelMatch(["card_arrival", "lost_or_stolen_card", "refund_not_showing_up"])
    assert scorer.score("card_arrival", "card_arrival").passed
    assert scorer.score("Card arrival.", "card_arrival").passed
    assert scorer.score("The intent is: lost or stolen card", "lost_or_stolen_card").passed
    wrong = scorer.score("refund_not_showing_up", "card_arrival")
    assert not wrong.passed and "got 'refund_not_showing_up'" in wrong.detail
    both = scorer.score("card arrival or refund not showing up", "card_arrival")
    assert not both.passed and "no label recognised" in both.detail
    assert scorer.extract("something else") is None
    assert LabelMatch().score(" Positive ", "positive").passed


def test_confusion_table_counts_and_metrics() -> None:
    table = confusion_table(
        [("a", "a"), ("a", "b"), ("b", "b"), ("b", "b"), ("c", None), ("a", "z")]
    )
    assert table.labels == ["a", "b", "c", "z", NO_LABEL]
    assert table.counts["a"] == {"a": 1, "b": 1, "z": 1}
    assert table.total == 6 and table.accuracy == pytest.approx(3 / 6)
    precision, recall, support = table.per_label()["b"]
    assert precision == pytest.approx(2 / 3) and recall == 1.0 and support == 2
    assert table.per_label()["c"] == (None, 0.0, 1)
    assert confusion_table([]).accuracy is None


def test_json_validity_tolerates_a_fence() -> None:
    assert JsonValid().score('{"a": 1}').passed
    assert JsonValid().score('```json\n{"a": 1}\n```').passed
    bad = JsonValid().score("{'a': 1}")
    assert not bad.passed and "not valid JSON" in bad.detail


def test_json_schema_validity_compiles_once_and_reports_the_path() -> None:
    schema = {
        "type": "object",
        "properties": {"amount": {"type": "number"}, "currency": {"enum": ["EUR", "USD"]}},
        "required": ["amount", "currency"],
        "additionalProperties": False,
    }
    scorer = JsonSchemaValid(schema)
    assert scorer.score('{"amount": 3.5, "currency": "EUR"}').passed
    bad = scorer.score('{"amount": "3", "currency": "EUR"}')
    assert not bad.passed and "amount" in bad.detail
    assert not scorer.score("nope").passed
    with pytest.raises(ValidationError, match="JSON Schema is invalid"):
        JsonSchemaValid({"type": "no-such-type"})


def test_json_field_match_per_field_and_overall() -> None:
    scorer = JsonFieldMatch()
    ideal = {"name": "Ada Lovelace", "year": 1815, "city": "London"}
    full = scorer.score('{"name": "ada lovelace", "year": 1815.0, "city": "London"}', ideal)
    assert full.passed and full.score == 1.0
    part = scorer.score('{"name": "Ada", "year": 1815}', ideal)
    assert not part.passed and part.score == pytest.approx(1 / 3)
    assert part.fields == {"name": False, "year": True, "city": False}
    broken = scorer.score("not json", '{"name": "x"}')
    assert broken.score == 0.0 and broken.fields == {"name": False}
    assert per_field_accuracy([full, part, broken]) == {
        "name": (1, 3),
        "year": (2, 2),
        "city": (1, 2),
    }
    only = JsonFieldMatch(["year"], normalise=False).score('{"year": 1815, "name": "?"}', ideal)
    assert only.passed and only.fields == {"year": True}
    assert not JsonFieldMatch().score('{"ok": true}', {"ok": 1}).passed  # bool is not 1
    with pytest.raises(ValidationError):
        scorer.score("{}", ["not", "an", "object"])


def test_contains_and_regex() -> None:
    assert Contains("refund").score("Your REFUND is on its way").passed
    assert not Contains("refund", case_sensitive=True).score("REFUND").passed
    assert Contains().score("total: 42 EUR", "42").passed
    assert RegexMatch(r"^\d{4}-\d{2}-\d{2}$").score("2024-01-31").passed
    assert not RegexMatch(r"^\d+$").score("12a").passed
    with pytest.raises(ValidationError, match="regular expression"):
        RegexMatch("(")


@pytest.mark.parametrize(
    ("text", "choice"),
    [
        ("A", "A"),
        (" b. ", "B"),
        ("Tie", "tie"),
        ("[[C]]", "tie"),
        ("Both are fine but the second is clearer. [[B]]", "B"),
        ("Verdict: A", "A"),
        ("A good answer would... Verdict: B", "B"),
        ("I cannot decide", None),
        (None, None),
        ("", None),
    ],
)
def test_parse_judge_choice(text: str | None, choice: str | None) -> None:
    assert parse_judge_choice(text) == choice


def test_combining_two_orders_cancels_position_bias() -> None:
    assert combine_pairwise("A", "B").winner == "A"  # A first: A; B first: judge said B = A
    assert combine_pairwise("B", "A").winner == "B"
    biased = combine_pairwise("A", "A")  # always the first shown: disagreement
    assert biased.winner == "tie" and not biased.consistent and "disagree" in biased.detail
    assert combine_pairwise("tie", "tie").winner == "tie"
    assert combine_pairwise("A", "tie").winner == "tie"
    assert combine_pairwise(None, "A").winner is None


JUDGE_PROMPT = [
    {"role": "system", "content": "You compare two answers. Reply A, B or tie."},
    {
        "role": "user",
        "content": "Question: {{input}}\nIdeal: {{ideal}}\n"
        "Answer A: {{output_a}}\nAnswer B: {{ output_b }}\nKeep {{other}}.",
    },
]


def test_judge_messages_fill_only_known_variables() -> None:
    filled = fill_judge_messages(
        JUDGE_PROMPT, {"input": "2+2?", "output_a": "4", "output_b": "5", "ideal": "4"}
    )
    assert "Answer A: 4\nAnswer B: 5" in filled[1]["content"]
    assert "Keep {{other}}." in filled[1]["content"]
    assert JUDGE_PROMPT[1]["content"].startswith("Question: {{input}}")  # not mutated
    with pytest.raises(ValidationError, match="output_b"):
        PairwiseJudge([{"role": "user", "content": "{{output_a}} only"}], model="j")


def _answers(prompt: str) -> tuple[str, str]:
    a = prompt.split("Answer A: ", 1)[1].split("\n", 1)[0]
    b = prompt.split("Answer B: ", 1)[1].split("\n", 1)[0]
    return a, b


@pytest.mark.parametrize("biased", [False, True])
def test_pairwise_judge_end_to_end_through_the_runner(biased: bool) -> None:
    def judge(body: dict[str, Any]) -> str:
        a, b = _answers(body["messages"][-1]["content"])
        if biased:
            return "A"  # always prefers the answer shown first
        return "Reasoning... [[A]]" if len(a) > len(b) else "[[B]]"

    judge_spec = PairwiseJudge(JUDGE_PROMPT, model="judge-model")
    outputs_a = {i: "short" for i in range(6)}
    outputs_b = {i: "a much longer answer" if i < 4 else "tiny" for i in range(6)}
    items = [
        item
        for i in range(6)
        for item in judge_spec.work_items(i, f"question {i}", outputs_a[i], outputs_b[i], "ideal")
    ]
    assert {it.variant_key for it in items} == {"judge:ab", "judge:ba"}
    with loopback(responder=judge) as server:
        sink = MemorySink()
        run_items_blocking(items, provider=provider_for(server), api_key=None, sink=sink)
    got = sink.by_key()
    judgements = [
        judge_spec.combine(got[("judge:ab", i)].output, got[("judge:ba", i)].output)
        for i in range(6)
    ]
    b_wins, a_wins, ties, unreadable = tally(judgements)
    if biased:
        assert (b_wins, a_wins, ties, unreadable) == (0, 0, 6, 0)
    else:
        assert (b_wins, a_wins, ties, unreadable) == (4, 2, 0, 0)
        assert all(j.consistent for j in judgements)
        result = sign_test(b_wins, a_wins, ties)
        assert result.win_share == pytest.approx(4 / 6)
