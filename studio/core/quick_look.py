"""A fast, read-only first look at a project's prompt list (stdlib ``sqlite3`` only).

Opening a project for real imports SQLAlchemy, Alembic and SQLModel (about half a
second) before the first query. So that the window shows the prompt list at once, the
app reads the list with this module in parallel, while the real open runs on the
database thread; every action still waits for the real open. The look is refused
(``None``) for anything but a plain, current studio file (a newer, older, foreign or
damaged file is left to :func:`studio.core.db.project.open_project`, which explains
what is wrong), so it can never show what the real open would refuse.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from dataclasses import dataclass
from functools import cache
from pathlib import Path

APPLICATION_ID = (
    0x53545544  # studio.core.db.engine.APPLICATION_ID (not imported: it loads SQLAlchemy)
)
_MIGRATIONS = Path(__file__).resolve().parent / "db" / "migrations" / "versions"
_REVISION_RE = re.compile(r"^revision(?:\s*:\s*str)?\s*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_RE = re.compile(r"^down_revision(?:\s*:[^=]*)?\s*=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class QuickPrompt:
    """One prompt as the list shows it (the fields of the service's ``PromptSummary``).

    ``variables`` is left empty: finding them needs the prompt package, whose import
    (jsonschema, PyYAML) would cost more than the look saves; the real list fills them.
    """

    name: str
    description: str
    latest_version: int | None
    labels: dict[str, int]
    variables: tuple[str, ...]


@cache
def head_revision_from_files() -> str | None:
    """The newest migration revision, read from the scripts' text (no Alembic import)."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for path in _MIGRATIONS.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        rev = _REVISION_RE.search(text)
        if rev:
            revisions.add(rev.group(1))
        down = _DOWN_RE.search(text)
        if down:
            downs.add(down.group(1))
    heads = revisions - downs
    return heads.pop() if len(heads) == 1 else None


def quick_prompt_list(path: str | Path) -> list[QuickPrompt] | None:
    """The prompts of the project at ``path``, or None when a quick look is not safe."""
    path = Path(path)
    head = head_revision_from_files()
    if head is None or not path.is_file():
        return None
    try:
        uri = path.resolve().as_uri() + "?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=0.2)) as conn:
            if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                return None
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            if row is None or row[0] != head:
                return None
            prompts = conn.execute(
                "SELECT id, name, description FROM prompt ORDER BY lower(name)"
            ).fetchall()
            latest: dict[int, int] = dict(
                conn.execute(
                    "SELECT prompt_id, max(version) FROM prompt_version GROUP BY prompt_id"
                )
            )
            labels: dict[int, dict[str, int]] = {}
            for pid, label, version in conn.execute(
                "SELECT l.prompt_id, l.name, v.version FROM prompt_label l "
                "JOIN prompt_version v ON v.id = l.version_id ORDER BY l.name"
            ):
                labels.setdefault(pid, {})[label] = version
    except sqlite3.Error:
        return None
    out: list[QuickPrompt] = []
    for pid, name, description in prompts:
        out.append(QuickPrompt(name, description or "", latest.get(pid), labels.get(pid, {}), ()))
    return out
