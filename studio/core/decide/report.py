"""The decision report as Markdown or as one self-contained HTML file.

The HTML needs nothing beside itself: inline CSS, inline SVG charts (scores with their
95 % intervals against the target, monthly cost today vs fine-tuned over volume with the
break-even marked, label balance), no scripts, no external assets. Every claim is shown
with its number and its source, so a manager can read it without the app.
"""

from __future__ import annotations

from html import escape
from typing import Any

from studio.core.decide.cost import AMORTISATION_MONTHS, CostModel
from studio.core.decide.decision import Decision
from studio.core.decide.distil_facts import distil_rows
from studio.core.decide.evidence import Evidence
from studio.core.decide.wording import months_text, num, pp, usd

TITLES: dict[str, str] = {
    "keep_improving_prompt": "Keep improving the prompt",
    "structured_outputs": "Use structured outputs",
    "retrieval": "Use retrieval",
    "system_prompt_with_examples": "System prompt with a few examples",
    "sop_in_prompt": "SOP in the prompt, plus a checking step",
    "fine_tune_small_model": "Fine-tune a small model",
    "collect_more_data": "Collect more data first",
    "agent_design": "An agent design question",
}

SOURCE_LABELS: dict[str, str] = {
    "answer": "your answer",
    "evidence": "measured in the project",
    "price_table": "price table",
    "platform_fact": "platform facts",
}

#: Evidence rows shown in the report: (field, label, kind).
EVIDENCE_ROWS: tuple[tuple[str, str, str], ...] = (
    ("best_prompt", "Best prompt version", "text"),
    ("best_model", "Measured on", "text"),
    ("best_score", "Best prompt score (test split)", "score"),
    ("best_n", "Scored test items", "int"),
    ("candidate_model", "Cheaper model (same prompt)", "text"),
    ("candidate_score", "Cheaper model score", "score"),
    ("candidate_p_value", "Paired comparison p-value", "p"),
    ("approved_examples", "Approved training examples", "int"),
    ("test_set_size", "Test split size", "int"),
    ("effective_mde", "Smallest detectable difference", "pp"),
    ("duplicates", "Duplicates", "int"),
    ("leaks", "Test examples leaked into training", "int"),
    ("class_shares", "Label share (smallest / largest)", "shares"),
    ("tokens_mean_per_example", "Tokens per example (mean)", "num"),
    ("tokens_p95_per_example", "Tokens per example (p95)", "num"),
    ("validation_errors", "Validation errors", "int"),
    ("validation_warnings", "Validation warnings", "int"),
    ("mean_input_tokens", "Input tokens per call (mean)", "num"),
    ("mean_output_tokens", "Output tokens per call (mean)", "num"),
    ("cost_per_1000_tasks", "Cost per 1,000 tasks (measured)", "usd"),
    ("latency_p95_ms", "p95 latency, current model (ms)", "num"),
    ("candidate_latency_p95_ms", "p95 latency, cheaper model (ms)", "num"),
)


def _evidence_value(e: Evidence, name: str, kind: str) -> str | None:
    if name == "effective_mde":
        v: Any = e.effective_mde()
    elif name == "class_shares":
        shares = e.class_shares()
        return None if shares is None else f"{shares[0]:.1%} / {shares[1]:.1%}"
    else:
        v = getattr(e, name)
    if v is None:
        return None
    if kind == "score":
        interval = e.best_interval() if name == "best_score" else e.candidate_interval()
        ci = f" (95 % CI {interval[0]:.2f}–{interval[1]:.2f})" if interval else ""
        return f"{v:.2f}{ci}"
    if kind == "p":
        return "< 0.001" if v < 0.001 else f"{v:.3f}"
    if kind == "pp":
        return pp(v)
    if kind == "usd":
        return usd(v)
    if kind in ("int", "num"):
        return num(v)
    return str(v)


def evidence_rows(e: Evidence) -> list[tuple[str, str, str]]:
    """(label, value, where) for every known evidence field; unknown ones say so."""
    rows: list[tuple[str, str, str]] = []
    for name, label, kind in EVIDENCE_ROWS:
        value = _evidence_value(e, name, kind)
        where = e.where(name) if value is not None else ""
        if name == "effective_mde" and value is not None and e.mde is None:
            where = "computed from the test split size (α 0.05, power 0.8)"
        rows.append((label, value if value is not None else "unknown", where))
    return rows + distil_rows(e)  # distillation figures, when the data was distilled


