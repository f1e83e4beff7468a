"""The decision table as data: named conditions, and rules evaluated in order.

A rule holds when all its conditions hold; the first rule that holds decides. Each
condition explains itself as :class:`Reason` objects, so the reasons of a decision are
exactly the conditions that produced it plus the rule's named extra explanations.

The rows follow docs/decision-facts.md §3: the decision table and "the usual checks
before anyone trains" — (1) facts or behaviour? facts → retrieval; (2) can a prompt hold
the behaviour? prove it on the best model; (3) only if a prompt provably cannot hold it
at the needed volume and cost, scope a fine-tune as distilling a proven behaviour into a
smaller model (with a test set and enough clean data first).
"""

from __future__ import annotations

from studio.core.decide.answers import FAST_CHANGING_KNOWLEDGE
from studio.core.decide.context import (
    Condition,
    Context,
    Explain,
    Rule,
    data_not_ready,
    economics,
    latency_hurts,
    no_test_set,
    prompt_meets_target,
    small_meets_target,
    tiny_test_set,
)
from studio.core.decide.explanations import (
    explain_data_not_ready,
    explain_data_ready,
    explain_default,
    explain_facts,
    explain_motivated,
    explain_narrow,
    explain_next_step,
    explain_no_platform,
    explain_no_test_set,
    explain_not_motivated,
    explain_platform_choice,
    explain_procedure,
    explain_prompt_proven,
    explain_prompt_status,
    explain_prompt_unproven,
    explain_small_meets,
    explain_structure,
    explain_tiny_test_set,
    explain_tone,
)
from studio.core.decide.reasons import Reason

RECOMMENDATIONS: tuple[str, ...] = (
    "keep_improving_prompt",
    "structured_outputs",
    "retrieval",
    "system_prompt_with_examples",
    "sop_in_prompt",
    "fine_tune_small_model",
    "collect_more_data",
    "agent_design",
)


def _always(ctx: Context) -> list[Reason]:
    return []


CONDITIONS: dict[str, Condition] = {
    "wants_next_step": Condition(
        lambda c: c.answers.wants("next_step_decisions"), explain_next_step
    ),
    "wants_facts": Condition(lambda c: c.answers.wants("knowledge_facts"), explain_facts),
    "wants_narrow": Condition(lambda c: c.answers.wants("narrow_high_volume"), explain_narrow),
    "wants_procedure": Condition(lambda c: c.answers.wants("long_procedure"), explain_procedure),
    "wants_structure": Condition(lambda c: c.answers.wants("format_structure"), explain_structure),
    "wants_tone": Condition(lambda c: c.answers.wants("tone_style"), explain_tone),
    "small_meets_target": Condition(small_meets_target, explain_small_meets),
    "ft_motivated": Condition(
        lambda c: economics(c) == "pays" or latency_hurts(c), explain_motivated
    ),
    "no_test_set": Condition(no_test_set, explain_no_test_set),
    "tiny_test_set": Condition(tiny_test_set, explain_tiny_test_set),
    "prompt_unproven": Condition(lambda c: not prompt_meets_target(c), explain_prompt_unproven),
    "data_not_ready": Condition(data_not_ready, explain_data_not_ready),
    "no_platform": Condition(lambda c: c.chosen is None, explain_no_platform),
    "platform_chosen": Condition(lambda c: c.chosen is not None, _always),
}

#: Extra explanations a rule may name (not conditions: they never decide).
EXPLAINERS: dict[str, Explain] = {
    "platform_choice": explain_platform_choice,
    "data_ready": explain_data_ready,
    "prompt_proven": explain_prompt_proven,
    "prompt_status": explain_prompt_status,
    "not_motivated": explain_not_motivated,
    "default": explain_default,
}


def _chosen_name(ctx: Context) -> str:
    return ctx.chosen.platform.name if ctx.chosen else "?"


def _tuned_name(ctx: Context) -> str:
    return (
        ctx.chosen.model
        if ctx.chosen and ctx.chosen.model
        else ctx.answers.candidate_model or "a small model"
    )


def _small_name(ctx: Context) -> str:
    return ctx.evidence.candidate_model or ctx.answers.candidate_model or "the small model"


