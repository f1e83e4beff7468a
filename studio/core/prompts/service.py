"""The prompt registry over a project: prompts, immutable versions, movable labels.

Every function takes an open :class:`~studio.core.db.project.Project`, does its work in
one transaction (:func:`studio.core.db.transactions.session`) and returns the plain
frozen records of :mod:`studio.core.prompts.records`, never ORM objects, so results can
cross to the GUI thread. Name and reference rules live in :mod:`studio.core.prompts.names`.

Versions are append-only: nothing here updates a version row. Saving content identical
to the latest version creates nothing. Labels point at one version each; every move is
a :class:`~studio.core.models.prompt.LabelEvent`, so the history shows who moved what
when, and rollback is moving a label back. ``latest`` is automatic and cannot be set.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, or_
from sqlmodel import Session, col, select

from studio.core.db import transactions
from studio.core.errors import NotFoundError, ProjectFileError, ValidationError
from studio.core.models.common import utcnow
from studio.core.models.prompt import LabelEvent, Prompt, PromptLabel, PromptVersion
from studio.core.prompts.diff import PromptDiff, diff_versions
from studio.core.prompts.names import (
    LATEST,
    VERSION_RE,
    check_label_name,
    check_prompt_name,
    parse_ref,
)
from studio.core.prompts.records import (
    LabelMove,
    PromptInfo,
    PromptSummary,
    PromptVersionData,
    SaveResult,
    VersionInfo,
)
from studio.core.prompts.spec import PromptSpec
from studio.core.prompts.template import check_messages

if TYPE_CHECKING:
    from studio.core.db.project import Project

# -- helpers --------------------------------------------------------------------------


def _aware(ts: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC
    return ts if ts.tzinfo is not None else ts.replace(tzinfo=UTC)


def _actor(actor: str | None) -> str:
    if actor:
        return actor
    from studio.core.db.project import current_user

    return current_user()


def _prompt_row(session: Session, name: str) -> Prompt:
    row = session.exec(select(Prompt).where(Prompt.name == name)).first()
    if row is None:
        names = list(session.exec(select(Prompt.name)).all())
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" Did you mean `{close[0]}`?" if close else ""
        raise NotFoundError(f"There is no prompt named `{name}`.{hint}", where=name)
    return row


def _pid(prompt: Prompt) -> int:
    assert prompt.id is not None
    return prompt.id


def _latest_row(session: Session, prompt_id: int) -> PromptVersion | None:
    return session.exec(
        select(PromptVersion)
        .where(PromptVersion.prompt_id == prompt_id)
        .order_by(col(PromptVersion.version).desc())
        .limit(1)
    ).first()


def _labels_by_version(session: Session, prompt_id: int) -> dict[int, list[str]]:
    rows = session.exec(
        select(PromptLabel.name, PromptVersion.version)
        .join(PromptVersion, col(PromptLabel.version_id) == col(PromptVersion.id))
        .where(PromptLabel.prompt_id == prompt_id)
        .order_by(col(PromptLabel.name))
    ).all()
    out: dict[int, list[str]] = {}
    for label, version in rows:
        out.setdefault(version, []).append(label)
    return out


def _labels(session: Session, prompt_id: int) -> dict[str, int]:
    return {
        label: version
        for version, labels in sorted(_labels_by_version(session, prompt_id).items())
        for label in labels
    }


def _spec_of(row: PromptVersion, name: str) -> PromptSpec:
    try:
        spec = PromptSpec.from_json(json.loads(row.spec_json), validate=False)
    except (ValueError, ValidationError) as exc:
        raise ProjectFileError(
            f"Version {row.version} of `{name}` is damaged in the project file ({exc}).",
            where=f"{name}@{row.version}",
        ) from exc
    if spec.content_hash() != row.content_hash:
        raise ProjectFileError(
            f"Version {row.version} of `{name}` does not match its content hash: the project "
            "file was changed outside Studio. Open a backup copy.",
            where=f"{name}@{row.version}",
        )
    return spec


def _resolve_row(session: Session, prompt: Prompt, ref: int | str | None) -> PromptVersion:
    pid = _pid(prompt)
    if ref is None or ref == LATEST:
        row = _latest_row(session, pid)
        if row is None:
            raise NotFoundError(f"`{prompt.name}` has no versions yet.", where=prompt.name)
        return row
    if isinstance(ref, int) or VERSION_RE.fullmatch(ref):
        number = int(ref) if isinstance(ref, int) else int(ref.lstrip("vV"))
        row = session.exec(
            select(PromptVersion).where(
                PromptVersion.prompt_id == pid, PromptVersion.version == number
            )
        ).first()
        if row is None:
            latest = _latest_row(session, pid)
            have = f"versions 1 to {latest.version}" if latest else "no versions"
            raise NotFoundError(
                f"`{prompt.name}` has no version {number} (it has {have}).",
                where=f"{prompt.name}@{number}",
            )
        return row
    label_row = session.exec(
        select(PromptLabel).where(PromptLabel.prompt_id == pid, PromptLabel.name == ref)
    ).first()
    if label_row is None:
        labels = sorted(_labels(session, pid))
        have = f"labels: {', '.join(labels)}" if labels else "no labels"
        raise NotFoundError(
            f"`{prompt.name}` has no label `{ref}` ({have}).", where=f"{prompt.name}@{ref}"
        )
    row = session.get(PromptVersion, label_row.version_id)
    assert row is not None  # foreign key
    return row


def _version_data(session: Session, prompt: Prompt, row: PromptVersion) -> PromptVersionData:
    pid = _pid(prompt)
    latest = _latest_row(session, pid)
    return PromptVersionData(
        name=prompt.name,
        description=prompt.description,
        version=row.version,
        spec=_spec_of(row, prompt.name),
        message=row.message,
        author=row.author,
        created_at=_aware(row.created_at),
        hash=row.content_hash,
        labels=tuple(_labels_by_version(session, pid).get(row.version, [])),
        restored_from=row.restored_from,
        is_latest=latest is not None and latest.version == row.version,
    )


# Its signature pairs by shape with prompts/template's error __init__ and evals/preferences'
# record_preference (duplicates report, boilerplate): different parameters.
def _append_version(
    session: Session,
    prompt: Prompt,
    spec: PromptSpec,
    message: str,
    author: str,
    restored_from: int | None = None,
    at: datetime | None = None,
) -> tuple[int | None, int]:
    pid = _pid(prompt)
    latest = _latest_row(session, pid)
    digest = spec.content_hash()
    if latest is not None and latest.content_hash == digest:
        return None, latest.version
    number = (latest.version if latest else 0) + 1
    now = at or utcnow()
    session.add(
        PromptVersion(
            prompt_id=pid,
            version=number,
            spec_json=spec.storage_json(),
            content_hash=digest,
            message=message,
            author=author,
            created_at=now,
            restored_from=restored_from,
        )
    )
    prompt.updated_at = now
    session.add(prompt)
    return number, number


# -- prompts --------------------------------------------------------------------------


def list_prompts(project: Project, search: str | None = None) -> list[PromptSummary]:
    """All prompts by name; ``search`` matches name or description (case-insensitive)."""
    with transactions.session(project) as s:
        query = select(Prompt).order_by(func.lower(Prompt.name))
        if search and search.strip():
            needle = f"%{search.strip().lower()}%"
            query = query.where(
                or_(
                    func.lower(Prompt.name).like(needle),
                    func.lower(Prompt.description).like(needle),
                )
            )
        prompts = list(s.exec(query).all())
        ids = [_pid(p) for p in prompts]
        if not ids:
            return []
        newest = (
            select(PromptVersion.prompt_id, func.max(PromptVersion.version).label("v"))
            .where(col(PromptVersion.prompt_id).in_(ids))
            .group_by(col(PromptVersion.prompt_id))
            .subquery()
        )
        latest_rows = s.exec(
            select(PromptVersion).join(
                newest,
                (col(PromptVersion.prompt_id) == newest.c.prompt_id)
                & (col(PromptVersion.version) == newest.c.v),
            )
        ).all()
        latest = {r.prompt_id: r for r in latest_rows}
        label_rows = s.exec(
            select(PromptLabel.prompt_id, PromptLabel.name, PromptVersion.version)
            .join(PromptVersion, col(PromptLabel.version_id) == col(PromptVersion.id))
            .where(col(PromptLabel.prompt_id).in_(ids))
            .order_by(col(PromptLabel.name))
        ).all()
        labels: dict[int, dict[str, int]] = {}
        for pid, label, version in label_rows:
            labels.setdefault(pid, {})[label] = version
        out = []
        for p in prompts:
            row = latest.get(_pid(p))
            variables: tuple[str, ...] = ()
            if row is not None:
                variables = tuple(check_messages(_spec_of(row, p.name).messages))
            out.append(
                PromptSummary(
                    name=p.name,
                    description=p.description,
                    latest_version=row.version if row else None,
                    labels=labels.get(_pid(p), {}),
                    updated_at=_aware(p.updated_at),
                    variables=variables,
                )
            )
        return out


def get_prompt(project: Project, name: str) -> PromptInfo:
    """A prompt's facts. Raises NotFoundError."""
    with transactions.session(project) as s:
        return _prompt_info(s, _prompt_row(s, name))


