"""manifest.json's provenance: human / teacher / unknown ideal outputs and synthetic
inputs, counted by hand over the exported rows of helpers/export_project.py."""

from __future__ import annotations

import json
from pathlib import Path

from helpers.export_project import DATASET
from sqlalchemy import text

from studio.core.db.project import Project
from studio.core.db.transactions import read_conn, write_tx
from studio.core.export import export_dataset


def _ids(project: Project, split: str, status: str = "approved") -> list[int]:
    with read_conn(project) as conn:
        return [
            int(r[0])
            for r in conn.execute(
                text("SELECT id FROM example WHERE split = :s AND status = :st ORDER BY id"),
                {"s": split, "st": status},
            ).all()
        ]


def _set(project: Project, ids: list[int], **cols: str) -> None:
    with write_tx(project) as conn:
        for i in ids:
            sets = ", ".join(f"{k} = :{k}" for k in cols)
            conn.execute(text(f"UPDATE example SET {sets} WHERE id = :i"), {**cols, "i": i})


def test_manifest_counts_ideal_sources_and_synthetic_inputs(
    export_project: Project, tmp_path: Path
) -> None:
    train, val, test = (_ids(export_project, s) for s in ("train", "validation", "test"))
    review = _ids(export_project, "train", "needs_review")
    assert (len(train), len(val), len(test), len(review)) == (12, 3, 2, 3)
    # start from rows of unknown origin (written before distillation), then mark some
    _set(export_project, train + val + test + review, ideal_source="")
    _set(export_project, train[:3], ideal_source="human")
    _set(export_project, [train[3], train[4], val[0]], ideal_source="teacher")
    _set(export_project, [train[4], val[1]], source="synthetic")
    # not exported: a test row and a row in review
    _set(export_project, [test[0], review[0]], ideal_source="teacher", source="synthetic")
    result = export_dataset(export_project, DATASET, "openai-chat", "support@1", tmp_path)
    assert result.ok
    prov = json.loads((tmp_path / "manifest.json").read_text())["provenance"]
    # 15 exported rows (12 train + 3 validation): human 3, teacher 3, unknown 15 - 6 = 9
    assert prov["ideal_outputs"] == {"human": 3, "teacher": 3, "unknown": 9}
    assert prov["inputs"] == {"real": 13, "synthetic": 2}
