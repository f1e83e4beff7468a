"""Dataset export: every target re-validates clean, manifests match, selection and splits,
atomic writes, failed re-validation, preference (DPO) export."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import orjson
import pytest
from helpers.export_project import DATASET, QUESTIONS

from studio.core.datasets import get_example, iter_all_examples
from studio.core.db.project import Project
from studio.core.errors import UserError
from studio.core.export import (
    MANIFEST_FILE,
    TRAIN_FILE,
    VALIDATION_FILE,
    carve_validation,
    export_dataset,
    export_kinds,
    load_preference_pairs,
)
from studio.core.export import run as export_run
from studio.core.formats import FORMATS, validate_file
from studio.core.progress import CancelToken
from studio.core.prompts.service import resolve_ref

REF = "support@1"
CASES = [(t, k) for t in FORMATS for k in export_kinds(t)]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _records(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def _ids(project: Project, **where: object) -> list[int]:
    out = []
    for ex in iter_all_examples(project, 1):
        if all(getattr(ex, k) == v for k, v in where.items()):
            out.append(ex.id)
    return out


@pytest.mark.parametrize(("target", "kind"), CASES, ids=[f"{t}-{k}" for t, k in CASES])
def test_every_target_exports_files_that_revalidate_clean(
    export_project: Project, tmp_path: Path, target: str, kind: str
) -> None:
    out = tmp_path / "out"
    result = export_dataset(export_project, DATASET, target, REF, out, kind=kind)  # type: ignore[arg-type]
    assert result.ok, result.message
    manifest = json.loads((out / MANIFEST_FILE).read_text(encoding="utf-8"))
    assert manifest == json.loads(json.dumps(result.manifest))
    assert manifest["target"] == target and manifest["format"] == kind
    for role, name in (("train", TRAIN_FILE), ("validation", VALIDATION_FILE)):
        path = out / name
        entry = manifest["files"][role]
        # the manifest's sha256 and counts are those of the bytes on disk
        assert entry["sha256"] == _sha(path)
        assert entry["bytes"] == path.stat().st_size
        lines = path.read_bytes().splitlines()
        assert entry["records"] == len(lines) == len(manifest["lines"][role])
        assert not path.read_bytes().startswith(b"\xef\xbb\xbf")
        # an independent re-validation agrees: no error for the target
        report = validate_file(path, target)
        errors = [
            f
            for f in report.findings
            if f.severity == "error" and not (role == "validation" and f.code == "too_few_examples")
        ]
        assert errors == [], errors
        assert report.format == target
    assert manifest["prompt"]["ref"] == REF
    assert manifest["prompt"]["hash"] == resolve_ref(export_project, REF).hash
    assert manifest["dataset"]["name"] == DATASET
    assert manifest["studio_version"]
    assert manifest["created_at"][:4].isdigit()
    assert not list(out.glob(".*tmp"))


def test_chat_export_renders_the_prompt_version_and_appends_the_ideal_output(
    export_project: Project, tmp_path: Path
) -> None:
    result = export_dataset(export_project, DATASET, "openai-chat", REF, tmp_path)
    first = _records(tmp_path / TRAIN_FILE)[0]
    question, answer = QUESTIONS[0]
    assert first == {
        "messages": [
            {"role": "system", "content": "You answer bank customers briefly."},
            {"role": "user", "content": f"Customer question: {question}"},
            {"role": "assistant", "content": answer},
        ]
    }
    # the line map leads back to the example
    example = get_example(export_project, result.line_map("train")[0])
    assert example.inputs == {"question": question}
    assert result.example_for_line(tmp_path / TRAIN_FILE, 1) == example.id
    assert result.example_for_line(tmp_path / TRAIN_FILE, 999) is None


def test_only_approved_examples_by_default_and_statuses_option(
    export_project: Project, tmp_path: Path
) -> None:
    approved = set(_ids(export_project, status="approved"))
    review = set(_ids(export_project, status="needs_review"))
    result = export_dataset(export_project, DATASET, "openai-chat", REF, tmp_path / "a")
    exported = set(result.line_map("train")) | set(result.line_map("validation"))
    assert exported <= approved and not exported & review
    wider = export_dataset(
        export_project,
        DATASET,
        "openai-chat",
        REF,
        tmp_path / "b",
        statuses=("approved", "needs_review"),
    )
    assert review <= set(wider.line_map("train"))
    assert wider.manifest["selection"]["statuses"] == ["approved", "needs_review"]


def test_test_split_is_never_exported_by_default(export_project: Project, tmp_path: Path) -> None:
    test_ids = set(_ids(export_project, split="test"))
    result = export_dataset(export_project, DATASET, "openai-chat", REF, tmp_path)
    exported = set(result.line_map("train")) | set(result.line_map("validation"))
    assert test_ids and not exported & test_ids
    assert result.manifest["counts"]["excluded_test_split"] == len(test_ids)


def test_validation_comes_from_the_dataset_split(export_project: Project, tmp_path: Path) -> None:
    val_ids = set(_ids(export_project, split="validation", status="approved"))
    result = export_dataset(
        export_project, DATASET, "openai-chat", REF, tmp_path, validation_fraction=0.5
    )
    assert set(result.line_map("validation")) == val_ids
    # a split exists, so the fraction is not used
    assert result.manifest["selection"]["validation_source"] == "split"
    assert result.manifest["counts"]["validation"] == len(val_ids)


def test_validation_fraction_is_carved_deterministically_when_no_split(
    export_project: Project, tmp_path: Path
) -> None:
    runs = [
        export_dataset(
            export_project,
            DATASET,
            "openai-chat",
            REF,
            tmp_path / str(i),
            splits=(None, "train"),
            validation_fraction=0.2,
        )
        for i in range(2)
    ]
    assert runs[0].manifest["selection"]["validation_source"] == "fraction"
    val = runs[0].line_map("validation")
    assert len(val) == round(0.2 * 12) == 2
    assert val == runs[1].line_map("validation")
    assert (tmp_path / "0" / VALIDATION_FILE).read_bytes() == (
        tmp_path / "1" / VALIDATION_FILE
    ).read_bytes()
    assert not set(val) & set(runs[0].line_map("train"))
    # the carve-out does not depend on row order
    ids = runs[0].line_map("train") + val
    assert carve_validation(1, ids, 0.2) == carve_validation(1, list(reversed(ids)), 0.2)


def test_no_validation_file_without_split_or_fraction(
    export_project: Project, tmp_path: Path
) -> None:
    (tmp_path / VALIDATION_FILE).write_text("stale\n")
    result = export_dataset(
        export_project, DATASET, "openai-chat", REF, tmp_path, splits=(None, "train")
    )
    assert result.ok and result.manifest["selection"]["validation_source"] == "none"
    assert not (tmp_path / VALIDATION_FILE).exists()  # a stale file would mislead
    assert "validation" not in result.manifest["files"]


def test_a_crash_mid_write_leaves_no_partial_file(
    export_project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = {"n": 0}
    real = export_run.example_to_chat

    def flaky(spec, ex, *rest):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("simulated crash")
        return real(spec, ex, *rest)

    monkeypatch.setattr(export_run, "example_to_chat", flaky)
    out = tmp_path / "out"
    with pytest.raises(RuntimeError):
        export_dataset(export_project, DATASET, "openai-chat", REF, out)
    assert calls["n"] == 5
    assert sorted(p.name for p in out.iterdir()) == []


def test_a_failed_export_keeps_the_previous_files_whole(
    export_project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export_dataset(export_project, DATASET, "openai-chat", REF, tmp_path)
    before = (tmp_path / TRAIN_FILE).read_bytes()
    real = export_run.example_to_chat

    def flaky(spec, ex, *rest):  # type: ignore[no-untyped-def]
        if ex.id == 3:
            raise RuntimeError("simulated crash")
        return real(spec, ex, *rest)

    monkeypatch.setattr(export_run, "example_to_chat", flaky)
    with pytest.raises(RuntimeError):
        export_dataset(export_project, DATASET, "openai-chat", REF, tmp_path)
    assert (tmp_path / TRAIN_FILE).read_bytes() == before
    # the old manifest is gone: it no longer describes a complete export
    assert not (tmp_path / MANIFEST_FILE).exists()
    assert not list(tmp_path.glob(".*tmp"))


def test_cancel_leaves_nothing_behind(export_project: Project, tmp_path: Path) -> None:
    from studio.core.errors import CancelledError

    token = CancelToken()
    token.cancel()
    with pytest.raises(CancelledError):
        export_dataset(export_project, DATASET, "openai-chat", REF, tmp_path / "c", cancel=token)
    assert not (tmp_path / "c").exists() or not any((tmp_path / "c").iterdir())


def test_an_export_that_fails_revalidation_is_deleted_and_reported(
    export_project: Project, tmp_path: Path
) -> None:
    # three examples: OpenAI needs at least 10 to train
    result = export_dataset(
        export_project, DATASET, "openai-chat", REF, tmp_path, statuses=("needs_review",)
    )
    assert not result.ok
    assert "too_few_examples" in {f.code for f in result.files[0].blocking_errors()}
    assert "deleted" in result.message and "at least 10" in result.message
    assert not (tmp_path / TRAIN_FILE).exists()
    assert not (tmp_path / MANIFEST_FILE).exists()
    assert result.manifest["status"] == "failed_validation"
    kept = export_dataset(
        export_project,
        DATASET,
        "openai-chat",
        REF,
        tmp_path / "k",
        statuses=("needs_review",),
        keep_failed=True,
    )
    assert not kept.ok and (tmp_path / "k" / TRAIN_FILE).exists()
    assert not (tmp_path / "k" / MANIFEST_FILE).exists()


def test_bad_inputs_raise_user_errors(export_project: Project, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no dataset"):
        export_dataset(export_project, "nope", "openai-chat", REF, tmp_path)
    with pytest.raises(UserError, match="Unknown export target"):
        export_dataset(export_project, DATASET, "gpt-json", REF, tmp_path)
    with pytest.raises(UserError):
        export_dataset(export_project, DATASET, "openai-chat", "support@9", tmp_path)
    with pytest.raises(UserError, match="no examples"):
        export_dataset(
            export_project, DATASET, "openai-chat", REF, tmp_path, statuses=("rejected",)
        )
    with pytest.raises(UserError, match="below 1"):
        export_dataset(
            export_project, DATASET, "openai-chat", REF, tmp_path, validation_fraction=1.5
        )
    with pytest.raises(UserError, match="preference pairs only"):
        export_dataset(export_project, DATASET, "openai-dpo", REF, tmp_path, kind="chat")


def test_preference_export_uses_stored_preferences(export_project: Project, tmp_path: Path) -> None:
    pairs = load_preference_pairs(export_project, 1)
    # one tie left out, the human choice beats the judge on the first example
    assert pairs.left_out["tie"] == 1
    by_example = {p.example_id: p for p in pairs.pairs}
    first = min(by_example)
    assert by_example[first].source == "human"
    assert by_example[first].chosen.startswith("Rambling")
    result = export_dataset(export_project, DATASET, "openai-dpo", REF, tmp_path)
    assert result.ok and result.kind == "preference"
    records = _records(tmp_path / TRAIN_FILE)
    line_of = {ex: i for i, ex in enumerate(result.line_map("train"))}
    rec = records[line_of[first]]
    assert rec["input"]["messages"][-1] == {
        "role": "user",
        "content": f"Customer question: {QUESTIONS[0][0]}",
    }
    assert rec["preferred_output"] == [
        {"role": "assistant", "content": "Rambling unhelpful answer 0."}
    ]
    assert rec["non_preferred_output"][0]["content"] == "Short helpful answer 0."
    assert result.manifest["preferences"]["left_out"]["tie"] == 1
    assert result.manifest["preferences"]["selected_examples_without_pairs"] == 1
    assert len(records) + result.manifest["counts"]["validation"] == len(pairs.pairs)


def test_preference_export_without_preferences_is_a_user_error(
    export_project: Project, tmp_path: Path
) -> None:
    with pytest.raises(UserError, match="no usable A/B preferences"):
        export_dataset(
            export_project,
            DATASET,
            "trl",
            REF,
            tmp_path,
            kind="preference",
            preference_sources=("nobody",),
        )


def test_manifest_snapshot_changes_when_an_example_changes(
    export_project: Project, tmp_path: Path
) -> None:
    from studio.core.datasets import update_example

    a = export_dataset(export_project, DATASET, "trl", REF, tmp_path / "a")
    again = export_dataset(export_project, DATASET, "trl", REF, tmp_path / "b")
    assert a.manifest["dataset"]["snapshot"] == again.manifest["dataset"]["snapshot"]
    assert a.manifest["files"]["train"]["sha256"] == again.manifest["files"]["train"]["sha256"]
    update_example(export_project, a.line_map("train")[0], ideal_output="Changed answer.")
    b = export_dataset(export_project, DATASET, "trl", REF, tmp_path / "c")
    assert b.manifest["dataset"]["snapshot"]["hash"] != a.manifest["dataset"]["snapshot"]["hash"]
    assert b.manifest["dataset"]["snapshot"]["examples"] == 15
