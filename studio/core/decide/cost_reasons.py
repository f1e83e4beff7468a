"""The cost comparison as reasons: today's monthly cost, the fine-tuned model's, training,
break-even and payback, each naming the price-table entry or platform fact it rests on.

The wording of every sentence is checked branch by branch in
tests/core/decide/test_decide_reason_templates.py.
"""

from __future__ import annotations

from studio.core.decide.context import Context
from studio.core.decide.cost import CostModel
from studio.core.decide.reasons import Reason, ReasonSource
from studio.core.decide.wording import months_text, num, usd


def _mean_tokens(tpe: float) -> str:
    """Tokens per example as the product below uses them: the mean with two decimals
    when it is not whole, so the billed total recomputes by hand (780 would not)."""
    if float(tpe).is_integer():
        return f"{num(tpe)} tokens"
    return f"{tpe:,.2f} tokens (mean)"


def cost_reasons(ctx: Context, c: CostModel) -> list[Reason]:
    """The cost comparison as reasons, each naming its price-table or platform source."""
    asof = c.price_table_as_of.isoformat()
    out = [
        Reason(
            f"Today: {num(c.calls_per_day)} calls a day × 30 × ({num(c.mean_input_tokens)} in "
            f"× ${c.current_input_per_1m:g} + {num(c.mean_output_tokens)} out × "
            f"${c.current_output_per_1m:g} per 1M tokens on {c.current_model}) = "
            f"{usd(c.today_monthly_usd)} a month (price table as of {asof})",
            "price_table",
            c.current_model,
            round(c.today_monthly_usd, 2),
        ),
    ]
    tuned_src = (
        "fine-tuned prices from the price table"
        if c.tuned_price_source == "price_table"
        else f"base price × {c.inference_multiplier:g} (fine-tuned inference is "
        "1.5–3× the base price)"
    )
    hosting = (
        f" + hosting {usd(c.hosting_monthly_usd)}"
        if c.hosting_fee_per_hour_usd is not None
        else " (hosting fee unknown — edit me in platforms.json; left out)"
    )
    out.append(
        Reason(
            f"Fine-tuned {c.candidate_model} on {c.platform}: ${c.tuned_input_per_1m:g} in / "
            f"${c.tuned_output_per_1m:g} out per 1M ({tuned_src}) = "
            f"{usd(c.tuned_inference_monthly_usd)} a month{hosting}",
            _src(c.tuned_price_source),
            f"{c.candidate_model}.ft_input_per_1m"
            if c.tuned_price_source == "price_table"
            else f"{c.platform}.inference_multiplier",
            round(c.tuned_monthly_usd, 2),
        )
    )
    if c.training_cost_usd is not None:
        if c.training_cost_source == "price_table":
            text = (
                f"Training: {num(c.training_examples)} examples × "
                f"{_mean_tokens(c.tokens_per_example or 0)} × {c.epochs} epochs = "
                f"{num(c.billed_training_tokens or 0)} tokens × "
                f"${c.training_per_1m:g} per 1M = {usd(c.training_cost_usd)} once"
            )
        else:
            text = f"Training: about {usd(c.training_cost_usd)} once (platform estimate)"
        out.append(
            Reason(
                text,
                _src(c.training_cost_source),
                f"{c.candidate_model}.training_per_1m",
                round(c.training_cost_usd, 2),
            )
        )
    if c.break_even_calls_per_day is None:
        out.append(
            Reason(
                f"A fine-tuned call ({usd(c.tuned_cost_per_call)}) is not cheaper than a call to "
                f"{c.current_model} ({usd(c.today_cost_per_call)}): fine-tuning never pays on cost",
                "price_table",
                "break_even_calls_per_day",
                None,
            )
        )
    else:
        lower = "" if c.complete else " at least (unknown fees left out)"
        if c.payback_months is not None:
            outcome = (
                f"monthly saving {usd(c.monthly_saving_usd)}; "
                f"training pays back in {months_text(c.payback_months)}"
            )
        else:  # cheaper per call, but fixed fees (hosting) outweigh it at this volume
            outcome = (
                f"at this volume the fine-tuned model costs {usd(-c.monthly_saving_usd)} a month "
                "more than today, so training never pays back"
            )
        out.append(
            Reason(
                f"Break-even: {num(c.break_even_calls_per_day)} calls a day{lower}, training "
                f"spread over {c.amortisation_months} months (you expect {num(c.calls_per_day)}); "
                f"{outcome}",
                "price_table",
                "break_even_calls_per_day",
                round(c.break_even_calls_per_day, 1),
            )
        )
    return out


def _src(kind: str) -> ReasonSource:
    return "price_table" if kind == "price_table" else "platform_fact"
