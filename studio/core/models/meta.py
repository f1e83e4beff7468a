"""Project-level key/value facts (the file's identity, who created it)."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class ProjectMeta(SQLModel, table=True):
    """One row per key: ``app_id`` marks the file as a studio project."""

    __tablename__ = "project_meta"

    key: str = Field(primary_key=True, max_length=100)
    value: str = Field(default="")