def _prompt_info(s: Session, p: Prompt) -> PromptInfo:
    pid = _pid(p)
    count = s.exec(
        select(func.count()).select_from(PromptVersion).where(PromptVersion.prompt_id == pid)
    ).one()
    latest = _latest_row(s, pid)
    return PromptInfo(
        name=p.name,
        description=p.description,
        created_at=_aware(p.created_at),
        updated_at=_aware(p.updated_at),
        latest_version=latest.version if latest else None,
        version_count=int(count),
        labels=_labels(s, pid),
    )


def create_prompt(project: Project, name: str, description: str = "") -> PromptInfo:
    """Create an empty prompt (no versions yet).

    Raises:
        ValidationError: bad name, or a prompt with that name exists.
    """
    check_prompt_name(name)
    with transactions.session(project) as s:
        _refuse_existing(s, name)
        p = Prompt(name=name, description=description)
        s.add(p)
        s.flush()
        return _prompt_info(s, p)


def _refuse_existing(s: Session, name: str) -> None:
    if s.exec(select(Prompt.id).where(Prompt.name == name)).first() is not None:
        raise ValidationError(f"A prompt named `{name}` already exists.", where="name")


def set_description(project: Project, name: str, description: str) -> PromptInfo:
    """Change a prompt's description (not versioned: it describes the prompt, not a call)."""
    with transactions.session(project) as s:
        p = _prompt_row(s, name)
        if p.description != description:
            p.description = description
            p.updated_at = utcnow()
            s.add(p)
            s.flush()
        return _prompt_info(s, p)


