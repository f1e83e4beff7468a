"""The central redactor: every key the studio holds, removed by value at every sink."""

from __future__ import annotations

import io
import json
import logging
from urllib.parse import quote

import pytest

from studio.core import redact as r


def test_a_remembered_key_is_masked_in_every_spelling() -> None:
    key = 'k9"x/\\é'
    r.remember_secret(key)
    text = f"plain {key}; json {json.dumps(key)}; url {quote(key, safe='')}"
    out = r.redact(text)
    assert key not in out and json.dumps(key)[1:-1] not in out and quote(key, safe="") not in out
    assert out.count(r.MASK) == 3
    assert r.redact_bytes(text.encode()).count(r.MASK.encode()) == 3
    assert r.redact_json({"a": [key, {"b": f"x{key}"}], key: 1}) == {
        "a": [r.MASK, {"b": f"x{r.MASK}"}],
        r.MASK: 1,
    }


def test_short_keys_count_but_one_or_two_characters_would_mangle_text() -> None:
    r.remember_secret("k9x")
    r.remember_secret("ab")  # too short to search for: ordinary text stays readable
    assert r.redact_values("a k9x cab") == f"a {r.MASK} cab"
    r.remember_secret(None)
    r.remember_secret("   ")
    assert r.redact_values("a k9x cab") == f"a {r.MASK} cab"


def test_environment_keys_are_masked_without_being_remembered_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "az9key")
    assert r.redact_values("echo az9key") == f"echo {r.MASK}"
    assert r.contains_secret("xx az9key xx")
    monkeypatch.setenv("MY_KEY", "mine77")
    assert r.redact_values("mine77") == "mine77"  # an arbitrary variable is not a key ...
    r.remember_environment(["MY_KEY"])  # ... until --api-key-env names it
    assert r.redact_values("mine77") == r.MASK


def test_patterns_still_catch_keys_the_studio_never_held() -> None:
    out = r.redact("sk-abcdefghijklmnopqrstu and Authorization: Bearer abcdefghijk")
    assert "abcdefghijklmnop" not in out and "Bearer ***" in out
    # stored answers are masked by value only: a token-shaped answer is left alone
    assert r.redact_values("Bearer abcdefghijk") == "Bearer abcdefghijk"


def test_log_formatter_and_text_stream_mask_keys() -> None:
    r.remember_secret("k9x")
    record = logging.LogRecord(
        "studio", logging.ERROR, __file__, 1, "server said %s", ("bad key k9x",), None
    )
    assert "k9x" not in r.RedactingFormatter("%(message)s").format(record)
    sink = io.StringIO()
    stream = r.RedactingTextStream(sink)  # type: ignore[arg-type]
    assert stream.write("got k9x\n") == len("got k9x\n")
    stream.writelines(["k9x", "!"])
    stream.flush()
    assert sink.getvalue() == f"got {r.MASK}\n{r.MASK}!"
