"""Agreement figures against reference implementations (ISSUE-14 §3).

Real data: banking77 test queries whose true intent is labeller A's answer; a simulated
second (and third) labeller keeps the true intent with a fixed probability and otherwise
picks another intent (seeded). Cohen's kappa is checked against scikit-learn's
``cohen_kappa_score``, Krippendorff's alpha (nominal) against the ``krippendorff``
package, overall and per label (one-vs-rest), on labels stored through the real
assignment and labelling path where two labellers are involved.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from helpers import BANKING77
from sklearn.metrics import cohen_kappa_score

from studio.core.datasets import create_dataset, import_file, query_ids
from studio.core.datasets.agreement import (
    agreement_of,
    cohen_kappa,
    dataset_agreement,
    krippendorff_alpha_nominal,
)
from studio.core.datasets.assignment import assign, parse_share, record_labels
from studio.core.db.project import Project

INTENTS = ("card_arrival", "card_linking", "exchange_rate", "lost_or_stolen_card", "top_up_failed")


def sample(per_intent: int) -> list[tuple[str, str]]:
    taken: dict[str, int] = dict.fromkeys(INTENTS, 0)
    out = []
    with (BANKING77 / "test.csv").open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            if r["category"] in taken and taken[r["category"]] < per_intent:
                taken[r["category"]] += 1
                out.append((r["text"], r["category"]))
    return out


def noisy(truth: list[str], keep: float, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [t if rng.random() < keep else rng.choice([i for i in INTENTS if i != t]) for t in truth]


def alpha_reference(table: list[list[str | None]]) -> float:
    """krippendorff.alpha on a labellers × items table (None = missing)."""
    codes = {lb: i for i, lb in enumerate(INTENTS)}
    data = np.array(
        [[np.nan if v is None else codes[v] for v in row] for row in table], dtype=float
    )
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def test_two_labellers_through_the_project_match_the_references(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = sample(40)  # 200 real queries, 5 intents
    path = tmp_path / "q.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text"])
        w.writerows([t] for t, _ in rows)
    info = create_dataset(project, "q", task_type="classification", label_set=INTENTS)
    import_file(project, path, "q")
    ids = query_ids(project, info.id)
    assert len(ids) == len(rows)
    assign(project, info.id, [parse_share("alice=50%"), parse_share("bob=50%")], overlap=1.0)
    truth = [c for _, c in rows]
    second = noisy(truth, 0.75, seed=7)
    for who, labels in (("alice", truth), ("bob", second)):
        monkeypatch.setenv("STUDIO_USER", who)
        for lb in INTENTS:
            mine = [i for i, x in zip(ids, labels, strict=True) if x == lb]
            record_labels(project, info.id, mine, lb)
    agr = dataset_agreement(project, info.id)
    assert agr.labellers == ("alice", "bob") and agr.items == len(rows)
    assert agr.kappa == pytest.approx(cohen_kappa_score(truth, second), abs=1e-12)
    assert agr.alpha == pytest.approx(alpha_reference([truth, second]), abs=1e-12)
    agree = sum(a == b for a, b in zip(truth, second, strict=True))
    assert agr.observed == pytest.approx(agree / len(rows))
    assert agr.disagreements == len(rows) - agree
    assert 0.6 < agr.kappa < 0.8  # 75% kept out of 5 intents: clearly above chance
    for p in agr.per_label:
        a = [x == p.label for x in truth]
        b = [x == p.label for x in second]
        assert p.kappa == pytest.approx(cohen_kappa_score(a, b), abs=1e-12), p.label
        ref = krippendorff.alpha(
            reliability_data=np.array([a, b], dtype=float), level_of_measurement="nominal"
        )
        assert p.alpha == pytest.approx(ref, abs=1e-12), p.label
        assert p.given == a.count(True) + b.count(True)


def test_three_labellers_with_missing_labels_match_krippendorff() -> None:
    rows = sample(30)  # 150 real queries
    truth = [c for _, c in rows]
    b = noisy(truth, 0.8, seed=11)
    c = noisy(truth, 0.6, seed=12)
    rng = random.Random(5)
    table: list[list[str | None]] = [list(truth), list(b), list(c)]
    for j in range(len(rows)):  # each item loses one labeller's label a third of the time
        if rng.random() < 1 / 3:
            table[rng.randrange(3)][j] = None
    units = {
        j: {w: table[k][j] for k, w in enumerate(("ann", "ben", "cem")) if table[k][j] is not None}
        for j in range(len(rows))
    }
    agr = agreement_of(units)  # type: ignore[arg-type]
    assert agr.kappa is None  # three labellers: alpha only
    assert agr.alpha == pytest.approx(alpha_reference(table), abs=1e-12)
    for p in agr.per_label:
        binary = [[None if v is None else v == p.label for v in row] for row in table]
        data = np.array([[np.nan if v is None else float(v) for v in row] for row in binary])
        ref = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
        assert p.alpha == pytest.approx(ref, abs=1e-12), p.label


def test_textbook_cases() -> None:
    # Perfect agreement, and a worked 2×2 example: p_o = 0.7, p_e = 0.5 -> kappa 0.4
    assert cohen_kappa(["a", "b"], ["a", "b"]) == pytest.approx(1.0)
    a = ["y"] * 25 + ["n"] * 25
    b = ["y"] * 20 + ["n"] * 5 + ["y"] * 10 + ["n"] * 15
    assert cohen_kappa(a, b) == pytest.approx((0.7 - 0.5) / (1 - 0.5))
    # No variation: undefined, not 0 or 1
    assert cohen_kappa(["a", "a"], ["a", "a"]) is None
    assert krippendorff_alpha_nominal([["a", "a"], ["a", "a"]]) is None
    assert krippendorff_alpha_nominal([["a"], ["b"]]) is None  # no pairable unit
