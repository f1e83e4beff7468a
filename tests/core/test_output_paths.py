"""The shared output-path check (ISSUE-10 §6)."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.core.output_paths import OutputPathError, check_output_dir, check_output_file


def test_file_checks(tmp_path: Path) -> None:
    project = tmp_path / "p.studio"
    project.write_bytes(b"db")
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"{}")
    cases = [
        (project, "project"),
        (tmp_path / "p.studio-wal", "project"),
        (tmp_path / "sub" / ".." / "in.jsonl", "input"),
        (src, "input"),
        (tmp_path, "kind"),
    ]
    for target, reason in cases:
        with pytest.raises(OutputPathError) as info:
            check_output_file(target, project=project, inputs=[src, None], force=True)
        assert info.value.reason == reason
    existing = tmp_path / "old.md"
    existing.write_text("x")
    with pytest.raises(OutputPathError) as info:
        check_output_file(existing, project=project)
    assert info.value.reason == "exists" and "--force" in info.value.message
    assert check_output_file(existing, project=project, force=True) == existing
    assert check_output_file(tmp_path / "new.md", project=project) == tmp_path / "new.md"


def test_hard_link_to_an_input_is_the_input(tmp_path: Path) -> None:
    src = tmp_path / "answers.json"
    src.write_text("{}")
    link = tmp_path / "other-name.md"
    link.hardlink_to(src)
    with pytest.raises(OutputPathError) as info:
        check_output_file(link, inputs=[src], force=True)
    assert info.value.reason == "input"


def test_dir_checks(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert check_output_dir(out) == out  # missing: created later
    out.mkdir()
    assert check_output_dir(out) == out  # empty
    (out / "x").write_text("x")
    with pytest.raises(OutputPathError) as info:
        check_output_dir(out)
    assert info.value.reason == "not_empty"
    assert check_output_dir(out, force=True) == out
    project = out / "train.jsonl"
    project.write_bytes(b"db")
    with pytest.raises(OutputPathError) as info:
        check_output_dir(out, writes=["train.jsonl"], project=project, force=True)
    assert info.value.reason == "project"
    with pytest.raises(OutputPathError) as info:
        check_output_dir(project, force=True)
    assert info.value.reason == "kind"
