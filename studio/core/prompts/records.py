"""What the prompt registry returns: plain frozen records that can cross to the GUI thread."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from studio.core.prompts.spec import PromptSpec


@dataclass(frozen=True, slots=True)
class PromptSummary:
    """One row of the prompt list."""

    name: str
    description: str
    latest_version: int | None
    labels: dict[str, int]
    updated_at: datetime
    variables: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PromptInfo:
    """A prompt's own facts (not its content, which lives in versions)."""

    name: str
    description: str
    created_at: datetime
    updated_at: datetime
    latest_version: int | None
    version_count: int
    labels: dict[str, int]


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One entry of a prompt's log."""

    version: int
    created_at: datetime
    message: str
    author: str
    labels: tuple[str, ...]
    hash: str
    restored_from: int | None


@dataclass(frozen=True, slots=True)
class PromptVersionData:
    """One version with its content."""

    name: str
    description: str
    version: int
    spec: PromptSpec
    message: str
    author: str
    created_at: datetime
    hash: str
    labels: tuple[str, ...]
    restored_from: int | None
    is_latest: bool

    @property
    def ref(self) -> str:
        """``NAME@VERSION``."""
        return f"{self.name}@{self.version}"


@dataclass(frozen=True, slots=True)
class SaveResult:
    """What a save did: ``version`` is None (and ``created`` False) when nothing changed."""

    version: int | None
    created: bool
    latest_version: int
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LabelMove:
    """One recorded move of a label (``to_version`` None: the label was removed)."""

    label: str
    from_version: int | None
    to_version: int | None
    actor: str
    at: datetime
