"""A small real project for the export tests: one dataset, one prompt version, preferences."""

from __future__ import annotations

from pathlib import Path

from studio.core.datasets import add_example, create_dataset
from studio.core.db.project import Project, new_project
from studio.core.models import EvalResult, EvalRun, EvalVariant, Preference
from studio.core.prompts.service import save_version
from studio.core.prompts.spec import Message, PromptSpec

DATASET = "support answers"
PROMPT = "support"
QUESTIONS = [
    ("Where is my new card?", "Cards arrive within 5 working days; track it under Cards."),
    ("How do I top up by bank transfer?", "Open Payments, choose Top up, then Bank transfer."),
    ("Why was I charged a fee?", "Fees appear for ATM withdrawals over the monthly limit."),
    ("Can I change my PIN?", "Yes: Cards, then Security, then Change PIN."),
    ("My transfer is pending.", "Transfers can take up to one working day to clear."),
    ("How do I freeze my card?", "Tap Cards, then Freeze; you can unfreeze at any time."),
    ("Which currencies can I hold?", "You can hold 30 currencies in one account."),
    ("Is Apple Pay supported?", "Yes, add the card in Wallet and follow the steps."),
    ("How do I close my account?", "Go to Profile, then Close account; we confirm by e-mail."),
    ("What is the exchange rate?", "We use the interbank rate plus a small fee on weekends."),
    ("I lost my phone.", "Log in on the web and freeze your card, then call us."),
    ("Can I get a refund?", "Ask the merchant first; if that fails, open a dispute."),
]


def _spec() -> PromptSpec:
    return PromptSpec(
        messages=(
            Message("system", "You answer bank customers briefly."),
            Message("user", "Customer question: {{question}}"),
        ),
        model="gpt-4o-mini",
    )


def build_project(path: Path) -> None:
    """12 approved train examples, 3 approved validation, 2 approved test, 3 in review."""
    project = new_project(path)
    try:
        ds = create_dataset(project, DATASET, input_fields=("question",)).id
        for q, a in QUESTIONS:
            add_example(
                project, ds, {"question": q}, ideal_output=a, status="approved", split="train"
            )
        for i in range(3):
            add_example(
                project,
                ds,
                {"question": f"Validation question {i}?"},
                ideal_output=f"Validation answer {i}.",
                status="approved",
                split="validation",
            )
        for i in range(2):
            add_example(
                project,
                ds,
                {"question": f"Test question {i}?"},
                ideal_output=f"Test answer {i}.",
                status="approved",
                split="test",
            )
        for i in range(3):
            add_example(
                project,
                ds,
                {"question": f"Unreviewed question {i}?"},
                ideal_output=f"Unreviewed answer {i}.",
                status="needs_review",
                split="train",
            )
        save_version(project, PROMPT, _spec(), "first version", author="tester")
        _add_preferences(project, ds)
    finally:
        project.close()


def _add_preferences(project: Project, dataset_id: int) -> None:
    """An A/B run over the train and validation examples, with one preference each."""
    from sqlalchemy import text

    with project.session() as s:
        ids = [
            r[0]
            for r in s.execute(
                text(
                    "SELECT id FROM example WHERE dataset_id = :d AND status = 'approved' "
                    "AND split IN "
                    "('train', 'validation') ORDER BY id"
                ),
                {"d": dataset_id},
            )
        ]
        run = EvalRun(name="ab", dataset_id=dataset_id, split="train", status="completed")
        s.add(run)
        s.flush()
        assert run.id is not None
        va = EvalVariant(run_id=run.id, position=0, label="support@1", model="m-a")
        vb = EvalVariant(run_id=run.id, position=1, label="support@1", model="m-b")
        s.add_all([va, vb])
        s.flush()
        assert va.id is not None and vb.id is not None
        for n, ex in enumerate(ids):
            s.add(
                EvalResult(
                    run_id=run.id,
                    variant_id=va.id,
                    example_id=ex,
                    output=f"Short helpful answer {n}.",
                )
            )
            s.add(
                EvalResult(
                    run_id=run.id,
                    variant_id=vb.id,
                    example_id=ex,
                    output=f"Rambling unhelpful answer {n}.",
                )
            )
            s.add(
                Preference(
                    run_id=run.id,
                    example_id=ex,
                    variant_a_id=va.id,
                    variant_b_id=vb.id,
                    choice="a",
                    source="judge",
                )
            )
        # a tie and a human override (human prefers b on the first example)
        s.add(
            Preference(
                run_id=run.id,
                example_id=ids[1],
                variant_a_id=va.id,
                variant_b_id=vb.id,
                choice="tie",
                source="judge",
            )
        )
        s.add(
            Preference(
                run_id=run.id,
                example_id=ids[0],
                variant_a_id=va.id,
                variant_b_id=vb.id,
                choice="b",
                source="human",
            )
        )


# ------------------------------------------------------------- a schema-bound prompt
INTENTS_DATASET = "intents"
INTENTS_PROMPT = "intents"
INTENT_LABELS = ("card_arrival", "exchange_rate", "lost_or_stolen_card")
INTENT_SCHEMA = {
    "type": "object",
    "properties": {"intent": {"enum": list(INTENT_LABELS)}, "confidence": {"type": "number"}},
    "required": ["intent", "confidence"],
    "additionalProperties": False,
}
INTENT_TEXTS = [
    ("Where is my new card?", "card_arrival"),
    ("My card still has not arrived.", "card_arrival"),
    ("How long does card delivery take?", "card_arrival"),
    ("Card not here after a week", "card_arrival"),
    ("What rate do you use for euros?", "exchange_rate"),
    ("Why is the exchange rate so bad today?", "exchange_rate"),
    ("How do you calculate the exchange rate?", "exchange_rate"),
    ("Is the rate better on weekdays?", "exchange_rate"),
    ("I lost my card", "lost_or_stolen_card"),
    ("Someone stole my wallet with the card", "lost_or_stolen_card"),
    ("My card is gone, block it please", "lost_or_stolen_card"),
    ("Card was stolen at the station", "lost_or_stolen_card"),
]


def _intent_spec() -> PromptSpec:
    return PromptSpec(
        messages=(
            Message(
                "system",
                "Classify the banking query. Answer in JSON with the intent and your confidence.",
            ),
            Message("user", "{{text}}"),
        ),
        model="gpt-4o-mini",
        response_schema=INTENT_SCHEMA,
    )


def build_schema_project(path: Path) -> None:
    """A classification dataset (bare labels as ideal outputs) and a prompt whose
    ``response_schema`` wants ``{"intent": enum, "confidence": number}``: 12 approved train
    examples, 3 approved validation examples."""
    project = new_project(path)
    try:
        ds = create_dataset(
            project, INTENTS_DATASET, task_type="classification", label_set=INTENT_LABELS
        ).id
        for text_, label in INTENT_TEXTS:
            add_example(
                project,
                ds,
                {"text": text_},
                ideal_output=label,
                label=label,
                status="approved",
                split="train",
            )
        for i, label in enumerate(INTENT_LABELS):
            add_example(
                project,
                ds,
                {"text": f"Validation query {i}"},
                ideal_output=label,
                label=label,
                status="approved",
                split="validation",
            )
        save_version(project, INTENTS_PROMPT, _intent_spec(), "JSON answers", author="tester")
    finally:
        project.close()
