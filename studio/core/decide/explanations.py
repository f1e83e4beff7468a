"""How each condition of the decision table explains itself: the :class:`Reason`
sentences, with the answer or evidence field each rests on (the cost breakdown is in
:mod:`studio.core.decide.cost_reasons`).

The wording of every sentence is checked branch by branch in
tests/core/decide/test_decide_reason_templates.py.
"""

from __future__ import annotations

from studio.core.decide.answers import FAST_CHANGING_KNOWLEDGE
from studio.core.decide.context import (
    NO_PRICES,
    Context,
    cheapest_usable,
    economics,
    latency_hurts,
    monthly_total,
)
from studio.core.decide.cost_reasons import cost_reasons
from studio.core.decide.evidence import Evidence
from studio.core.decide.reasons import Reason
from studio.core.decide.wording import num, p_text, pp, score_text, usd


def _r_answer(name: str, value: object, text: str) -> Reason:
    return Reason(text, "answer", name, value)


# The explain_* functions pair up by shape in the duplicates report (a guard, then a
# Reason with a sentence): each says something different, and every line is checked by
# tests/core/decide/test_decide_reason_templates.py.
def _r_ev(name: str, value: object, text: str, ctx: Context) -> Reason:
    return Reason(f"{text} [{ctx.evidence.where(name)}]", "evidence", name, value)


def explain_next_step(ctx: Context) -> list[Reason]:
    out = [
        _r_answer(
            "must_change",
            "next_step_decisions",
            "The model must choose the next step from the last result: that is an "
            "agent design question (tools, a loop, a stop rule and a check of each "
            "step), not something training teaches.",
        )
    ]
    if ctx.answers.wants("knowledge_facts"):
        out.append(
            _r_answer(
                "must_change",
                "knowledge_facts",
                "It also needs facts: give the agent a retrieval tool rather "
                "than training them in.",
            )
        )
    return out


def explain_facts(ctx: Context) -> list[Reason]:
    out = [
        _r_answer(
            "must_change",
            "knowledge_facts",
            "The model must know facts (prices, policies, documents): fine-tuning "
            "changes form and behaviour, not knowledge; facts belong in retrieval "
            "or a longer prompt.",
        )
    ]
    fact = ctx.catalog.general_fact("facts_not_taught_by_fine_tuning")
    if fact is not None:
        out.append(Reason(f"{fact.text} ({fact.source})", "platform_fact", fact.id, fact.text))
    kc = ctx.answers.knowledge_changes
    if kc in FAST_CHANGING_KNOWLEDGE:
        out.append(
            _r_answer(
                "knowledge_changes",
                kc,
                f"The facts change {kc}: a fine-tune would be stale within a "
                f"{'week' if kc == 'weekly' else 'day'} and need retraining each "
                "time; a retrieval index updates when the documents do.",
            )
        )
    else:
        out.append(
            _r_answer(
                "knowledge_changes",
                kc,
                f"The facts change {kc}; even so, a model trained on them "
                "answers from memory and cannot cite the source.",
            )
        )
    return out


def explain_narrow(ctx: Context) -> list[Reason]:
    calls = ctx.answers.calls_per_day
    vol = f" at {num(calls)} calls a day" if calls is not None else ""
    return [
        _r_answer(
            "must_change",
            "narrow_high_volume",
            f"One narrow, repetitive task{vol}: the one case where distilling a "
            "proven prompt into a small fine-tuned model can pay.",
        )
    ]


def explain_small_meets(ctx: Context) -> list[Reason]:
    e, a = ctx.evidence, ctx.answers
    assert e.candidate_score is not None and a.quality_target is not None
    model = e.candidate_model or a.candidate_model or "the candidate model"
    out = [
        _r_ev(
            "candidate_score",
            e.candidate_score,
            f"With the same prompt, {model} already scores "
            f"{score_text(e.candidate_score, e.candidate_interval(), e.candidate_n)} on "
            f"the test split",
            ctx,
        ),
        _r_answer(
            "quality_target",
            a.quality_target,
            f"The quality target is {a.quality_target:.2f}, so the small model needs "
            "no training: switch models and keep the prompt.",
        ),
    ]
    if e.candidate_p_value is not None and e.best_score is not None:
        verdict = (
            "a real difference"
            if e.candidate_p_value < 0.05
            else "not distinguishable at this test size"
        )
        out.append(
            _r_ev(
                "candidate_p_value",
                e.candidate_p_value,
                "Paired comparison with the best prompt on "
                f"{e.best_model or 'the current model'} ({e.best_score:.2f}): "
                f"p {p_text(e.candidate_p_value)}, {verdict}",
                ctx,
            )
        )
    return out


