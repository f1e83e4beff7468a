"""Text encodings of imported files: the Western preference, the choices, checking a name.

charset-normalizer (used by :mod:`~studio.core.datasets.file_format`) ranks Windows-1250
or -1257 as high as Windows-1252 on short Western text, reading "£20" as "Ł20" and
"niño" as "nińo"; :func:`reads_as_western` lets the importer prefer Windows-1252 when
the bytes read as Western text in it. :data:`ENCODING_CHOICES` are what the import
dialog offers; any Python codec name is accepted by :func:`check_encoding`.
"""

from __future__ import annotations

import codecs
import re

from studio.core.errors import UserError

# Characters Windows-1252 gives Western European text: the Latin-1 letters (not × ÷),
# the Œ/Š/Ž letters and the punctuation and currency signs typed in Western text.
# Central/Eastern European text read as Windows-1252 shows signs outside this set
# (Polish ą ł ż in cp1250 read as ¹ ³ ¿), so it is left to charset-normalizer.
_WESTERN = frozenset(
    [chr(c) for c in range(0xC0, 0x100) if c not in (0xD7, 0xF7)]
    + list("ŒœŠšŽžƒ£€¥¢°§©®«»‘’‚“”„–—…•™·¡¿\xa0½¼¾ªº")
)
_INSIDE_WORD = re.compile(r"\w[¿¡]")


def reads_as_western(head: bytes) -> bool:
    """True when ``head`` decodes as Windows-1252 into plausible Western text."""
    # A multi-byte character cut at the end of the sniffed head is irrelevant here:
    # cp1252 is one byte per character.
    try:
        decoded = head.decode("cp1252")
    except UnicodeDecodeError:
        return False  # a byte cp1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D)
    others = {ch for ch in decoded if ord(ch) > 0x7E and ch not in "\r\n\t"}
    if not others or not others <= _WESTERN:
        return False
    # ¿ and ¡ open a Spanish sentence; inside a word they are Polish ż / Czech ˇ bytes
    return _INSIDE_WORD.search(decoded) is None


ENCODING_CHOICES: tuple[tuple[str, str], ...] = (
    ("utf-8", "Unicode (UTF-8)"),
    ("cp1252", "Western European (Windows-1252)"),
    ("latin-1", "Western European (ISO-8859-1)"),
    ("iso8859-15", "Western European (ISO-8859-15)"),
    ("mac-roman", "Western European (Mac Roman)"),
    ("cp1250", "Central European (Windows-1250)"),
    ("cp1251", "Cyrillic (Windows-1251)"),
    ("cp1257", "Baltic (Windows-1257)"),
    ("cp1253", "Greek (Windows-1253)"),
    ("cp1254", "Turkish (Windows-1254)"),
    ("utf-16", "Unicode (UTF-16)"),
    ("shift_jis", "Japanese (Shift JIS)"),
    ("gb18030", "Chinese (GB18030)"),
    ("big5", "Traditional Chinese (Big5)"),
    ("euc-kr", "Korean (EUC-KR)"),
)
"""Encodings offered by the import dialog's picker (any Python codec name works too)."""


def encoding_label(encoding: str) -> str:
    """A readable name for ``encoding`` ("Western European (Windows-1252)")."""
    name = codecs.lookup(encoding).name
    for enc, label in ENCODING_CHOICES:
        if codecs.lookup(enc).name == name:
            return label
    return f"{name} encoding"


def check_encoding(encoding: str, where: str = "encoding") -> str:
    """The canonical codec name of a user-chosen encoding.

    Raises:
        UserError: Python has no such text encoding.
    """
    try:
        info = codecs.lookup(encoding.strip())
    except (LookupError, ValueError):
        info = None
    if info is None or not getattr(info, "_is_text_encoding", True):
        raise UserError(
            f'"{encoding}" is not a text encoding Studio knows; try utf-8, cp1252 (Western '
            "European), latin-1, cp1250 or cp1251.",
            where=where,
        )
    return info.name
