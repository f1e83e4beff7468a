"""One redactor for every sink: keys removed by value, whatever they look like.

A key that a server echoes back in an error ("Incorrect API key provided: k9x") must not
reach the project, the cache, a log, the terminal, a report or an export. Pattern
matching alone cannot promise that (a short key without an ``sk-`` prefix matches no
pattern), so every key the studio holds is *remembered* here
(:func:`remember_secret`: the keyring/session store, ``--api-key-env``, the client
factory) and the well-known key variables of the environment are read on every call;
:func:`redact` then replaces each of them by value, in its plain, JSON-escaped and
URL-encoded spellings. The old patterns (``sk-...``, bearer tokens, ``api_key=...``)
stay as a second net for keys the studio never held.

Sinks call :func:`redact` (text), :func:`redact_bytes` (file writes in
:mod:`studio.core.atomic`), :func:`redact_json` (JSON documents stored in the project),
:class:`RedactingFormatter` (log files) and :class:`RedactingTextStream` (the command
line's stdout/stderr).
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Iterable
from typing import Any, TextIO
from urllib.parse import quote

MASK = "[redacted]"
# Shorter values would mangle ordinary text (a one-letter "key" is in every word);
# such a value is still never written by the studio, it just is not searched for.
MIN_SECRET_LENGTH = 3
# Environment variables whose values are keys wherever they appear.
KEY_ENV_VARS: tuple[str, ...] = ("OPENAI_API_KEY", "AZURE_OPENAI_API_KEY")

_lock = threading.Lock()
_secrets: set[str] = set()
_forms: tuple[str, ...] = ()  # every spelling of every secret, longest first

_PATTERNS = (
    (re.compile(r"sk-[A-Za-z0-9_-]{16,}"), "sk-***"),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"), r"\1***"),
    (
        re.compile(r"(?i)((?:api[-_]?key|authorization)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;]{8,}"),
        r"\1***",
    ),
)


def _spellings(secret: str) -> set[str]:
    """The ways ``secret`` can appear in stored text: plain, JSON-escaped, URL-encoded."""
    forms = {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        quote(secret, safe=""),
    }
    return {f for f in forms if len(f) >= MIN_SECRET_LENGTH}


def remember_secret(value: str | None) -> None:
    """Add ``value`` to the keys removed from every sink (None/empty/too short: ignored)."""
    if not value:
        return
    value = value.strip()
    if len(value) < MIN_SECRET_LENGTH:
        return
    global _forms
    with _lock:
        if value in _secrets:
            return
        _secrets.add(value)
        forms = set(_forms) | _spellings(value)
        _forms = tuple(sorted(forms, key=len, reverse=True))


def remember_environment(names: Iterable[str]) -> None:
    """Remember the values of the environment variables ``names`` (e.g. ``--api-key-env``)."""
    for name in names:
        remember_secret(os.environ.get(name))


def forget_all() -> None:
    """Forget every remembered secret (tests only)."""
    global _forms
    with _lock:
        _secrets.clear()
        _forms = ()


def _current_forms() -> tuple[str, ...]:
    env = [os.environ.get(name) for name in KEY_ENV_VARS]
    for value in env:
        if value and value.strip() not in _secrets:
            remember_secret(value)
    return _forms


def contains_secret(text: str) -> bool:
    """True when ``text`` holds a known key in any of its spellings."""
    return any(form in text for form in _current_forms())


def redact(text: str) -> str:
    """``text`` with every known key (by value) and key-shaped token masked.

    For messages, logs and dialogs; stored answers use :func:`redact_values`.
    """
    if not text:
        return text
    text = redact_values(text)
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


def redact_values(text: str) -> str:
    """``text`` with every known key masked by value only (no pattern guesses).

    For what the user or a model wrote (answers, exports, printed results): a pattern
    could mangle an answer that merely looks like a token; a known key is always removed.
    """
    if not text:
        return text
    for form in _current_forms():
        if form in text:
            text = text.replace(form, MASK)
    return text


def redact_optional(text: str | None) -> str | None:
    """:func:`redact_values` that passes None through (nullable database columns)."""
    return None if text is None else redact_values(text)


def redact_bytes(data: bytes) -> bytes:
    """UTF-8 ``data`` with every known key masked (file writes; patterns not applied).

    Only remembered keys are removed here: a file the user asked for (an export of their
    own dataset) is not rewritten by guesswork, only stripped of keys the studio holds.
    """
    forms = _current_forms()
    if not forms:
        return data
    for form in forms:
        raw = form.encode("utf-8")
        if raw in data:
            data = data.replace(raw, MASK.encode("utf-8"))
    return data


def redact_json(value: Any) -> Any:
    """A copy of a JSON-like value with known keys masked in every string (names too)."""
    if isinstance(value, str):
        return redact_values(value)
    if isinstance(value, dict):
        return {
            redact_values(k) if isinstance(k, str) else k: redact_json(v) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact_json(v) for v in value]
    return value


class RedactingFormatter(logging.Formatter):
    """A log formatter whose every record (message, arguments, traceback) is redacted."""

    def format(self, record: logging.LogRecord) -> str:
        """Format as usual, then :func:`redact` the whole line."""
        return redact(super().format(record))


class RedactingTextStream:
    """A text stream wrapper that redacts what is written (the CLI's stdout and stderr)."""

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        """Write ``text`` with known keys masked; returns the length of the text given."""
        self._inner.write(redact_values(text))
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        """Write every line, redacted."""
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        """Flush the wrapped stream."""
        self._inner.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)