def cost_rows(c: CostModel) -> list[tuple[str, str, str]]:
    """(item, amount, source) rows of the cost comparison."""
    asof = f"price table as of {c.price_table_as_of.isoformat()}"
    hosting = (
        usd(c.hosting_monthly_usd)
        if c.hosting_fee_per_hour_usd is not None
        else "unknown — edit me"
    )
    training = usd(c.training_cost_usd) if c.training_cost_usd is not None else "unknown"
    be = (
        f"{num(c.break_even_calls_per_day)} calls/day"
        if c.break_even_calls_per_day is not None
        else "never"
    )
    payback = months_text(c.payback_months) if c.payback_months is not None else "never"
    tuned_src = (
        "price table (fine-tuned prices)"
        if c.tuned_price_source == "price_table"
        else f"base price × {c.inference_multiplier:g} (platform facts)"
    )
    return [
        ("Expected volume", f"{num(c.calls_per_day)} calls/day", "your answer"),
        (
            "Tokens per call (in / out)",
            f"{num(c.mean_input_tokens)} / {num(c.mean_output_tokens)}",
            "measured in the project",
        ),
        (f"Today: {c.current_model} per call", usd(c.today_cost_per_call), asof),
        ("Today: per month (30 days)", usd(c.today_monthly_usd), asof),
        (
            f"Fine-tuned {c.candidate_model} on {c.platform}: per call",
            usd(c.tuned_cost_per_call),
            tuned_src,
        ),
        ("Fine-tuned: inference per month", usd(c.tuned_inference_monthly_usd), tuned_src),
        ("Fine-tuned: hosting per month", hosting, "platform facts"),
        ("Fine-tuned: total per month", usd(c.tuned_monthly_usd), "sum of the two above"),
        (
            f"Training once ({num(c.training_examples)} examples × {c.epochs} epochs)",
            training,
            asof if c.training_cost_source == "price_table" else "platform facts",
        ),
        ("Monthly saving", usd(c.monthly_saving_usd), "today − fine-tuned"),
        ("Break-even volume", be, f"training spread over {c.amortisation_months} months"),
        ("Payback of training", payback, "training ÷ monthly saving"),
    ]


def option_price(o: dict[str, Any]) -> str:
    """What one platform would cost, from its option summary (or why it is not priced)."""
    total = o.get("monthly_total_usd")
    if total is None:
        return f"not priced: {o.get('cost_gap') or 'no price known'}"
    model = f" {o['model']}" if o.get("model") else ""
    training = o.get("training_usd")
    train = (
        f", of which training {usd(training)} spread over {AMORTISATION_MONTHS} months"
        if training
        else ""
    )
    floor = "" if o.get("cost_complete", True) else " at least (unknown fees left out)"
    return f"fine-tuned{model}: {usd(total)} a month{floor}{train}"