def explain_motivation(ctx: Context) -> list[Reason]:
    out: list[Reason] = []
    econ = economics(ctx)
    c = ctx.cost
    if c is not None:
        out.extend(cost_reasons(ctx, c))
    elif ctx.answers.calls_per_day is not None and econ == "pays":
        out.append(
            _r_answer(
                "calls_per_day",
                ctx.answers.calls_per_day,
                f"{num(ctx.answers.calls_per_day)} calls a day is at or above the "
                f"{num(ctx.thresholds.rule_of_thumb_calls_per_day)} a day where distillation "
                'usually pays ("tens of thousands of calls a day"); the exact break-even '
                f"cannot be computed: {ctx.cost_gap_text or NO_PRICES}.",
            )
        )
    if latency_hurts(ctx):
        assert ctx.evidence.latency_p95_ms is not None
        out.append(
            _r_ev(
                "latency_p95_ms",
                ctx.evidence.latency_p95_ms,
                f"Measured p95 latency {num(ctx.evidence.latency_p95_ms)} ms misses the "
                f"{num(ctx.answers.latency_target_p95_ms or 0)} ms target: a smaller "
                "model would be faster",
                ctx,
            )
        )
    if ctx.answers.calls_per_day is not None and (
        ctx.answers.calls_per_day >= ctx.thresholds.huge_calls_per_day
    ):
        out.append(
            _r_answer(
                "calls_per_day",
                ctx.answers.calls_per_day,
                f"{num(ctx.answers.calls_per_day)} calls a day is a huge volume: every point of "
                f"error is {num(ctx.answers.calls_per_day / 100)} wrong answers a day, so the "
                "test split must be trusted before anything ships.",
            )
        )
    return out


def explain_motivated(ctx: Context) -> list[Reason]:
    return explain_motivation(ctx)


def explain_no_test_set(ctx: Context) -> list[Reason]:
    return [
        _r_ev(
            "test_set_size",
            ctx.evidence.test_set_size,
            "There is no test split: without an evaluation set nobody can tell whether "
            "tuning helped. Build one first",
            ctx,
        )
    ]


def explain_tiny_test_set(ctx: Context) -> list[Reason]:
    n = ctx.evidence.test_set_size or 0
    mde = ctx.evidence.effective_mde()
    mde_txt = f"; the smallest difference it can detect is {pp(mde)}" if mde is not None else ""
    return [
        _r_ev(
            "test_set_size",
            n,
            f"The test split has {num(n)} examples{mde_txt} (needs ≥ "
            f"{ctx.thresholds.min_test_set} and ≤ {pp(ctx.thresholds.max_mde)}): too small "
            "to tell a tuned model from the prompt",
            ctx,
        )
    ]


def explain_prompt_unproven(ctx: Context) -> list[Reason]:
    e, a = ctx.evidence, ctx.answers
    if e.best_score is None:
        return [
            _r_ev(
                "best_score",
                None,
                "No prompt has been scored on the test split yet: prove the behaviour "
                "with a prompt on the best model first; fine-tuning distils a proven "
                "behaviour, it does not find one",
                ctx,
            )
        ]
    if a.quality_target is None:
        return [
            _r_answer(
                "quality_target",
                None,
                "No quality target was set, so nobody can say the prompt has proven "
                "the behaviour; set the score the task needs on the test split.",
            )
        ]
    return [
        _r_ev(
            "best_score",
            e.best_score,
            f"The best prompt{_label(e)} scores "
            f"{score_text(e.best_score, e.best_interval(), e.best_n)}",
            ctx,
        ),
        _r_answer(
            "quality_target",
            a.quality_target,
            f"That is below the target {a.quality_target:.2f}: the behaviour is not "
            "proven even on the big model, so there is nothing to distil yet; keep "
            "improving the prompt (examples, instructions, schema).",
        ),
    ]


def _label(e: Evidence) -> str:
    bits = [x for x in (e.best_prompt, e.best_model) if x]
    return f" ({' on '.join(bits)})" if bits else ""


