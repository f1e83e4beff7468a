"""Agreement figures against reference implementations (ISSUE-14 §3, "Done means").

Real data: banking77 test queries (tests/data/banking77) from 5 intents. Labeller A gives
the true intent; a simulated labeller B keeps it with probability 0.75, else picks
another intent (seeded); for three labellers C keeps it with 0.6 and a third of the
items lose one labeller's label. The two-labeller case goes through a real project
(assign with overlap 1.0, each labeller records blind, ``dataset_agreement`` reads the
annotations back), on an SQLite file and, with ``--start-postgres``, on PostgreSQL too.

Compared with scikit-learn's ``cohen_kappa_score`` and the ``krippendorff`` package
(nominal), overall and per label (one-vs-rest): the largest absolute difference is
printed. Both packages come with the ``test`` extra.

Run: ``python benchmarks/bench_agreement.py [--start-postgres] [--json]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

import krippendorff
import numpy as np
from sklearn.metrics import cohen_kappa_score

BANKING77 = Path(__file__).resolve().parents[1] / "tests" / "data" / "banking77"
INTENTS = ("card_arrival", "card_linking", "exchange_rate", "lost_or_stolen_card", "top_up_failed")


def sample(per_intent: int) -> list[tuple[str, str]]:
    taken = dict.fromkeys(INTENTS, 0)
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


def ref_alpha(table: list[list[Any]]) -> float:
    """krippendorff.alpha (nominal) of a labellers × items table, None = missing."""
    codes: dict[Any, int] = {}
    data = [[np.nan if v is None else codes.setdefault(v, len(codes)) for v in r] for r in table]
    return float(
        krippendorff.alpha(
            reliability_data=np.array(data, dtype=float), level_of_measurement="nominal"
        )
    )


def two_labellers(target: str, tmp: Path) -> dict[str, Any]:
    """A and B label 200 queries blind through a project; ours vs the references."""
    from studio.core.datasets import create_dataset, import_file, query_ids
    from studio.core.datasets.agreement import dataset_agreement
    from studio.core.datasets.assignment import assign, parse_share, record_labels
    from studio.core.db.project import new_project

    rows = sample(40)
    path = tmp / "q.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["text"])
        w.writerows([t] for t, _ in rows)
    truth = [c for _, c in rows]
    second = noisy(truth, 0.75, seed=7)
    project = new_project(target)
    try:
        info = create_dataset(project, "q", task_type="classification", label_set=INTENTS)
        import_file(project, path, "q")
        ids = query_ids(project, info.id)
        assign(project, info.id, [parse_share("alice=50%"), parse_share("bob=50%")], overlap=1.0)
        for who, labels in (("alice", truth), ("bob", second)):
            os.environ["STUDIO_USER"] = who
            for lb in INTENTS:
                record_labels(
                    project, info.id, [i for i, x in zip(ids, labels, strict=True) if x == lb], lb
                )
        agr = dataset_agreement(project, info.id)
    finally:
        project.close()
    per = []
    for p in agr.per_label:
        a, b = [x == p.label for x in truth], [x == p.label for x in second]
        per.append(
            {
                "label": p.label,
                "kappa": p.kappa,
                "kappa_ref": float(cohen_kappa_score(a, b)),
                "alpha": p.alpha,
                "alpha_ref": ref_alpha([a, b]),
            }
        )
    return {
        "items": agr.items,
        "kappa": agr.kappa,
        "kappa_ref": float(cohen_kappa_score(truth, second)),
        "alpha": agr.alpha,
        "alpha_ref": ref_alpha([truth, second]),
        "per_label": per,
    }


def three_labellers() -> dict[str, Any]:
    """Three labellers, a third of the items missing one label: alpha vs krippendorff."""
    from studio.core.datasets.agreement import agreement_of

    rows = sample(30)
    truth = [c for _, c in rows]
    table: list[list[str | None]] = [
        list(truth),
        list(noisy(truth, 0.8, 11)),
        list(noisy(truth, 0.6, 12)),
    ]
    rng = random.Random(5)
    for j in range(len(rows)):
        if rng.random() < 1 / 3:
            table[rng.randrange(3)][j] = None
    names = ("ann", "ben", "cem")
    units = {
        j: {names[k]: table[k][j] for k in range(3) if table[k][j] is not None}
        for j in range(len(rows))
    }
    agr = agreement_of(units)  # type: ignore[arg-type]
    per = []
    for p in agr.per_label:
        binary = [[None if v is None else v == p.label for v in r] for r in table]
        per.append({"label": p.label, "alpha": p.alpha, "alpha_ref": ref_alpha(binary)})
    return {"items": agr.items, "alpha": agr.alpha, "alpha_ref": ref_alpha(table), "per_label": per}


def max_diff(case: dict[str, Any]) -> float:
    pairs = [(case.get("kappa"), case.get("kappa_ref")), (case["alpha"], case["alpha_ref"])]
    for p in case["per_label"]:
        pairs += [(p.get("kappa"), p.get("kappa_ref")), (p["alpha"], p["alpha_ref"])]
    return max(abs(a - b) for a, b in pairs if a is not None and b is not None)


def run(locations: dict[str, str], as_json: bool) -> int:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend, target in locations.items():
            target = target or str(Path(tmp) / "agreement.studio")
            case = two_labellers(target, Path(tmp))
            out[f"two_labellers_{backend}"] = case | {"max_abs_diff": max_diff(case)}
    three = three_labellers()
    out["three_labellers"] = three | {"max_abs_diff": max_diff(three)}
    worst = max(c["max_abs_diff"] for c in out.values())
    if as_json:
        print(json.dumps(out, indent=2))
    else:
        for name, c in out.items():
            kappa = (
                "" if "kappa" not in c else f"kappa {c['kappa']:.6f} (ref {c['kappa_ref']:.6f})  "
            )
            print(
                f"{name:26} items {c['items']}  {kappa}alpha {c['alpha']:.6f} "
                f"(ref {c['alpha_ref']:.6f})  per-label {len(c['per_label'])}  "
                f"max |diff| {c['max_abs_diff']:.1e}"
            )
    return 0 if worst < 1e-12 else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--start-postgres", action="store_true", help="also on a private PostgreSQL server"
    )
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    if args.start_postgres:
        from local_postgres import private_server_database

        with private_server_database("bench_agreement") as url:
            return run({"sqlite": "", "postgresql": url}, args.json)
    return run({"sqlite": ""}, args.json)


if __name__ == "__main__":
    sys.exit(main())
