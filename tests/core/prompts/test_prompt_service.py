"""The registry over a real project file: versions, labels, history, restore, rename."""

from __future__ import annotations

import dataclasses
import inspect
import sqlite3
from pathlib import Path

import pytest

from studio.core.db.project import Project, new_project, open_project
from studio.core.errors import NotFoundError, ProjectFileError, UserError, ValidationError
from studio.core.prompts import service as sv
from studio.core.prompts.spec import Message, PromptSpec
from studio.core.prompts.template import TemplateError


def spec(system: str = "Sort tickets.", temperature: float = 0.2) -> PromptSpec:
    return PromptSpec(
        (Message("system", system), Message("user", "{{text}}")),
        "gpt-4o-mini",
        {"temperature": temperature},
    )


def test_versions_are_numbered_and_identical_saves_create_nothing(project: Project) -> None:
    r1 = sv.save_version(project, "triage", spec(), "first", author="alice", description="d")
    assert (r1.version, r1.created, r1.latest_version) == (1, True, 1)
    again = sv.save_version(project, "triage", spec(), "same again", author="bob")
    assert (again.version, again.created, again.latest_version) == (None, False, 1)
    r2 = sv.save_version(project, "triage", spec("Sort bank tickets."), "second")
    assert r2.version == 2
    log = sv.log(project, "triage")
    assert [v.version for v in log] == [2, 1]
    assert [v.message for v in log] == ["second", "first"]
    assert log[1].author == "alice" and log[0].author == "tester"  # STUDIO_USER in tests
    assert log[1].hash == spec().content_hash()
    assert sv.get_prompt(project, "triage").description == "d"


def test_saving_old_content_again_is_a_new_version(project: Project) -> None:
    sv.save_version(project, "p", spec("A"))
    sv.save_version(project, "p", spec("B"))
    r = sv.save_version(project, "p", spec("A"))
    assert r.version == 3  # only identical-to-latest is skipped


def test_versions_are_immutable(project: Project) -> None:
    sv.save_version(project, "p", spec("A"), "one")
    before = sv.get_version(project, "p", 1)
    sv.save_version(project, "p", spec("B"), "two")
    sv.set_label(project, "p", "production", 2)
    sv.restore_version(project, "p", 1)
    sv.set_description(project, "p", "new words")
    after = sv.get_version(project, "p", 1)
    assert after.spec == before.spec and after.hash == before.hash
    assert after.message == before.message and after.created_at == before.created_at
    # the public API has no way to edit a version
    names = [n for n, _ in inspect.getmembers(sv, inspect.isfunction)]
    assert not [n for n in names if n.startswith(("update_version", "edit_version", "set_version"))]
    with pytest.raises(dataclasses.FrozenInstanceError):
        after.message = "changed"  # type: ignore[misc]


def test_get_version_by_number_label_latest_and_ref(project: Project) -> None:
    sv.save_version(project, "p", spec("A"))
    sv.save_version(project, "p", spec("B"))
    sv.set_label(project, "p", "production", 1)
    assert sv.get_version(project, "p").version == 2
    assert sv.get_version(project, "p", "latest").is_latest
    assert sv.get_version(project, "p", "v1").spec == spec("A")
    assert sv.resolve_ref(project, "p@production").version == 1
    assert sv.resolve_ref(project, "p@2").spec.messages[0].content == "B"
    assert sv.resolve_ref(project, "p").version == 2
    with pytest.raises(NotFoundError, match="has no version 9 \\(it has versions 1 to 2\\)"):
        sv.get_version(project, "p", 9)
    with pytest.raises(NotFoundError, match="no label `staging` \\(labels: production\\)"):
        sv.resolve_ref(project, "p@staging")
    with pytest.raises(NotFoundError, match="Did you mean `p`"):
        sv.resolve_ref(project, "pp@1")
    with pytest.raises(ValidationError, match="nothing after `@`"):
        sv.resolve_ref(project, "p@")


