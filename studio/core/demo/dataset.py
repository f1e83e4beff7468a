"""The demo's labelled dataset: a banking77 slice with realistic curation state.

``resources/demo/banking77_demo.csv`` (603 queries, 10 intents; banking77 by PolyAI,
CC BY 4.0, see ``resources/demo/ATTRIBUTION.md``) is imported as a classification
dataset, then curated the way a person would: most examples approved, some waiting
for review, a few rejected, tags, ratings and notes, a few label fixes in the
history, and a stratified, seeded split with a test split of about 120. The CSV
avoids banking77's own near-duplicates except three planted, lightly edited copies:
two pairs stay in train (duplicates) and one crosses into test (a leak), for the user
to find with the duplicate and leakage checks.

Everything is deterministic (ids and a fixed seed), so the demo is the same each time.
"""

from __future__ import annotations

import hashlib

from studio.core import paths
from studio.core.datasets import catalog, curation, duplicates, queries, splits
from studio.core.datasets.importing import import_file
from studio.core.datasets.mapping import ImportMapping
from studio.core.db.project import Project

DEMO_DATASET_NAME = "Banking intents (demo)"
DEMO_CSV = "banking77_demo.csv"
# The three lightly edited copies in the CSV, by their text (see ATTRIBUTION.md)
_PLANTED = (
    (
        "Can I track the card that was just sent to me?",
        "Can I track the card that was just sent to me ?",
    ),
    ("Am I allowed to change my PIN anywhere?", "Am I allowed to change my PIN anywere?"),
    (
        "I need help reapplying my top-up. It seems it isn't working.",
        "I need help reapplying my top-up. It seems it is not working.",
    ),
)


def _bucket(example_id: int, salt: str) -> int:
    """A stable pseudo-random number 0..99 per example (deterministic demo state)."""
    return hashlib.sha256(f"{salt}:{example_id}".encode()).digest()[0] * 100 // 256


def add_demo_dataset(project: Project) -> int:
    """Import and curate the demo dataset; returns its id."""
    csv_path = paths.resources_dir() / "demo" / DEMO_CSV
    mapping = ImportMapping(
        input_fields=["text"],
        label_field="category",
        task_type="classification",
        status="needs_review",
    )
    result = import_file(project, csv_path, DEMO_DATASET_NAME, mapping, all_or_nothing=True)
    assert result.dataset_id is not None
    ds = result.dataset_id
    catalog.update_dataset(
        project,
        ds,
        description=(
            "Customer queries to a bank, labelled with their intent (10 of banking77's 77 "
            "intents; banking77 by PolyAI, CC BY 4.0)."
        ),
    )
    ids = queries.query_ids(project, ds)
    text_of = {row.id: row.input for row in queries.fetch_rows(project, ids)}
    by_text = {t: i for i, t in text_of.items()}

    # A few label fixes: a reviewer first filed these under a neighbouring intent,
    # then corrected them (the history shows both steps, who and when).
    fixes = [
        (i, wrong)
        for i, wrong in zip(
            [i for i in ids if _bucket(i, "fix") == 0][:3],
            ("pending_transfer", "card_arrival", "exchange_rate"),
            strict=False,
        )
    ]
    for example_id, wrong in fixes:
        right = queries.get_example(project, example_id).label
        curation.update_example(project, example_id, label=wrong)
        curation.update_example(project, example_id, label=right, notes="Label fixed after review.")

    # Split: stratified, seeded; ~20 % test (about 120 examples), 10 % validation
    splits.split_dataset(project, ds, test=0.2, validation=0.1, seed=7, stratify=True)

    # Planted near-duplicates: two pairs stay in train (duplicates), one pair has its
    # copy in test (the leak)
    pairs = [(by_text[a], by_text[b]) for a, b in _PLANTED if a in by_text and b in by_text]
    if pairs:
        curation.set_split(project, ds, [i for pair in pairs[:2] for i in pair], "train")
    planted_test = None
    if len(pairs) > 2:
        curation.set_split(project, ds, [pairs[2][0]], "train")
        curation.set_split(project, ds, [pairs[2][1]], "test")
        planted_test = pairs[2][1]
    # The CSV avoids natural banking77 near-duplicates; should any remain across
    # train/test, move it into train so exactly one leak is left to find
    natural = [
        lk.test_id for lk in duplicates.find_leaks(project, ds) if lk.test_id != planted_test
    ]
    if natural:
        curation.set_split(project, ds, sorted(set(natural)), "train")

    # Curation state: most approved, some waiting for review, a few rejected
    approved = [i for i in ids if _bucket(i, "status") >= 18]
    rejected = [
        i for i in ids if _bucket(i, "status") < 1 and i not in {p for pr in pairs for p in pr}
    ]
    curation.set_status(project, ds, approved, "approved")
    curation.set_status(project, ds, rejected, "rejected")
    for example_id in rejected:
        curation.update_example(
            project, example_id, notes="Ambiguous: could be two intents; left out of training."
        )
    curation.add_tag(project, ds, [i for i in ids if _bucket(i, "hard") < 6], "hard")
    curation.add_tag(project, ds, [i for i in ids if _bucket(i, "typo") < 4], "typo")
    curation.add_tag(project, ds, [i for i in ids if _bucket(i, "short") < 3], "short")
    curation.set_rating(project, ds, [i for i in ids if _bucket(i, "rate") < 10], 5)
    curation.set_rating(project, ds, [i for i in ids if 10 <= _bucket(i, "rate") < 13], 3)
    noted = [i for i in ids if _bucket(i, "note") < 2 and i not in rejected][:6]
    for example_id in noted:
        curation.update_example(
            project, example_id, notes="Good example of how customers phrase this."
        )
    return ds
