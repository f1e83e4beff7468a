"""Offline tiktoken, built from the BPE ranks that quicktok bundles (tests, benchmarks).

tiktoken downloads ``<encoding>.tiktoken`` rank files on first use. quicktok ships the same
ranks; this module rebuilds the exact file (``base64(token) rank`` per line) and places it
in a tiktoken cache folder under the name tiktoken looks for, so ``tiktoken.get_encoding``
loads it offline **and verifies it against the SHA-256 pinned in tiktoken itself**. If the
bundled ranks differed by a single byte, tiktoken would reject the file and try to
download it.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

import quicktok

# Where tiktoken fetches the rank files (tiktoken_ext/openai_public.py), and their hashes.
RANK_FILE_URLS = {
    "cl100k_base": "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
    "o200k_base": "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
}
PINNED_SHA256 = {
    "cl100k_base": "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
    "o200k_base": "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
}
_VOCAB_SIZE = {"cl100k_base": 100256, "o200k_base": 199998}


def rank_file_bytes(encoding: str) -> bytes:
    """The ``.tiktoken`` rank file of ``encoding`` rebuilt from quicktok's bundled vocab."""
    enc = quicktok.get_encoding(encoding)
    token_bytes = enc.decode_single_token_bytes
    lines = [
        base64.b64encode(token_bytes(rank)) + b" " + str(rank).encode()
        for rank in range(_VOCAB_SIZE[encoding])
    ]
    return b"\n".join(lines) + b"\n"


def install_rank_files(cache_dir: Path) -> dict[str, str]:
    """Write both rank files where tiktoken's cache looks; returns their sha256 digests."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    digests: dict[str, str] = {}
    for name, url in RANK_FILE_URLS.items():
        data = rank_file_bytes(name)
        digests[name] = hashlib.sha256(data).hexdigest()
        key = hashlib.sha1(url.encode()).hexdigest()  # tiktoken's cache key
        (cache_dir / key).write_bytes(data)
    return digests


def offline_tiktoken(encoding: str, cache_dir: Path) -> Any:
    """``tiktoken.get_encoding(encoding)`` without network, from rank files in cache_dir.

    Sets ``TIKTOKEN_CACHE_DIR`` for the duration of the load only.
    """
    import tiktoken

    install_rank_files(cache_dir)
    old = os.environ.get("TIKTOKEN_CACHE_DIR")
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
    try:
        return tiktoken.get_encoding(encoding)
    finally:
        if old is None:
            os.environ.pop("TIKTOKEN_CACHE_DIR", None)
        else:
            os.environ["TIKTOKEN_CACHE_DIR"] = old
