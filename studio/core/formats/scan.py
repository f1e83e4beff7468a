"""Content scans on raw JSONL lines: secrets, PII, special tokens, control characters.

They run on the raw bytes of every line, so each starts with a cheap ``in`` test and only
then runs a regular expression. Matches are masked in messages: a report must not leak
the secret it found (docs/engineering-facts.md bar 18).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

_SECRET_RES: list[tuple[tuple[bytes, ...], re.Pattern[bytes], str]] = [
    (
        (b"sk-",),
        re.compile(rb"sk-(?:proj-|ant-|svcacct-|admin-)?[A-Za-z0-9_\-]{16,}"),
        "an API key (sk-...)",
    ),
    ((b"AKIA",), re.compile(rb"AKIA[0-9A-Z]{16}"), "an AWS access key id"),
    (
        (b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_"),
        re.compile(rb"gh[pousr]_[A-Za-z0-9]{36,}"),
        "a GitHub token",
    ),
    ((b"AIza",), re.compile(rb"AIza[0-9A-Za-z_\-]{35}"), "a Google API key"),
    ((b"xox",), re.compile(rb"xox[baprs]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    ((b"PRIVATE KEY",), re.compile(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
    ((b"Bearer ",), re.compile(rb"Bearer [A-Za-z0-9._\-]{20,}"), "a bearer token"),
]
# One (probe, pattern, what) row per probe: plain ``in`` tests are far cheaper than any().
_SECRET_PROBES = [(p, pattern, what) for probes, pattern, what in _SECRET_RES for p in probes]
_EMAIL_RE = re.compile(
    rb"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63})*"
    rb"\.[A-Za-z]{2,24}"
)
_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_WORDISH = _WORD | {ord(".")}
_SPECIAL_RE = re.compile(rb"<\|[A-Za-z0-9_]{1,40}\|>")
KNOWN_SPECIAL_TOKENS = frozenset(
    {
        "<|endoftext|>",
        "<|endofprompt|>",
        "<|fim_prefix|>",
        "<|fim_middle|>",
        "<|fim_suffix|>",
        "<|im_start|>",
        "<|im_end|>",
        "<|im_sep|>",
        "<|begin_of_text|>",
        "<|end_of_text|>",
        "<|start_header_id|>",
        "<|end_header_id|>",
        "<|eot_id|>",
        "<|eom_id|>",
        "<|python_tag|>",
        "<|start|>",
        "<|end|>",
        "<|message|>",
        "<|channel|>",
        "<|return|>",
        "<|call|>",
        "<|constrain|>",
        "<|system|>",
        "<|user|>",
        "<|assistant|>",
        "<|pad|>",
        "<|file_separator|>",
        "<|repo_name|>",
    }
)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Emit = Callable[[str, str, str], None]  # (severity, code, message)


def _mask(value: bytes) -> str:
    text = value.decode("utf-8", "replace")
    if len(text) <= 8:
        return text[:2] + "…"
    return f"{text[:4]}…{text[-2:]}"


def luhn_ok(digits: str) -> bool:
    """True when ``digits`` passes the Luhn checksum (payment card numbers)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def _table(mapping: dict[int, int], default: int) -> bytes:
    return bytes(mapping.get(i, default) for i in range(256))


# "_" is left out on purpose: snake_case identifiers (intent labels, keys) are common in
# training data and would open the gate on most lines; the keys we look for still contain a
# run of >= 20 characters without "_".
_TOKENISH = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-+/="
# Gate tables for bytes.translate (C speed, ~1 µs a line): every secret we look for is a
# run of >= 20 token characters; every card/phone number has a group of >= 3 digits.
_SECRET_TABLE = _table({c: ord("a") for c in _TOKENISH}, ord(" "))
_SECRET_RUN = b"a" * 20
_DIGIT_TABLE = _table(
    {**{c: ord("s") for c in b" .-()"}, **{c: ord("0") for c in b"0123456789"}}, ord("x")
)
# Gates for the number scan. Every phone or card number is a run of digits and separators
# holding >= 10 digits. Gate 1 (a plain translate, ~0.5 us a line): digits and separators
# -> "0", so such a run shows as ten "0" in a row. Gate 2 (a translate that deletes the
# separators, slower): digits -> "0", so only the digits of one run can line up as ten
# "0". Both are necessary conditions, so the gates never hide a finding; they keep lines
# with ids, dates and prices away from the Python loop below.
_DIGIT_OR_SEP_TABLE = _table({c: ord("0") for c in b"0123456789 .-()"}, ord("x"))
_DIGIT_RUN_TABLE = _table({c: ord("0") for c in b"0123456789"}, ord("x"))
_DIGIT_SEPARATORS = b" .-()"
_DIGIT_RUN = b"0" * 10


