"""A classification dataset with distil candidates inserted by SQL, and its hand counts.

The rows (label, status, ideal_source, source) and their candidates (status, label,
agreement, valid) are chosen so every figure of the distil evidence has a case:

======  ============  ========  ======  =========  ==============================================
row     label         status    ideal   source     candidates (oldest first)
======  ============  ========  ======  =========  ==============================================
e1      card_arrival  approved  human   real       pending card_arrival (agreement None)
e2      top_up        approved  ""      real       rejected refund (0.6)
e3      refund        draft     human   real       pending, no label, "It's a Refund." (1.0)
e4      top_up        approved  teacher real       accepted top_up (1.0)
e5      —             draft     ""      synthetic  failed (valid 0)
e6      refund        approved  teacher synthetic  accepted refund (0.8)
e7      card_arrival  approved  human   real       rejected card_arrival (None); pending top_up
                                                   (0.4); failed (valid 0)
e8      refund        approved  human   real       none
======  ============  ========  ======  =========  ==============================================

Hand counts (HAND below): accepted e4 e6 = 2; rejected e2 e7a = 2; pending e1 e3 e7b = 3;
failed e5 e7c = 2. Reviewed by label: refund e2(rej) e6(acc) = 1/2, card_arrival e7a(rej)
= 0/1, top_up e4(acc) = 1/1. Agreement of the 7 non-failed: 1.0 e3 e4; 0.8–1.0 e6;
0.6–0.8 e2; 0.4–0.6 e7b; single sample e1 e7a. Teacher vs human ideal: human rows e1 e2
(approved, unknown source) e3 e7 e8; e8 has no candidate; newest valid candidate: e1 right,
e2 wrong (refund ≠ top_up), e3 right (Refund found in the answer), e7 wrong (top_up) = 2/4.
Ideals: human e1 e3 e7 e8 = 4; teacher e4 e6 = 2; unknown e2 = 1; e5 has none.
Synthetic: e5 e6 = 2. Cost: 0.001 × 8 candidates with a cost (e5's has none) = 0.008.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from studio.core.datasets import add_example, create_dataset
from studio.core.db.project import Project
from studio.core.db.transactions import write_tx

DATASET = "intents"
LABELS = ["card_arrival", "top_up", "refund"]

# (label, status, ideal_source, source)
ROWS: list[tuple[str | None, str, str, str]] = [
    ("card_arrival", "approved", "human", ""),
    ("top_up", "approved", "", ""),
    ("refund", "draft", "human", ""),
    ("top_up", "approved", "teacher", ""),
    (None, "draft", "", "synthetic"),
    ("refund", "approved", "teacher", "synthetic"),
    ("card_arrival", "approved", "human", ""),
    ("refund", "approved", "human", ""),
]
# (row index, status, label, output, agreement, valid, cost)
CANDIDATES: list[tuple[int, str, str | None, str | None, float | None, bool, float | None]] = [
    (0, "pending", "card_arrival", "card_arrival", None, True, 0.001),
    (1, "rejected", "refund", "refund", 0.6, True, 0.001),
    (2, "pending", None, "It's a Refund.", 1.0, True, 0.001),
    (3, "accepted", "top_up", "top_up", 1.0, True, 0.001),
    (4, "failed", None, None, None, False, None),
    (5, "accepted", "refund", "refund", 0.8, True, 0.001),
    (6, "rejected", "card_arrival", "card_arrival", None, True, 0.001),
    (6, "pending", "top_up", "top_up", 0.4, True, 0.001),
    (6, "failed", None, "not json", None, False, 0.001),
]

HAND: dict[str, Any] = {
    "accepted": 2,
    "rejected": 2,
    "pending": 3,
    "failed": 2,
    "by_label": {"card_arrival": (0, 1), "refund": (1, 2), "top_up": (1, 1)},
    "agreement": {"1.0": 2, "0.8–1.0": 1, "0.6–0.8": 1, "0.4–0.6": 1, "single sample": 2},
    "teacher_correct": 2,
    "teacher_compared": 4,
    "human": 4,
    "teacher": 2,
    "unknown": 1,
    "synthetic": 2,
    "cost": 0.008,
}


def insert_candidate(
    conn: Any,
    dataset_id: int,
    example_id: int,
    *,
    status: str,
    label: str | None,
    output: str | None,
    agreement: float | None,
    valid: bool,
    cost: float | None,
    kind: str = "text",
) -> None:
    """One candidate row, straight into the table."""
    conn.execute(
        text(
            "INSERT INTO candidate (dataset_id, example_id, prompt_ref, model, params_json, "
            "output_kind, output, label, samples, agreement, valid, reason, status, "
            "response_id, decided_by, cost_usd, created_at) "
            "VALUES (:d, :e, 'teacher@1', 'big', '{}', :k, :o, :l, :s, :a, :v, :r, :st, '', '', "
            ":c, CURRENT_TIMESTAMP)"
        ),
        {
            "d": dataset_id,
            "e": example_id,
            "k": kind,
            "o": output,
            "l": label,
            "s": 1 if agreement is None else 5,
            "a": agreement,
            "v": valid,
            "r": "" if valid else "broke the response schema",
            "st": status,
            "c": cost,
        },
    )


def build(project: Project) -> list[int]:
    """Create the dataset, its rows and candidates; return the example ids (e1..e8)."""
    ds = create_dataset(project, DATASET, task_type="classification", label_set=LABELS).id
    ids: list[int] = []
    for i, (label, status, _src, _source) in enumerate(ROWS):
        ch = add_example(project, ds, {"text": f"message {i}"}, label=label, status=status)
        ids.append(ch.example_ids[0])
    with write_tx(project) as conn:
        for eid, (_l, _st, src, source) in zip(ids, ROWS, strict=True):
            conn.execute(
                text("UPDATE example SET ideal_source = :s, source = :src WHERE id = :id"),
                {"s": src, "src": source, "id": eid},
            )
        for row, status, label, output, agreement, valid, cost in CANDIDATES:
            insert_candidate(
                conn,
                ds,
                ids[row],
                status=status,
                label=label,
                output=output,
                agreement=agreement,
                valid=valid,
                cost=cost,
            )
    return ids