#: The decision table, evaluated top to bottom; the first rule whose conditions all hold wins.
# The rows pair up by shape in the duplicates report: they are the table's data.
RULES: tuple[Rule, ...] = (
    Rule(
        "agent",
        "agent_design",
        ("wants_next_step",),
        lambda c: (
            "Design an agent: choosing the next step from the last result is not a "
            "training problem."
        ),
    ),
    Rule(
        "facts",
        "retrieval",
        ("wants_facts",),
        lambda c: (
            "Use retrieval: the model must know facts"
            + (
                f" that change {c.answers.knowledge_changes}"
                if c.answers.knowledge_changes in FAST_CHANGING_KNOWLEDGE
                else ""
            )
            + ", and fine-tuning does not teach facts."
        ),
    ),
    Rule(
        "small_model_prompt_enough",
        "keep_improving_prompt",
        ("wants_narrow", "small_meets_target"),
        lambda c: (
            f"No training needed: {_small_name(c)} already meets the target with the "
            "prompt; switch models."
        ),
        ("prompt_status",),
    ),
    Rule(
        "ft_no_test_set",
        "collect_more_data",
        ("wants_narrow", "ft_motivated", "no_test_set"),
        lambda c: (
            "Build a test set first: fine-tuning could pay here, but without an "
            "evaluation set nobody can tell whether it helped."
        ),
    ),
    Rule(
        "ft_tiny_test_set",
        "collect_more_data",
        ("wants_narrow", "ft_motivated", "tiny_test_set"),
        lambda c: "Grow the test set first: it is too small to tell a tuned model from the prompt.",
    ),
    Rule(
        "ft_prompt_unproven",
        "keep_improving_prompt",
        ("wants_narrow", "ft_motivated", "prompt_unproven"),
        lambda c: (
            "Keep improving the prompt: prove the behaviour on the best model before distilling it."
        ),
    ),
    Rule(
        "ft_data_not_ready",
        "collect_more_data",
        ("wants_narrow", "ft_motivated", "data_not_ready"),
        lambda c: (
            "Collect and clean more training data: the prompt is proven and volume "
            "justifies a fine-tune, but the data is not ready."
        ),
    ),
    Rule(
        "ft_no_platform",
        "keep_improving_prompt",
        ("wants_narrow", "ft_motivated", "no_platform"),
        lambda c: (
            "Keep the prompt: a fine-tune would pay, but no allowed platform can take it today."
        ),
        ("prompt_status",),
    ),
    Rule(
        "fine_tune",
        "fine_tune_small_model",
        ("wants_narrow", "ft_motivated", "platform_chosen"),
        lambda c: (
            f"Fine-tune {_tuned_name(c)} on {_chosen_name(c)}: a proven prompt, enough "
            "clean data and a volume where the big model's cost or latency hurts."
        ),
        ("prompt_proven", "data_ready", "platform_choice"),
    ),
    Rule(
        "procedure",
        "sop_in_prompt",
        ("wants_procedure",),
        lambda c: "Put the SOP in the prompt and add a checking step.",
        ("prompt_status",),
    ),
    Rule(
        "structure",
        "structured_outputs",
        ("wants_structure",),
        lambda c: "Use structured outputs (a schema-constrained response), not training.",
        ("prompt_status",),
    ),
    Rule(
        "tone",
        "system_prompt_with_examples",
        ("wants_tone",),
        lambda c: "Use a system prompt with a few good examples of the house style.",
        ("prompt_status",),
    ),
    Rule(
        "narrow_low_volume",
        "keep_improving_prompt",
        ("wants_narrow",),
        lambda c: "Keep improving the prompt: at this volume a fine-tune does not pay.",
        ("not_motivated", "prompt_status"),
    ),
    Rule(
        "default",
        "keep_improving_prompt",
        (),
        lambda c: "Keep improving the prompt against the test split.",
        ("default", "prompt_status"),
    ),
)


def first_matching(ctx: Context, rules: tuple[Rule, ...] = RULES) -> Rule:
    """The first rule whose conditions all hold (the last rule has none, so always one)."""
    for rule in rules:
        if all(CONDITIONS[name].test(ctx) for name in rule.when):
            return rule
    raise AssertionError("the decision table must end with an unconditional rule")


def reasons_for(ctx: Context, rule: Rule) -> list[Reason]:
    """The conditions' explanations, then the rule's extras, without repeats."""
    out: list[Reason] = []
    for name in rule.when:
        out.extend(CONDITIONS[name].explain(ctx))
    for name in rule.extra:
        out.extend(EXPLAINERS[name](ctx))
    seen: set[tuple[str, str]] = set()
    unique: list[Reason] = []
    for r in out:
        if (r.text, r.field) not in seen:
            seen.add((r.text, r.field))
            unique.append(r)
    return unique