update_description = set_description


def rename_prompt(project: Project, name: str, new_name: str) -> PromptInfo:
    """Rename a prompt; its versions, labels and history follow."""
    check_prompt_name(new_name)
    with transactions.session(project) as s:
        p = _prompt_row(s, name)
        if new_name == name:
            return _prompt_info(s, p)
        _refuse_existing(s, new_name)
        p.name = new_name
        p.updated_at = utcnow()
        s.add(p)
        s.flush()
        return _prompt_info(s, p)


def delete_prompt(project: Project, name: str) -> None:
    """Delete a prompt with all its versions, labels and label history.

    Evaluation runs keep their results; their link to the versions is cleared
    (the runs still name ``NAME@VERSION``).
    """
    with transactions.session(project) as s:
        pid = _pid(_prompt_row(s, name))
        s.execute(delete(PromptLabel).where(col(PromptLabel.prompt_id) == pid))
        s.execute(delete(LabelEvent).where(col(LabelEvent.prompt_id) == pid))
        s.execute(delete(PromptVersion).where(col(PromptVersion.prompt_id) == pid))
        s.execute(delete(Prompt).where(col(Prompt.id) == pid))


# -- versions -------------------------------------------------------------------------


def save_version(
    project: Project,
    name: str,
    spec: PromptSpec,
    message: str = "",
    author: str | None = None,
    description: str | None = None,
    *,
    create: bool = True,
    at: datetime | None = None,
) -> SaveResult:
    """Append ``spec`` as the next version of ``name`` (creating the prompt if needed).

    Nothing is created when the content equals the latest version's (the description,
    if given, is still updated).

    ``at`` backdates the version (imports from another registry, the demo project).

    Raises:
        ValidationError: the spec breaks a rule (schema, braces, parameters) or the name.
        NotFoundError: the prompt does not exist and ``create`` is False.
    """
    warnings = tuple(spec.validate())
    check_prompt_name(name)
    with transactions.session(project) as s:
        p = s.exec(select(Prompt).where(Prompt.name == name)).first()
        if p is None:
            if not create:
                _prompt_row(s, name)  # raises NotFoundError with a hint
            p = Prompt(name=name, description=description or "")
            if at is not None:
                p.created_at = p.updated_at = at
            s.add(p)
            s.flush()
        elif description is not None and description != p.description:
            p.description = description
            p.updated_at = utcnow()
            s.add(p)
        number, latest = _append_version(s, p, spec, message, _actor(author), at=at)
        return SaveResult(
            version=number, created=number is not None, latest_version=latest, warnings=warnings
        )


def get_version(project: Project, name: str, ref: int | str | None = LATEST) -> PromptVersionData:
    """One version by number, label or ``latest``. Raises NotFoundError."""
    with transactions.session(project) as s:
        p = _prompt_row(s, name)
        return _version_data(s, p, _resolve_row(s, p, ref))


def resolve_ref(project: Project, ref: str) -> PromptVersionData:
    """``NAME@VERSION``, ``NAME@label`` or ``NAME`` (the latest version)."""
    name, which = parse_ref(ref)
    return get_version(project, name, which)