def test_labels_move_and_every_move_is_recorded(project: Project) -> None:
    for text in ("A", "B", "C"):
        sv.save_version(project, "p", spec(text))
    m1 = sv.set_label(project, "p", "production", 1, actor="alice")
    assert m1 is not None and (m1.from_version, m1.to_version) == (None, 1)
    sv.set_label(project, "p", "staging", 3, actor="bob")
    m2 = sv.set_label(project, "p", "production", 3, actor="bob")
    assert m2 is not None and (m2.from_version, m2.to_version) == (1, 3)
    # rollback = moving the label back
    sv.set_label(project, "p", "production", 1, actor="alice")
    assert sv.set_label(project, "p", "production", 1) is None  # already there: no event
    assert sv.labels(project, "p") == {"production": 1, "staging": 3}
    history = sv.label_history(project, "p")
    assert [(h.label, h.from_version, h.to_version, h.actor) for h in history] == [
        ("production", 3, 1, "alice"),
        ("production", 1, 3, "bob"),
        ("staging", None, 3, "bob"),
        ("production", None, 1, "alice"),
    ]
    assert len(sv.label_history(project, "p", "staging")) == 1
    log = {v.version: v.labels for v in sv.log(project, "p")}
    assert log == {3: ("staging",), 2: (), 1: ("production",)}
    summary = sv.list_prompts(project)[0]
    assert summary.labels == {"production": 1, "staging": 3}


def test_label_can_follow_another_label(project: Project) -> None:
    sv.save_version(project, "p", spec("A"))
    sv.save_version(project, "p", spec("B"))
    sv.set_label(project, "p", "staging", 2)
    move = sv.set_label(project, "p", "production", "staging")
    assert move is not None and move.to_version == 2


def test_remove_label_is_recorded(project: Project) -> None:
    sv.save_version(project, "p", spec("A"))
    sv.set_label(project, "p", "canary", 1)
    sv.remove_label(project, "p", "canary", actor="bob")
    assert sv.labels(project, "p") == {}
    assert (
        sv.label_history(project, "p")[0].to_version,
        sv.label_history(project, "p")[0].actor,
    ) == (None, "bob")
    with pytest.raises(NotFoundError):
        sv.remove_label(project, "p", "canary")


@pytest.mark.parametrize("label", ["latest", "Prod", "", "-x", "a b", "12", "v3", "x" * 101])
def test_bad_label_names_are_refused(project: Project, label: str) -> None:
    sv.save_version(project, "p", spec())
    with pytest.raises(ValidationError):
        sv.set_label(project, "p", label, 1)
    assert sv.label_history(project, "p") == []


def test_restore_makes_a_new_version_with_old_content(project: Project) -> None:
    sv.save_version(project, "p", spec("A"), "a")
    sv.save_version(project, "p", spec("B"), "b")
    r = sv.restore_version(project, "p", 1, actor="alice")
    assert (r.version, r.created) == (3, True)
    v3 = sv.get_version(project, "p", 3)
    assert v3.spec == spec("A") and v3.restored_from == 1 and v3.author == "alice"
    assert v3.message == "Restore version 1"
    assert sv.log(project, "p")[0].restored_from == 1
    again = sv.restore_version(project, "p", 1)
    assert (again.version, again.created, again.latest_version) == (None, False, 3)


def test_list_prompts_with_search_and_variables(project: Project) -> None:
    sv.save_version(project, "banking-intent", spec(), description="Routes bank messages")
    sv.save_version(
        project,
        "support-reply",
        PromptSpec((Message("user", "Hi {{customer_name}}: {{message}}"),), "gpt-4o"),
    )
    sv.create_prompt(project, "empty-one", "nothing yet")
    rows = sv.list_prompts(project)
    assert [r.name for r in rows] == ["banking-intent", "empty-one", "support-reply"]
    assert rows[2].variables == ("customer_name", "message")
    assert rows[1].latest_version is None and rows[1].variables == ()
    assert [r.name for r in sv.list_prompts(project, "BANK")] == ["banking-intent"]
    assert [r.name for r in sv.list_prompts(project, "nothing")] == ["empty-one"]
    assert sv.list_prompts(project, "zzz") == []


