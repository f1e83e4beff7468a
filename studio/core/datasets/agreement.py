"""Inter-annotator agreement on a dataset's overlap rows: Cohen's kappa and Krippendorff's alpha.

Cohen's kappa (two labellers): ``(p_o - p_e) / (1 - p_e)`` with ``p_o`` the share of
items both gave the same label and ``p_e = sum_k p1(k) p2(k)`` the agreement expected from
each labeller's own label frequencies.

Krippendorff's alpha, nominal (any number of labellers, missing labels allowed):
``1 - D_o / D_e`` from the coincidence matrix ``o_ck`` (each unit with ``m`` labels adds
``1 / (m - 1)`` for every ordered pair of its labels), ``n_c`` its margins, ``n`` their
sum: ``alpha = 1 - (n - 1) * sum_{c != k} o_ck / sum_{c != k} n_c n_k``. Units with fewer
than two labels do not count.

Per label, both are computed on the one-vs-rest data ("L" or "not L"). A figure is None
when it is undefined (every label the same: no variation to agree on). The tests check
these against scikit-learn's ``cohen_kappa_score`` and the ``krippendorff`` package.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from studio.core.db.project import Project
from studio.core.db.transactions import read_conn


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Cohen's kappa of two labellers' labels for the same items (None when undefined)."""
    if len(a) != len(b):
        raise ValueError("both labellers must label the same items")
    n = len(a)
    if n == 0:
        return None
    p_o = sum(1 for x, y in zip(a, b, strict=True) if x == y) / n
    ca, cb = Counter(a), Counter(b)
    p_e = sum(ca[k] * cb[k] for k in ca) / (n * n)
    if p_e >= 1.0:
        return None
    return (p_o - p_e) / (1.0 - p_e)


def krippendorff_alpha_nominal(units: Iterable[Sequence[Hashable]]) -> float | None:
    """Krippendorff's alpha (nominal) of units' labels (None when undefined).

    Args:
        units: for each item, the labels it was given (missing labels left out).
    """
    o: dict[tuple[Hashable, Hashable], float] = {}
    for values in units:
        m = len(values)
        if m < 2:
            continue
        counts = Counter(values)
        for c, nc in counts.items():
            for k, nk in counts.items():
                pairs = nc * (nc - 1) if c == k else nc * nk
                if pairs:
                    o[(c, k)] = o.get((c, k), 0.0) + pairs / (m - 1)
    n_c: dict[Hashable, float] = {}
    for (c, _k), v in o.items():
        n_c[c] = n_c.get(c, 0.0) + v
    n = sum(n_c.values())
    if n <= 1:
        return None
    disagree = sum(v for (c, k), v in o.items() if c != k)
    expected = sum(n_c[c] * n_c[k] for c in n_c for k in n_c if c != k)
    if expected == 0:
        return None
    return 1.0 - (n - 1) * disagree / expected


@dataclass(frozen=True)
class LabelAgreement:
    """Agreement on one label (one-vs-rest)."""

    label: str
    given: int
    """How many times a labeller chose it on the overlap rows."""
    kappa: float | None
    alpha: float | None


@dataclass(frozen=True)
class Agreement:
    """Agreement on a dataset's rows labelled by more than one person.

    Attributes:
        labellers: everyone with a label on an overlap row.
        items: overlap rows with at least two labels.
        observed: share of those on which all labels are the same.
        kappa: Cohen's kappa when exactly two labellers labelled them, else None.
        alpha: Krippendorff's alpha (nominal).
        per_label: each label's one-vs-rest agreement, by label.
        disagreements: rows whose labels differ.
    """

    labellers: tuple[str, ...]
    items: int
    observed: float | None
    kappa: float | None
    alpha: float | None
    per_label: tuple[LabelAgreement, ...]
    disagreements: int

    def to_json(self) -> dict[str, Any]:
        return {
            "labellers": list(self.labellers),
            "items": self.items,
            "observed_agreement": self.observed,
            "kappa": self.kappa,
            "alpha": self.alpha,
            "disagreements": self.disagreements,
            "per_label": [
                {"label": p.label, "given": p.given, "kappa": p.kappa, "alpha": p.alpha}
                for p in self.per_label
            ],
        }


def agreement_of(units: dict[int, dict[str, str]]) -> Agreement:
    """Agreement of ``{item: {labeller: label}}`` (items with fewer than 2 labels ignored)."""
    units = {i: u for i, u in units.items() if len(u) >= 2}
    labellers = tuple(sorted({w for u in units.values() for w in u}))
    labels = sorted({lb for u in units.values() for lb in u.values()})
    n = len(units)
    observed = sum(1 for u in units.values() if len(set(u.values())) == 1) / n if n else None
    pair = len(labellers) == 2
    a_side = [units[i][labellers[0]] for i in sorted(units)] if pair else []
    b_side = [units[i][labellers[1]] for i in sorted(units)] if pair else []
    kappa = cohen_kappa(a_side, b_side) if pair else None
    alpha = krippendorff_alpha_nominal(list(u.values()) for u in units.values())
    given = Counter(lb for u in units.values() for lb in u.values())
    per = []
    for lb in labels:
        k = cohen_kappa([x == lb for x in a_side], [y == lb for y in b_side]) if pair else None
        al = krippendorff_alpha_nominal([v == lb for v in u.values()] for u in units.values())
        per.append(LabelAgreement(lb, given[lb], k, al))
    disagreements = sum(1 for u in units.values() if len(set(u.values())) > 1)
    return Agreement(labellers, n, observed, kappa, alpha, tuple(per), disagreements)


def overlap_labels(project: Project, dataset_id: int) -> dict[int, dict[str, str]]:
    """``{example_id: {labeller: label}}`` of the examples two or more people labelled."""
    with read_conn(project) as conn:
        rows = conn.execute(
            text(
                "SELECT example_id, labeller, label FROM annotation WHERE dataset_id = :d "
                "AND label IS NOT NULL AND example_id IN (SELECT example_id FROM annotation "
                "WHERE dataset_id = :d AND label IS NOT NULL GROUP BY example_id "
                "HAVING count(*) >= 2) ORDER BY example_id, labeller"
            ),
            {"d": dataset_id},
        ).all()
    units: dict[int, dict[str, str]] = {}
    for ex, who, label in rows:
        units.setdefault(int(ex), {})[str(who)] = str(label)
    return units


def dataset_agreement(project: Project, dataset_id: int) -> Agreement:
    """Kappa / alpha, overall and per label, of a dataset's doubly labelled rows."""
    return agreement_of(overlap_labels(project, dataset_id))