def log(project: Project, name: str) -> list[VersionInfo]:
    """The versions of a prompt, newest first."""
    with transactions.session(project) as s:
        p = _prompt_row(s, name)
        pid = _pid(p)
        by_version = _labels_by_version(s, pid)
        rows = s.exec(
            select(PromptVersion)
            .where(PromptVersion.prompt_id == pid)
            .order_by(col(PromptVersion.version).desc())
        ).all()
        return [
            VersionInfo(
                version=r.version,
                created_at=_aware(r.created_at),
                message=r.message,
                author=r.author,
                labels=tuple(by_version.get(r.version, [])),
                hash=r.content_hash,
                restored_from=r.restored_from,
            )
            for r in rows
        ]


def diff(project: Project, name: str, a: int | str, b: int | str) -> PromptDiff:
    """Differences from version/label ``a`` to ``b`` of one prompt."""
    with transactions.session(project) as s:
        p = _prompt_row(s, name)
        spec_a = _spec_of(_resolve_row(s, p, a), name)
        spec_b = _spec_of(_resolve_row(s, p, b), name)
    return diff_versions(spec_a, spec_b)


def restore_version(
    project: Project,
    name: str,
    version: int | str,
    actor: str | None = None,
    message: str | None = None,
) -> SaveResult:
    """Save an old version's content as the newest version, recording where it came from.

    Nothing is created when that content already is the latest version's.
    """
    with transactions.session(project) as s:
        p = _prompt_row(s, name)
        row = _resolve_row(s, p, version)
        spec = _spec_of(row, name)
        text = message if message is not None else f"Restore version {row.version}"
        number, latest = _append_version(s, p, spec, text, _actor(actor), restored_from=row.version)
        return SaveResult(version=number, created=number is not None, latest_version=latest)


# -- labels ---------------------------------------------------------------------------


def set_label(
    project: Project,
    name: str,
    label: str,
    version: int | str,
    actor: str | None = None,
    *,
    at: datetime | None = None,
) -> LabelMove | None:
    """Point ``label`` at ``version`` (a number, another label or ``latest``).

    Returns:
        The recorded move, or None when the label already pointed there.
    """
    check_label_name(label)
    who = _actor(actor)
    with transactions.session(project) as s:
        p = _prompt_row(s, name)
        pid = _pid(p)
        target = _resolve_row(s, p, version)
        assert target.id is not None
        current = s.exec(
            select(PromptLabel).where(PromptLabel.prompt_id == pid, PromptLabel.name == label)
        ).first()
        from_version: int | None = None
        now = at or utcnow()
        if current is not None:
            if current.version_id == target.id:
                return None
            old = s.get(PromptVersion, current.version_id)
            from_version = old.version if old else None
            current.version_id = target.id
            current.updated_at = now
            current.updated_by = who
            s.add(current)
        else:
            s.add(
                PromptLabel(
                    prompt_id=pid, name=label, version_id=target.id, updated_at=now, updated_by=who
                )
            )
        # Keyword constructor: pairs by shape with decide/cost's CostModel(...) and evals/runner's
        # _Run(...) (duplicates report); different records.
        s.add(
            LabelEvent(
                prompt_id=pid,
                label=label,
                from_version=from_version,
                to_version=target.version,
                actor=who,
                at=now,
            )
        )
        return LabelMove(label, from_version, target.version, who, now)


def remove_label(project: Project, name: str, label: str, actor: str | None = None) -> LabelMove:
    """Take a label off its version (recorded as a move to nothing)."""
    check_label_name(label)
    who = _actor(actor)
    with transactions.session(project) as s:
        p = _prompt_row(s, name)
        pid = _pid(p)
        current = s.exec(
            select(PromptLabel).where(PromptLabel.prompt_id == pid, PromptLabel.name == label)
        ).first()
        if current is None:
            raise NotFoundError(f"`{name}` has no label `{label}`.", where=f"{name}@{label}")
        old = s.get(PromptVersion, current.version_id)
        now = utcnow()
        s.delete(current)
        s.add(
            LabelEvent(
                prompt_id=pid,
                label=label,
                from_version=old.version if old else None,
                to_version=None,
                actor=who,
                at=now,
            )
        )
        return LabelMove(label, old.version if old else None, None, who, now)


def labels(project: Project, name: str) -> dict[str, int]:
    """Current labels of a prompt: label → version (``latest`` not included)."""
    with transactions.session(project) as s:
        return _labels(s, _pid(_prompt_row(s, name)))


def label_history(project: Project, name: str, label: str | None = None) -> list[LabelMove]:
    """Every label move of a prompt (or of one label), newest first."""
    with transactions.session(project) as s:
        pid = _pid(_prompt_row(s, name))
        query = select(LabelEvent).where(LabelEvent.prompt_id == pid)
        if label is not None:
            query = query.where(LabelEvent.label == label)
        rows: Iterable[Any] = s.exec(query.order_by(col(LabelEvent.id).desc())).all()
        return [
            LabelMove(r.label, r.from_version, r.to_version, r.actor, _aware(r.at)) for r in rows
        ]