def _number_findings(raw: bytes, emit: Emit) -> None:
    if _DIGIT_RUN not in raw.translate(_DIGIT_OR_SEP_TABLE) or _DIGIT_RUN not in raw.translate(
        _DIGIT_RUN_TABLE, _DIGIT_SEPARATORS
    ):
        return
    _number_scan(raw, emit)


def _number_scan(raw: bytes, emit: Emit) -> None:
    """The phone/card scan proper (without the gate; the tests compare both)."""
    t = raw.translate(_DIGIT_TABLE)
    if t.count(48) < 9:  # fewer than 9 digits on the whole line
        return
    n = len(t)
    pos = t.find(b"000")
    while pos != -1:
        start = pos
        while start > 0 and t[start - 1] in b"0s":
            start -= 1
        end = pos
        while end < n and t[end] in b"0s":
            end += 1
        while t[start] != 48:  # trim separators
            start += 1
        while t[end - 1] != 48:
            end -= 1
        text = raw[start:end]
        before = raw[start - 1] if start else 32
        after = raw[end] if end < n else 32
        if before not in _WORDISH and after not in _WORD:
            digits = text.translate(None, b" .-()").decode("ascii", "replace")
            plus = before == 43  # "+"
            if 13 <= len(digits) <= 19 and not plus and digits.isdigit() and luhn_ok(digits):
                emit(
                    "warning",
                    "pii_card_number",
                    f"The line contains what looks like a payment card number "
                    f"(…{digits[-4:]}, passes the Luhn check).",
                )
                return
            if 10 <= len(digits) <= 15 and (plus or not text.isdigit()):
                emit(
                    "warning",
                    "pii_phone",
                    f"The line contains what looks like a phone number (…{digits[-4:]}).",
                )
                return
        pos = t.find(b"000", max(end, pos + 3))


def scan_line(raw: bytes, emit: Emit) -> None:
    """Secret, PII and special-token findings for one raw line."""
    if _SECRET_RUN in raw.translate(_SECRET_TABLE):
        hit: re.Pattern[bytes] | None = None
        for probe, pattern, what in _SECRET_PROBES:
            if probe in raw and pattern is not hit:
                m = pattern.search(raw)
                if m:
                    hit = pattern
                    emit(
                        "warning",
                        "secret_detected",
                        f"The line contains what looks like {what} ({_mask(m.group())}); "
                        "remove it before uploading.",
                    )
    if b"@" in raw:
        m = _EMAIL_RE.search(raw)
        if m:
            emit(
                "warning", "pii_email", f"The line contains an e-mail address ({_mask(m.group())})."
            )
    _number_findings(raw, emit)
    if b"|" in raw:
        found = {t.decode("utf-8", "replace") for t in _SPECIAL_RE.findall(raw)}
        known = sorted(found & KNOWN_SPECIAL_TOKENS)
        other = sorted(found - KNOWN_SPECIAL_TOKENS)
        if known:
            emit(
                "error",
                "special_token",
                f"The text contains the special token(s) {', '.join(known)}; tokenizers of "
                "open models treat them as control tokens. Remove or escape them.",
            )
        if other:
            emit(
                "warning",
                "special_token_like",
                f"The text contains special-token-like marker(s) {', '.join(other[:5])}.",
            )


def might_have_control_chars(raw: bytes) -> bool:
    """Cheap test: JSON escapes that can produce C0 control characters."""
    return b"\\" in raw and (b"\\u00" in raw or b"\\b" in raw or b"\\f" in raw)


def find_control_chars(obj: Any) -> str | None:
    """The first string holding a C0 control character (except tab/LF/CR), or None.

    Iterative walk: records can nest up to orjson's depth limit.
    """
    stack = [obj]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            m = _CONTROL_RE.search(value)
            if m:
                return f"U+{ord(m.group()):04X}"
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return None