def explain_data_not_ready(ctx: Context) -> list[Reason]:
    e, t = ctx.evidence, ctx.thresholds
    out: list[Reason] = []
    if e.approved_examples is None or e.approved_examples < t.min_examples:
        n = e.approved_examples or 0
        out.append(
            _r_ev(
                "approved_examples",
                e.approved_examples,
                f"{num(n)} approved training examples: below the {t.min_examples} "
                f"minimum (below ~100 examples, don't; {t.good_examples}+ is the "
                "usual bar)",
                ctx,
            )
        )
    if e.leaks:
        out.append(
            _r_ev(
                "leaks",
                e.leaks,
                f"{num(e.leaks)} test example"
                f"{' also appears' if e.leaks == 1 else 's also appear'}"
                " in the training data: the "
                "test score would be inflated",
                ctx,
            )
        )
    if e.validation_errors:
        out.append(
            _r_ev(
                "validation_errors",
                e.validation_errors,
                f"The training file has {num(e.validation_errors)} validation errors: "
                "noisy data, fix before training",
                ctx,
            )
        )
    return out


def explain_no_platform(ctx: Context) -> list[Reason]:
    out: list[Reason] = []
    if not ctx.options:
        out.append(
            Reason(
                f"The platform file ({ctx.catalog.path}) lists no fine-tuning "
                "platform, so a fine-tune cannot be trained anywhere.",
                "platform_fact",
                "platforms",
                [],
            )
        )
    elif not ctx.answers.allowed_platforms:
        ids = [o.platform.id for o in ctx.options]
        out.append(
            _r_answer(
                "allowed_platforms",
                [],
                f"No platform was ruled out in advance, so all {len(ids)} platforms in the "
                f"platform file were weighed ({', '.join(ids)}); none of them fits residency "
                f"'{ctx.answers.residency}' and data '{ctx.answers.data_sensitivity}' today:",
            )
        )
        for o in ctx.options:
            out.extend(o.problems)
    else:
        out.append(
            _r_answer(
                "allowed_platforms",
                list(ctx.answers.allowed_platforms),
                f"None of the allowed platforms ({', '.join(ctx.answers.allowed_platforms)}) fits "
                f"residency '{ctx.answers.residency}' and data '{ctx.answers.data_sensitivity}' "
                "today:",
            )
        )
        for o in ctx.options:
            out.extend(o.problems)
    return out


def explain_platform_choice(ctx: Context) -> list[Reason]:
    o = ctx.chosen
    if o is None:
        return []  # guard: the rules call this only with a chosen platform
    p = o.platform
    out = [
        Reason(
            f"Platform: {p.name} — allowed, data stays in "
            f"{', '.join(p.residency)} (residency '{ctx.answers.residency}'), takes "
            f"{', '.join(p.formats)}, tunes {o.model}",
            "platform_fact",
            f"{p.id}.formats",
            list(p.formats),
        )
    ]
    out.extend(o.cautions)
    if not ctx.answers.allowed_platforms:
        out.append(
            _r_answer(
                "allowed_platforms",
                [],
                f"No platform was ruled out in advance, so all {len(ctx.options)} platforms in "
                "the platform file were weighed and priced.",
            )
        )
    cheap = cheapest_usable(ctx.options)
    if cheap is not None and cheap is not o and cheap.cost is not None:
        # rank() puts a usable platform that offers the candidate and is not winding
        # down first by cost, so a cheaper one lost on one of those two counts
        why = (
            "does not offer the candidate model"
            if not cheap.offers_candidate
            else "stops taking new jobs soon"
        )
        out.append(
            Reason(
                f"The cheapest usable platform is {cheap.platform.name} "
                f"({usd(monthly_total(cheap.cost))} a month with training spread over "
                f"{cheap.cost.amortisation_months} months), but it {why}",
                "price_table",
                f"{cheap.platform.id}.monthly",
                round(monthly_total(cheap.cost), 2),
            )
        )
    others = [x for x in ctx.options if x is not o]
    for x in others:
        notes = x.problems or x.cautions
        why = "; ".join(r.text for r in notes) if notes else "ranked lower (costs more)"
        out.append(
            Reason(
                f"Not {x.platform.name}: {why}", "platform_fact", f"{x.platform.id}", x.platform.id
            )
        )
    lock = ctx.catalog.general_fact("fine_tune_dies_with_base_model")
    if lock is not None:
        out.append(Reason(f"{lock.text} ({lock.source})", "platform_fact", lock.id, lock.text))
    return out