def test_create_rename_delete(project: Project) -> None:
    sv.create_prompt(project, "a")
    with pytest.raises(ValidationError, match="already exists"):
        sv.create_prompt(project, "a")
    sv.save_version(project, "a", spec())
    sv.set_label(project, "a", "production", 1)
    sv.save_version(project, "b", spec())
    with pytest.raises(ValidationError, match="already exists"):
        sv.rename_prompt(project, "a", "b")
    info = sv.rename_prompt(project, "a", "c")
    assert info.name == "c" and info.labels == {"production": 1} and info.version_count == 1
    sv.delete_prompt(project, "c")
    assert [r.name for r in sv.list_prompts(project)] == ["b"]
    with pytest.raises(NotFoundError):
        sv.log(project, "c")
    with project.engine.connect() as conn:  # plain SQL on either backend
        counts = [
            conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one()
            for t in ("prompt_version", "prompt_label", "label_event")
        ]
    assert counts == [1, 0, 0]


@pytest.mark.parametrize("name", ["", " x", "x ", "a@b", "tab\there", "x" * 201])
def test_bad_prompt_names_are_refused(project: Project, name: str) -> None:
    with pytest.raises(ValidationError):
        sv.save_version(project, name, spec())
    assert sv.list_prompts(project) == []


def test_invalid_spec_is_not_saved(project: Project) -> None:
    sv.save_version(project, "p", spec("A"))
    bad_schema = PromptSpec(
        (Message("user", "x"),), "m", response_schema={"type": "object", "required": "email"}
    )
    with pytest.raises(ValidationError, match="response_schema"):
        sv.save_version(project, "p", bad_schema)
    with pytest.raises(TemplateError):
        sv.save_version(project, "p", spec("Hello {{name"))
    assert [v.version for v in sv.log(project, "p")] == [1]


def test_save_warnings_are_returned(project: Project) -> None:
    s = PromptSpec((Message("user", "x"),), "m", {"my_flag": 1})
    r = sv.save_version(project, "p", s)
    assert r.created and r.warnings and "my_flag" in r.warnings[0]


def test_save_to_missing_prompt_without_create(project: Project) -> None:
    with pytest.raises(NotFoundError):
        sv.save_version(project, "ghost", spec(), create=False)


def test_diff_by_numbers_and_labels(project: Project) -> None:
    sv.save_version(project, "p", spec("A", 0.2))
    sv.save_version(project, "p", spec("A", 0.7))
    sv.set_label(project, "p", "production", 1)
    d = sv.diff(project, "p", "production", "latest")
    assert [c.text for c in d.changes] == ["temperature 0.2 → 0.7"]


def test_history_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "r.studio"
    with new_project(path) as p:
        sv.save_version(p, "p", spec("A"), "a")
        sv.set_label(p, "p", "production", 1)
    with open_project(path) as p:
        assert [v.version for v in sv.log(p, "p")] == [1]
        assert sv.labels(p, "p") == {"production": 1}
        assert sv.get_version(p, "p").created_at.tzinfo is not None


def test_tampered_version_is_reported_not_used(project: Project) -> None:
    sv.save_version(project, "p", spec("A"))
    with project.engine.begin() as conn:  # tampering from outside the studio's services
        conn.exec_driver_sql(
            "UPDATE prompt_version SET spec_json = replace(spec_json, 'gpt-4o-mini', 'gpt-4o-max')"
        )
    with pytest.raises(ProjectFileError, match="does not match its content hash"):
        sv.get_version(project, "p", 1)


@pytest.mark.sqlite_only  # a second writer holding the SQLite file's lock
def test_write_failure_keeps_earlier_versions(project: Project) -> None:
    sv.save_version(project, "p", spec("A"))
    # a second writer holds the file: the save fails with a sentence, nothing half-written
    holder = sqlite3.connect(project.path, timeout=0.1)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        from sqlalchemy import event

        def short_timeout(conn: object, _rec: object) -> None:
            conn.execute("PRAGMA busy_timeout = 100")  # type: ignore[attr-defined]

        project.engine.dispose()
        event.listen(project.engine, "connect", short_timeout)
        with pytest.raises(UserError, match="locked"):
            sv.save_version(project, "p", spec("B"))
    finally:
        holder.rollback()
        holder.close()
    assert [v.version for v in sv.log(project, "p")] == [1]
