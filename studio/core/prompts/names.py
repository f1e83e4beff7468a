"""The rules for prompt names, label names and ``NAME@VERSION`` references."""

from __future__ import annotations

import re

from studio.core.errors import ValidationError

LATEST = "latest"
LABEL_RE = re.compile(r"[a-z0-9][a-z0-9_.-]*")
MAX_NAME = 200
MAX_LABEL = 100
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
VERSION_RE = re.compile(r"[vV]?[0-9]+")  # "3" and "v3" both name version 3


def check_prompt_name(name: str) -> str:
    """Return ``name`` if it can name a prompt.

    Raises:
        ValidationError: empty, too long, surrounding spaces, ``@`` or control characters.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValidationError("A prompt needs a name.", where="name")
    if name != name.strip():
        raise ValidationError(
            f"Prompt name {name!r} must not start or end with spaces.", where="name"
        )
    if len(name) > MAX_NAME:
        raise ValidationError(f"A prompt name has at most {MAX_NAME} characters.", where="name")
    if "@" in name:
        raise ValidationError(
            f"Prompt name {name!r} must not contain `@` (it separates NAME@VERSION).",
            where="name",
        )
    if CONTROL_RE.search(name):
        raise ValidationError(
            f"Prompt name {name!r} must not contain control characters.", where="name"
        )
    return name


def check_label_name(label: str) -> str:
    """Return ``label`` if it can name a label (``latest`` and numbers are refused).

    Raises:
        ValidationError: explaining the rule.
    """
    if label == LATEST:
        raise ValidationError(
            "`latest` always points at the newest version; it cannot be set or removed.",
            where="label",
        )
    if not isinstance(label, str) or LABEL_RE.fullmatch(label) is None or len(label) > MAX_LABEL:
        raise ValidationError(
            f"Label {label!r} is not allowed: use lower-case letters, digits, `_`, `.` and "
            f"`-`, starting with a letter or digit (at most {MAX_LABEL} characters).",
            where="label",
        )
    if VERSION_RE.fullmatch(label):
        raise ValidationError(
            f"Label {label!r} would read as a version number; choose another name.",
            where="label",
        )
    return label


def parse_ref(ref: str) -> tuple[str, str]:
    """Split ``NAME@VERSION``/``NAME@label``/``NAME`` into (name, ref); ref defaults to latest."""
    name, sep, which = ref.rpartition("@")
    if not sep:
        return ref, LATEST
    if not which:
        raise ValidationError(
            f"{ref!r}: nothing after `@` (write NAME@VERSION or NAME@LABEL).", where="ref"
        )
    return name, which
