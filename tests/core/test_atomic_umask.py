"""Files the studio writes for the user honour the umask (not mkstemp's 0600)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.core.atomic import current_umask, write_bytes_atomic


@pytest.fixture
def umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(
    ("mask", "expected"), [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600), (0o027, 0o640)]
)
def test_a_new_file_gets_0666_less_the_umask(
    tmp_path: Path, umask: None, mask: int, expected: int
) -> None:
    os.umask(mask)
    assert current_umask() == mask
    path = tmp_path / "report.md"
    write_bytes_atomic(path, b"# report\n")
    assert _mode(path) == expected
    # the same as a plain open() under this umask
    plain = tmp_path / "plain.md"
    plain.write_bytes(b"x")
    assert _mode(plain) == expected


def test_a_replaced_file_keeps_its_bits(tmp_path: Path, umask: None) -> None:
    path = tmp_path / "export.jsonl"
    path.write_bytes(b"old")
    path.chmod(0o640)
    write_bytes_atomic(path, b"new")
    assert path.read_bytes() == b"new" and _mode(path) == 0o640