def explain_data_ready(ctx: Context) -> list[Reason]:
    e, t = ctx.evidence, ctx.thresholds
    out: list[Reason] = []
    if e.approved_examples is not None:
        note = (
            "meets the usual 500+"
            if e.approved_examples >= t.good_examples
            else f"meets the {t.min_examples} minimum, below the usual {t.good_examples}"
        )
        out.append(
            _r_ev(
                "approved_examples",
                e.approved_examples,
                f"{num(e.approved_examples)} approved training examples ({note})",
                ctx,
            )
        )
    if e.test_set_size:
        mde = e.effective_mde()
        mde_txt = f", smallest detectable difference {pp(mde)}" if mde is not None else ""
        out.append(
            _r_ev(
                "test_set_size",
                e.test_set_size,
                f"Test split of {num(e.test_set_size)} examples{mde_txt}",
                ctx,
            )
        )
    if e.tokens_mean_per_example is not None:
        p95 = (
            f", p95 {num(e.tokens_p95_per_example)}" if e.tokens_p95_per_example is not None else ""
        )
        out.append(
            _r_ev(
                "tokens_mean_per_example",
                e.tokens_mean_per_example,
                f"{num(e.tokens_mean_per_example)} tokens per example on average{p95}",
                ctx,
            )
        )
    return out


def explain_prompt_proven(ctx: Context) -> list[Reason]:
    e, a = ctx.evidence, ctx.answers
    if e.best_score is None or a.quality_target is None:
        return []  # guard: the rules call this only once the prompt met the target
    return [
        _r_ev(
            "best_score",
            e.best_score,
            f"The best prompt{_label(e)} meets the target {a.quality_target:.2f} with "
            f"{score_text(e.best_score, e.best_interval(), e.best_n)}: the behaviour is "
            "proven, so a fine-tune distils it",
            ctx,
        )
    ]


def explain_prompt_status(ctx: Context) -> list[Reason]:
    """For the prompt-side rows: say whether the current prompt already meets the target."""
    e, a = ctx.evidence, ctx.answers
    if e.best_score is None:
        return []
    if a.quality_target is not None and e.best_score >= a.quality_target:
        return [
            _r_ev(
                "best_score",
                e.best_score,
                f"The best prompt{_label(e)} already meets the target "
                f"{a.quality_target:.2f} with "
                f"{score_text(e.best_score, e.best_interval(), e.best_n)}: keep it",
                ctx,
            )
        ]
    target = f" (target {a.quality_target:.2f})" if a.quality_target is not None else ""
    return [
        _r_ev(
            "best_score",
            e.best_score,
            f"The best prompt{_label(e)} scores "
            f"{score_text(e.best_score, e.best_interval(), e.best_n)}{target}",
            ctx,
        )
    ]


def explain_procedure(ctx: Context) -> list[Reason]:
    return [
        _r_answer(
            "must_change",
            "long_procedure",
            "A long multi-rule procedure: put the SOP in the prompt, numbered, and add "
            "a checking step that verifies each rule was applied; the SOP can change "
            "the same day, a fine-tune cannot.",
        )
    ]


def explain_structure(ctx: Context) -> list[Reason]:
    return [
        _r_answer(
            "must_change",
            "format_structure",
            "The same fixed structure every time: use structured outputs (a JSON "
            "Schema the API enforces) or a schema-constrained prompt; no training "
            "needed for shape.",
        )
    ]


def explain_tone(ctx: Context) -> list[Reason]:
    return [
        _r_answer(
            "must_change",
            "tone_style",
            "Sound like the brand: a system prompt plus a few good examples of the "
            "team's writing usually holds a style; 200–500 examples would be needed "
            "to train one.",
        )
    ]


def explain_not_motivated(ctx: Context) -> list[Reason]:
    out = explain_motivation(ctx)
    calls = ctx.answers.calls_per_day
    if calls is None:
        out.append(
            _r_answer(
                "calls_per_day",
                None,
                "The expected calls per day are unknown, so fine-tuning cannot be "
                "shown to pay; at a few thousand jobs a month a small model with a "
                "good prompt is usually cheaper all-in.",
            )
        )
    else:
        out.append(
            _r_answer(
                "calls_per_day",
                calls,
                f"At {num(calls)} calls a day a fine-tune does not pay for itself"
                + (
                    ""
                    if ctx.answers.latency_target_p95_ms is None
                    else " and latency is within target"
                )
                + ": keep the prompt and try it on a cheaper model.",
            )
        )
    return out


def explain_default(ctx: Context) -> list[Reason]:
    return [
        _r_answer(
            "must_change",
            sorted(ctx.answers.must_change),
            "Nothing ticked calls for anything but a better prompt: iterate on the "
            "prompt against the test split.",
        )
    ]