def platform_rows(options: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(platform, cost a month, state and why) for every platform weighed (the app's table)."""
    rows: list[tuple[str, str, str]] = []
    for o in options:
        state = "chosen" if o["chosen"] else ("usable" if o["eligible"] else "ruled out")
        if o.get("cheapest_usable"):
            state += ", cheapest usable"
        why = "; ".join(p["text"] for p in o["problems"])
        rows.append((o["name"], option_price(o), state + (f": {why}" if why else "")))
    return rows


def cheapest_line(options: list[dict[str, Any]]) -> str:
    """``Cheapest usable platform: NAME (...)`` or why there is none."""
    cheap = next((o for o in options if o.get("cheapest_usable")), None)
    if cheap is not None:
        return f"Cheapest usable platform: {cheap['name']} ({option_price(cheap)})."
    if not any(o.get("eligible") for o in options):
        return "No platform is usable for this task."
    return "No usable platform could be priced (see each platform above)."


# ------------------------------------------------------------------------------ Markdown


def _md_text(text: str) -> str:
    """Text for a Markdown line: HTML escaped (names come from users and files, and a
    Markdown viewer would run ``<img onerror=...>`` or hide ``<b>`` from the reader)."""
    return escape(str(text), quote=False).replace("\n", " ")


def _md(text: str) -> str:
    """Text for a Markdown table cell: HTML escaped, pipes escaped, one line."""
    return _md_text(text).replace("|", "\\|")


def render_markdown(decision: Decision) -> str:
    """The report as Markdown (for a README, a ticket or the CLI)."""
    d = decision
    lines = [
        "# Fine-tune decision report",
        "",
        f"**Recommendation: {TITLES.get(d.recommendation, d.recommendation)}** "
        f"(`{d.recommendation}`)",
        "",
        _md_text(d.headline),
        "",
        _dates_line(d),
        "",
        "## Why",
        "",
        "| # | Claim | Value | Source |",
        "| --- | --- | --- | --- |",
    ]
    for i, r in enumerate(d.reasons, 1):
        lines.append(
            f"| {i} | {_md(r.text)} | {_md(_value_text(r.value))} | "
            f"{SOURCE_LABELS[r.source]}: `{_md(r.field)}` |"
        )
    if d.what_would_change:
        lines += ["", "## What would change it", ""]
        lines += [f"- {_md_text(w)}" for w in d.what_would_change]
    if d.cost is not None:
        lines += [
            "",
            "## Cost per month (USD)",
            "",
            "| Item | Amount | Source |",
            "| --- | --- | --- |",
        ]
        lines += [f"| {_md(a)} | {_md(b)} | {_md(c)} |" for a, b, c in cost_rows(d.cost)]
    lines += ["", "## Evidence", "", "| Measure | Value | Where from |", "| --- | --- | --- |"]
    lines += [f"| {_md(a)} | {_md(b)} | {_md(c)} |" for a, b, c in evidence_rows(d.evidence)]
    if d.options:
        lines += ["", "## Platforms considered", ""]
        for o in d.options:
            state = "chosen" if o["chosen"] else ("usable" if o["eligible"] else "ruled out")
            why = "; ".join(_md_text(p["text"]) for p in o["problems"])
            lines.append(
                f"- **{_md_text(o['name'])}** ({state}; {_md_text(option_price(o))}; "
                f"fine-tuned model serves until: {_md_text(o.get('horizon', 'unknown'))})"
                + (f": {why}" if why else "")
            )
        lines += ["", _md_text(cheapest_line(d.options))]
    if d.warnings:
        lines += ["", "## Warnings", ""]
        lines += [f"- {_md_text(w)}" for w in d.warnings]
    lines.append("")
    return "\n".join(lines)


def _dates_line(d: Decision) -> str:
    bits = []
    if d.today:
        bits.append(f"Decided on {d.today.isoformat()}")
    if d.price_table_as_of:
        bits.append(f"price table as of {d.price_table_as_of.isoformat()}")
    if d.platforms_as_of:
        bits.append(f"platform facts as of {d.platforms_as_of.isoformat()}")
    return " · ".join(bits)


def _value_text(value: Any) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(v) for v in value) or "none"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


# ------------------------------------------------------------------------------ HTML

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:60rem;padding:0 1rem;color:#1d2330;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;
border-bottom:1px solid #d8dde6;padding-bottom:.2rem}
.rec{background:#eef4ff;border-left:6px solid #2f6fde;padding:.8rem 1rem;margin:1rem 0}
.rec strong{font-size:1.25rem}.dates{color:#5b6475;font-size:.9rem}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{border:1px solid #d8dde6;padding:.35rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f5f9}td.num{text-align:right;white-space:nowrap}
.src{color:#5b6475;font-size:.85rem}.warn{background:#fff6e5;border-left:4px solid #e0a100;
padding:.3rem .6rem;margin:.3rem 0}
.chart{margin:1rem 0}.muted{color:#5b6475}
svg text{font-family:system-ui,sans-serif;font-size:12px;fill:#1d2330}
"""


def _html_table(heads: tuple[str, str, str], rows: list[tuple[str, str, str]]) -> list[str]:
    """A (name, number, source) table's HTML lines: the cost and evidence tables."""
    e = escape
    return [
        "<table>",
        "<thead><tr>" + "".join(f"<th>{h}</th>" for h in heads) + "</tr></thead>",
        "<tbody>",
        *(
            f'<tr><td>{e(a)}</td><td class="num">{e(b)}</td><td class="src">{e(c)}</td></tr>'
            for a, b, c in rows
        ),
        "</tbody>",
        "</table>",
    ]


def render_html(decision: Decision) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG, no scripts)."""
    d = decision
    e = escape
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>Fine-tune decision report: {e(TITLES.get(d.recommendation, d.recommendation))}"
        "</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<h1>Fine-tune decision report</h1>",
        f'<p class="dates">{e(_dates_line(d))}</p>',
        '<div class="rec">',
        f"<p><strong>{e(TITLES.get(d.recommendation, d.recommendation))}</strong> "
        f'<span class="muted">({e(d.recommendation)})</span></p>',
        f"<p>{e(d.headline)}</p>",
        "</div>",
        "<h2>Why</h2>",
        "<table>",
        "<thead><tr><th>#</th><th>Claim</th><th>Value</th><th>Source</th></tr></thead>",
        "<tbody>",
    ]
    for i, r in enumerate(d.reasons, 1):
        parts.append(
            f'<tr><td class="num">{i}</td><td>{e(r.text)}</td>'
            f'<td class="num">{e(_value_text(r.value))}</td>'
            f'<td class="src">{e(SOURCE_LABELS[r.source])}: <code>{e(r.field)}</code></td></tr>'
        )
    parts += ["</tbody>", "</table>"]
    if d.what_would_change:
        parts.append("<h2>What would change it</h2>")
        parts.append("<ul>" + "".join(f"<li>{e(w)}</li>" for w in d.what_would_change) + "</ul>")
    if d.warnings:
        parts.append("<h2>Warnings</h2>")
        parts += [f'<p class="warn">{e(w)}</p>' for w in d.warnings]

    parts.append("<h2>Quality on the test split</h2>")
    parts.append(f'<div class="chart">{score_chart(d)}</div>')

    if d.cost is not None:
        parts.append("<h2>Cost per month</h2>")
        parts.append(f'<div class="chart">{cost_chart(d.cost)}</div>')
        parts += _html_table(("Item", "Amount", "Source"), cost_rows(d.cost))
    else:
        parts.append("<h2>Cost per month</h2>")
        parts.append(
            '<p class="muted">Not computed: the expected volume, the measured tokens '
            "per call or a price is missing (see warnings).</p>"
        )

    parts.append("<h2>Evidence</h2>")
    parts += _html_table(("Measure", "Value", "Where from"), evidence_rows(d.evidence))
    balance = label_chart(d.evidence)
    if balance:
        parts.append("<h2>Label balance</h2>")
        parts.append(f'<div class="chart">{balance}</div>')

    if d.options:
        parts.append("<h2>Platforms considered</h2>")
        parts.append("<ul>")
        for o in d.options:
            state = "chosen" if o["chosen"] else ("usable" if o["eligible"] else "ruled out")
            notes = [p["text"] for p in o["problems"]] + [c["text"] for c in o["cautions"]]
            inner = "".join(f"<li>{e(n)}</li>" for n in notes)
            parts.append(
                f"<li><strong>{e(o['name'])}</strong> ({e(state)}; "
                f"{e(option_price(o))}; fine-tuned model serves until: "
                f"{e(o.get('horizon', 'unknown'))})"
                + (f"<ul>{inner}</ul>" if inner else "")
                + "</li>"
            )
        parts.append("</ul>")
        parts.append(f"<p>{e(cheapest_line(d.options))}</p>")
    if d.answers is not None:
        parts.append("<h2>Your answers</h2>")
        parts += ["<table>", "<tbody>"]
        for k, v in d.answers.to_dict().items():
            parts.append(f"<tr><th>{e(k)}</th><td>{e(_value_text(v))}</td></tr>")
        parts += ["</tbody>", "</table>"]
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


# ------------------------------------------------------------------------------ SVG charts


def _f(x: float) -> str:
    return f"{x:.1f}"


def score_chart(d: Decision) -> str:
    """Horizontal bars of the scores with 95 % interval whiskers and the target line."""
    ev = d.evidence
    rows: list[tuple[str, float, tuple[float, float] | None]] = []
    if ev.best_score is not None:
        label = " · ".join(x for x in (ev.best_prompt, ev.best_model) if x) or "best prompt"
        rows.append((label, ev.best_score, ev.best_interval()))
    if ev.candidate_score is not None:
        rows.append(
            (ev.candidate_model or "cheaper model", ev.candidate_score, ev.candidate_interval())
        )
    target = d.answers.quality_target if d.answers is not None else None
    if not rows:
        return '<p class="muted">No scores on the test split yet.</p>'
    width, left, right, row_h, top = 640, 190, 610, 34, 24
    height = top + row_h * len(rows) + 30

    def x(v: float) -> float:
        return left + (right - left) * min(max(v, 0.0), 1.0)

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Scores with 95% intervals">'
    ]
    for i in range(6):
        v = i / 5
        out.append(
            f'<line x1="{_f(x(v))}" y1="{top - 6}" x2="{_f(x(v))}" '
            f'y2="{height - 26}" stroke="#e3e7ee"/>'
        )
        out.append(f'<text x="{_f(x(v))}" y="{height - 10}" text-anchor="middle">{v:.1f}</text>')
    for i, (label, score, ci) in enumerate(rows):
        y = top + i * row_h
        out.append(
            f'<text x="{left - 8}" y="{y + 17}" text-anchor="end">{escape(label[:28])}</text>'
        )
        out.append(
            f'<rect x="{left}" y="{y + 4}" width="{_f(x(score) - left)}" height="18" '
            f'fill="#7aa6f0"/>'
        )
        if ci is not None:
            out.append(
                f'<line x1="{_f(x(ci[0]))}" y1="{y + 13}" x2="{_f(x(ci[1]))}" '
                f'y2="{y + 13}" stroke="#1d2330" stroke-width="2"/>'
            )
            for end in ci:
                out.append(
                    f'<line x1="{_f(x(end))}" y1="{y + 7}" x2="{_f(x(end))}" '
                    f'y2="{y + 19}" stroke="#1d2330" stroke-width="2"/>'
                )
        ci_txt = f" [{ci[0]:.2f}–{ci[1]:.2f}]" if ci else ""
        # Under the bar from its start: at the bar's end it ran into the whisker and the
        # target line (ISSUE-11 §6: chart labels don't overlap)
        out.append(f'<text x="{left + 4}" y="{y + 31}">{score:.2f}{escape(ci_txt)}</text>')
    if target is not None:
        out.append(
            f'<line x1="{_f(x(target))}" y1="{top - 10}" x2="{_f(x(target))}" '
            f'y2="{height - 26}" stroke="#d0342c" stroke-width="2" '
            f'stroke-dasharray="6 4"/>'
        )
        out.append(
            f'<text x="{_f(x(target))}" y="{top - 12}" text-anchor="middle" '
            f'fill="#d0342c">target {target:.2f}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def cost_chart(c: CostModel) -> str:
    """Monthly cost today vs fine-tuned against calls a day, with the break-even marked."""
    be = c.break_even_calls_per_day
    xmax = max(c.calls_per_day * 1.5, (be or 0.0) * 2.0, 10.0)
    t0, f0 = c.monthly_at(0.0)
    t1, f1 = c.monthly_at(xmax)
    ymax = max(t1, f1, f0, 1.0) * 1.08
    width, height, left, right, top, bottom = 640, 300, 80, 610, 20, 250

    def px(v: float) -> float:
        return left + (right - left) * v / xmax

    def py(v: float) -> float:
        return bottom - (bottom - top) * v / ymax

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Monthly cost today versus fine-tuned by calls per day">'
    ]
    for i in range(5):
        xv, yv = xmax * i / 4, ymax * i / 4
        out.append(
            f'<line x1="{_f(px(xv))}" y1="{top}" x2="{_f(px(xv))}" y2="{bottom}" stroke="#e3e7ee"/>'
        )
        out.append(
            f'<text x="{_f(px(xv))}" y="{bottom + 16}" text-anchor="middle">'
            f"{escape(_short(xv))}</text>"
        )
        out.append(
            f'<line x1="{left}" y1="{_f(py(yv))}" x2="{right}" y2="{_f(py(yv))}" stroke="#e3e7ee"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{_f(py(yv) + 4)}" text-anchor="end">'
            f"{escape('$' + _short(yv))}</text>"
        )
    out.append(
        f'<text x="{(left + right) / 2:.0f}" y="{height - 8}" text-anchor="middle">'
        "calls per day</text>"
    )
    out.append(
        f'<text x="{right}" y="{top + 14}" text-anchor="end">USD per month, '
        f"training spread over {c.amortisation_months} months</text>"
    )
    out.append(
        f'<line x1="{_f(px(0))}" y1="{_f(py(t0))}" x2="{_f(px(xmax))}" y2="{_f(py(t1))}" '
        f'stroke="#d0342c" stroke-width="2.5"/>'
    )
    out.append(
        f'<line x1="{_f(px(0))}" y1="{_f(py(f0))}" x2="{_f(px(xmax))}" y2="{_f(py(f1))}" '
        f'stroke="#2f6fde" stroke-width="2.5"/>'
    )
    out.append(
        f'<text x="{left + 8}" y="{top + 14}" fill="#d0342c">today: '
        f"{escape(c.current_model)}</text>"
    )
    out.append(
        f'<text x="{left + 8}" y="{top + 30}" fill="#2f6fde">fine-tuned: '
        f"{escape(c.candidate_model)} on {escape(c.platform)}</text>"
    )
    if be is not None and be <= xmax:
        out.append(
            f'<line x1="{_f(px(be))}" y1="{top}" x2="{_f(px(be))}" y2="{bottom}" '
            f'stroke="#1d2330" stroke-dasharray="5 4"/>'
        )
        out.append(
            f'<text x="{_f(px(be) + 4)}" y="{top + 48}">break-even {escape(num(be))}/day</text>'
        )
    cur_today, cur_tuned = c.monthly_at(c.calls_per_day)
    out.append(
        f'<circle cx="{_f(px(c.calls_per_day))}" cy="{_f(py(cur_today))}" r="4" fill="#d0342c"/>'
    )
    out.append(
        f'<circle cx="{_f(px(c.calls_per_day))}" cy="{_f(py(cur_tuned))}" r="4" fill="#2f6fde"/>'
    )
    label_y = py(max(cur_today, cur_tuned)) - 6
    out.append(
        f'<text x="{_f(px(c.calls_per_day) + 6)}" y="{_f(label_y)}"'
        f">you: {escape(num(c.calls_per_day))}/day</text>"
    )
    out.append("</svg>")
    return "".join(out)


# The charts end alike, a text label then </svg> (duplicates report pairs cost_chart's end with
# score_chart's): each places its own label.
def label_chart(ev: Evidence) -> str:
    """Horizontal bars of each label's share (top 15, rest grouped); '' when unknown."""
    rows: list[tuple[str, float]] = []
    if ev.label_counts:
        total = sum(ev.label_counts.values())
        if total > 0:
            items = sorted(ev.label_counts.items(), key=lambda kv: (-kv[1], kv[0]))
            rows = [(k, v / total) for k, v in items[:15]]
            rest = items[15:]
            if rest:
                rows.append((f"{len(rest)} other labels", sum(v for _, v in rest) / total))
    else:
        shares = ev.class_shares()
        if shares is not None:
            rows = [("largest label", shares[1]), ("smallest label", shares[0])]
    if not rows:
        return ""
    width, left, right, row_h, top = 640, 190, 560, 22, 10
    height = top + row_h * len(rows) + 10
    top_share = max(s for _, s in rows) or 1.0
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="Label balance">'
    ]
    for i, (label, share) in enumerate(rows):
        y = top + i * row_h
        w = (right - left) * share / top_share
        out.append(
            f'<text x="{left - 8}" y="{y + 14}" text-anchor="end">{escape(label[:28])}</text>'
        )
        out.append(f'<rect x="{left}" y="{y + 3}" width="{_f(w)}" height="15" fill="#8fc79a"/>')
        out.append(f'<text x="{_f(left + w + 4)}" y="{y + 14}">{share:.1%}</text>')
    out.append("</svg>")
    return "".join(out)


def _short(v: float) -> str:
    if v >= 1_000_000:
        return f"{v / 1_000_000:.1f}M"
    if v >= 10_000:
        return f"{v / 1000:.0f}k"
    if v >= 1000:
        return f"{v / 1000:.1f}k"
    return f"{v:.0f}"
