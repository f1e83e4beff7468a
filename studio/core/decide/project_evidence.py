"""Gather the decision's :class:`Evidence` from a project file.

What the studio already measured, each value with a provenance string a reader can
check in the app ("eval run #3 (banking-intent@4 vs @2 on gpt-4.1-mini, test split,
2026-11-20)", "dataset banking77-demo: 412 approved train examples"):

* **The best prompt version** — among the completed evaluation runs of the dataset on
  its *test* split, the (prompt version, model) variant with the highest lower end of
  its Wilson 95 % interval (so a lucky five-item run cannot beat a 400-item one),
  restricted to the current model when one is named.
* **The cheaper model** — a run where the same prompt version was called on two
  models (an A/B across models): the candidate side's score with its interval, and the
  exact McNemar p-value of the paired pass/fail outcomes.
* **Data readiness** — approved train examples, the test split's size and the
  smallest difference it can detect, duplicates among the training examples, test
  examples leaked into train/validation, label balance, exact token statistics and the
  validation status of what the dataset would export: the studio's own export
  (rendered through the best prompt version, checked against its response schema,
  exported as OpenAI chat JSONL and validated; :mod:`studio.core.decide.readiness`).
* **Measured usage** — mean input/output tokens, cost per 1,000 tasks and p95 latency
  of the best variant.

Every run figure (score, Wilson interval, p95 latency, tokens, cost) is read from the
evals' own summary (:func:`studio.core.evals.run_results.run_summary`): one p95 definition,
one Wilson interval, the same numbers the run's summary view shows.

Nothing here writes to the project. Unknown stays ``None`` (never zero), so the
decision can say "no test set yet" instead of pretending.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, text

from studio.core.datasets.catalog import get_dataset
from studio.core.datasets.duplicates import analyse
from studio.core.datasets.near_duplicates import DEFAULT_THRESHOLD
from studio.core.datasets.queries import ExampleDetail, iter_all_examples
from studio.core.db.project import Project
from studio.core.db.transactions import read_conn
from studio.core.decide.distil_facts import fill_distil
from studio.core.decide.evidence import Evidence, minimum_detectable_difference
from studio.core.decide.readiness import check_training_data
from studio.core.decide.run_evidence import (
    RunEvidence,
    VariantStats,
    choose_ab,
    choose_best,
    describe_run,
    load_runs,
)
from studio.core.decide.wording import num, pp
from studio.core.errors import NotFoundError, UserError
from studio.core.evals.stats import mcnemar_exact
from studio.core.tokens.counting import strip_snapshot
from studio.core.tokens.prices import PriceTable, load_price_table

#: Model whose tokenizer counts tokens when the candidate is not an OpenAI model.
DEFAULT_TOKEN_MODEL = "gpt-4.1-mini"


# --------------------------------------------------------------------------- dataset


@dataclass
class _Dataset:
    id: int
    name: str
    task_type: str


def _pick_dataset(conn: Connection, name: str | None) -> _Dataset | None:
    rows = conn.execute(text("SELECT id, name, task_type FROM dataset ORDER BY id")).all()
    if name is not None:
        match = [r for r in rows if r[1] == name]
        if not match:
            have = ", ".join(f"'{r[1]}'" for r in rows) or "none"
            raise NotFoundError(
                f"The project has no dataset named '{name}' (datasets: {have}).", where="dataset"
            )
        chosen = match[0]
    elif not rows:
        return None
    else:
        # The dataset the team evaluates on (latest completed test run), else the one
        # with the most approved examples.
        latest = conn.execute(
            text(
                "SELECT dataset_id FROM eval_run WHERE dataset_id IS NOT NULL AND split = 'test' "
                "AND status = 'completed' AND kind = 'ab' ORDER BY id DESC LIMIT 1"
            )
        ).first()
        if latest is not None:
            chosen = next(r for r in rows if r[0] == latest[0])
        else:
            approved: dict[int, int] = dict(
                conn.execute(
                    text(
                        "SELECT dataset_id, COUNT(*) FROM example WHERE status = 'approved' "
                        "GROUP BY dataset_id"
                    )
                ).all()
            )
            chosen = max(rows, key=lambda r: (approved.get(r[0], 0), -r[0]))
    # The answer's shape is the prompt version's response_schema, checked by the export
    # (decide/readiness.py), not a second schema of the dataset's own.
    return _Dataset(int(chosen[0]), chosen[1], chosen[2])


def _train_examples(project: Project, dataset_id: int, split_known: bool) -> list[ExampleDetail]:
    """Approved examples of the train split (all approved ones while not split)."""
    return [
        ex
        for ex in iter_all_examples(project, dataset_id)
        if ex.status == "approved" and (not split_known or ex.split == "train")
    ]


# --------------------------------------------------------------------------- gather


def gather_evidence(
    project: Project,
    *,
    dataset: str | None = None,
    today: date,
    current_model: str | None = None,
    candidate_model: str | None = None,
    prices: PriceTable | None = None,
    check_duplicates: bool = True,
) -> Evidence:
    """Fill every :class:`Evidence` field the project can answer, with provenance.

    Args:
        project: the open project.
        dataset: the dataset's name; by default the one with the latest completed test
            run, else the one with the most approved examples.
        today: the date run ages are measured against (never the clock).
        current_model: the model the prompt runs on today (picks the best variant).
        candidate_model: the smaller model to compare (picks the A/B across models).
        prices: the price table for "cheaper" and computed costs (default: the dated one).
        check_duplicates: find near duplicates and leaks (the slowest part).

    Raises:
        NotFoundError: ``dataset`` names no dataset of the project.
    """
    ev = Evidence()
    prov = ev.provenance
    if prices is None:
        try:
            prices = load_price_table()
        except UserError:
            prices = None
    with read_conn(project) as conn:
        ds = _pick_dataset(conn, dataset)
        if ds is None:
            return ev
        split_rows: dict[str, int] = dict(
            conn.execute(
                text(
                    "SELECT COALESCE(split, ''), COUNT(*) FROM example WHERE dataset_id = :ds "
                    "AND status != 'rejected' GROUP BY split"
                ),
                {"ds": ds.id},
            ).all()
        )
        split_known = any(k for k in split_rows)
    runs = load_runs(project, ds.id)
    train = _train_examples(project, ds.id, split_known)
    best = choose_best(runs, current_model, candidate_model)

    _fill_best(ev, best, runs, today, prices)
    if best is not None:
        ab = choose_ab(runs, best, candidate_model, prices)
        if ab is not None:
            _fill_candidate(ev, *ab, today)

    # Data readiness.
    what = (
        "approved train examples"
        if split_known
        else "approved examples (the dataset is not split yet)"
    )
    ev.approved_examples = len(train)
    prov["approved_examples"] = f"dataset {ds.name}: {num(len(train))} {what}"
    test_n = int(split_rows.get("test", 0))
    ev.test_set_size = test_n
    prov["test_set_size"] = (
        f"dataset {ds.name}: {num(test_n)} test-split examples (rejected ones not counted)"
    )
    if test_n:
        base = ev.best_score if ev.best_score is not None else 0.8
        ev.mde = minimum_detectable_difference(test_n, base)
        prov["mde"] = (
            f"computed from the {num(test_n)}-example test split (α 0.05, power "
            f"0.8, base rate {base:.2f}): {pp(ev.mde)}"
        )
        prov["effective_mde"] = prov["mde"]
    labels = Counter(r.label for r in train if r.label)
    if labels:
        ev.label_counts = dict(sorted(labels.items(), key=lambda kv: (-kv[1], kv[0])))
        shares = ev.class_shares()
        if shares is not None:
            ev.min_class_share, ev.max_class_share = shares
            rarest = min(labels.items(), key=lambda kv: (kv[1], kv[0]))
            prov["label_counts"] = (
                f"dataset {ds.name}: {len(labels)} labels over {num(sum(labels.values()))} {what}"
            )
            prov["min_class_share"] = prov["class_shares"] = (
                f"{prov['label_counts']}; rarest '{rarest[0]}' ({rarest[1]})"
            )
            prov["max_class_share"] = prov["class_shares"]

    if check_duplicates:
        _fill_duplicates(ev, project, ds, {r.id for r in train}, what)

    token_model = _token_model(candidate_model, prices)
    check = check_training_data(
        project,
        ds.id,
        len(train),
        split_known,
        best.ref if best is not None and best.prompt_version is not None else None,
        get_dataset(project, ds.id).input_fields,
        token_model,
    )
    if check.tokens_mean is not None:
        ev.tokens_mean_per_example = check.tokens_mean
        ev.tokens_p95_per_example = check.tokens_p95
        prov["tokens_mean_per_example"] = prov["tokens_p95_per_example"] = check.tokens_how
    if check.errors is not None:
        ev.validation_errors = check.errors
        ev.validation_warnings = check.warnings
        prov["validation_errors"] = prov["validation_warnings"] = check.validation_how
    fill_distil(ev, project, ds.id, ds.name)
    return ev


def _token_model(candidate_model: str | None, prices: PriceTable | None) -> str:
    """The candidate when it is an OpenAI model (its tokenizer is known), else a default."""
    if candidate_model and prices is not None:
        entry = prices.get(candidate_model)
        if entry is not None and entry.provider == "openai":
            return candidate_model
    return DEFAULT_TOKEN_MODEL


def _fill_best(
    ev: Evidence,
    best: VariantStats | None,
    runs: Sequence[RunEvidence],
    today: date,
    prices: PriceTable | None,
) -> None:
    if best is None:
        return
    prov = ev.provenance
    run = next(r for r in runs if r.id == best.run_id)
    where = describe_run(run.id, run.variants, today)
    errs = f"; {num(best.errors)} calls failed and are left out" if best.errors else ""
    ev.best_prompt = best.ref
    ev.best_model = best.model
    ev.best_score = best.score
    ev.best_ci_low, ev.best_ci_high = best.interval()
    ev.best_n = best.n
    for name in (
        "best_prompt",
        "best_model",
        "best_score",
        "best_ci_low",
        "best_ci_high",
        "best_n",
    ):
        prov[name] = f"{where}: {best.ref} on {best.model}, {num(best.n)} scored items{errs}"
    calls = f"{where}: {best.ref} on {best.model}"
    summary = best.summary
    if summary is None:
        return
    n_calls = best.calls
    if summary.tokens_in is not None and n_calls:
        ev.mean_input_tokens = summary.tokens_in / n_calls
        prov["mean_input_tokens"] = f"{calls}, mean of {num(n_calls)} answered calls"
    if summary.tokens_out is not None and n_calls:
        ev.mean_output_tokens = summary.tokens_out / n_calls
        prov["mean_output_tokens"] = f"{calls}, mean of {num(n_calls)} answered calls"
    if summary.cost_per_1000 is not None:
        ev.cost_per_1000_tasks = summary.cost_per_1000
        prov["cost_per_1000_tasks"] = f"{calls}, measured cost of {num(n_calls)} answered calls"
    elif ev.mean_input_tokens is not None and ev.mean_output_tokens is not None and prices:
        entry = prices.get(best.model) or prices.get(strip_snapshot(best.model))
        if entry is not None and entry.input_per_1m is not None and entry.output_per_1m is not None:
            ev.cost_per_1000_tasks = (
                1000
                * (
                    ev.mean_input_tokens * entry.input_per_1m
                    + ev.mean_output_tokens * entry.output_per_1m
                )
                / 1e6
            )
            prov["cost_per_1000_tasks"] = (
                f"{calls}: measured tokens × price table as of {prices.as_of.isoformat()}"
            )
    if summary.latency_p95_ms is not None:
        ev.latency_p95_ms = summary.latency_p95_ms
        prov["latency_p95_ms"] = (
            f"{calls}, p95 of {num(n_calls)} answered calls (the run summary's figure)"
        )


def _fill_candidate(
    ev: Evidence, run: RunEvidence, big: VariantStats, small: VariantStats, today: date
) -> None:
    prov = ev.provenance
    where = describe_run(run.id, run.variants, today)
    ev.candidate_model = small.model
    ev.candidate_score = small.score
    ev.candidate_ci_low, ev.candidate_ci_high = small.interval()
    ev.candidate_n = small.n
    text_ = f"{where}: {small.ref} on {small.model}, {num(small.n)} scored items"
    for name in (
        "candidate_model",
        "candidate_score",
        "candidate_ci_low",
        "candidate_ci_high",
        "candidate_n",
    ):
        prov[name] = text_
    if big.binary and small.binary:
        shared = set(big.outcomes) & set(small.outcomes)
        b = sum(1 for k in shared if big.outcomes[k] >= 0.5 > small.outcomes[k])
        c = sum(1 for k in shared if small.outcomes[k] >= 0.5 > big.outcomes[k])
        if shared:
            ev.candidate_p_value = mcnemar_exact(b, c)
            prov["candidate_p_value"] = (
                f"{where}: exact McNemar test on {num(len(shared))} paired items, "
                f"{big.model} alone right on {b}, {small.model} alone right on {c}"
            )
    p95 = small.summary.latency_p95_ms if small.summary is not None else None
    if p95 is not None:
        ev.candidate_latency_p95_ms = p95
        prov["candidate_latency_p95_ms"] = (
            f"{where}: {small.ref} on {small.model}, p95 of {num(small.calls)} answered calls "
            "(the run summary's figure)"
        )


def _fill_duplicates(
    ev: Evidence, project: Project, ds: _Dataset, train_ids: set[int], what: str
) -> None:
    prov = ev.provenance
    # One pass for both (the datasets area's analyse): groups among every non-rejected
    # example, counted here only inside the training data, which is what a fine-tune sees.
    groups, leaks = analyse(project, ds.id)
    surplus = 0
    n_groups = 0
    exact = 0
    for g in groups:
        members = [i for i in g.example_ids if i in train_ids]
        if len(members) > 1:
            surplus += len(members) - 1
            n_groups += 1
            exact += int(g.exact)
    ev.duplicates = surplus
    prov["duplicates"] = (
        f"dataset {ds.name}: {num(surplus)} surplus copies in {num(n_groups)} groups "
        f"({num(exact)} exact) among the {what}, near duplicates at similarity ≥ "
        f"{DEFAULT_THRESHOLD:.2f}"
    )
    leaked = {lk.test_id for lk in leaks}
    ev.leaks = len(leaked)
    verb = "example duplicates" if len(leaked) == 1 else "examples duplicate"
    prov["leaks"] = (
        f"dataset {ds.name}: {num(len(leaked))} test {verb} a train or "
        f"validation example (similarity ≥ {DEFAULT_THRESHOLD:.2f})"
    )


def iter_provenance(ev: Evidence) -> Iterable[tuple[str, str]]:
    """(field, provenance) pairs in a stable order (for logs and the CLI)."""
    return sorted(ev.provenance.items())
