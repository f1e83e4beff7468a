"""Turn openai SDK exceptions into a kind and a plain sentence for the user.

The kind drives the runner's retry policy and the UI's grouping; the sentence is shown
as is (keys are redacted).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from studio.core.errors import UserError
from studio.core.llm.keys import redact

ErrorKind = Literal[
    "auth",
    "permission",
    "rate_limit",
    "connection",
    "unreachable",
    "timeout",
    "bad_request",
    "not_found",
    "server",
    "bad_response",
    "other",
]
RETRYABLE_KINDS: frozenset[str] = frozenset(
    {"rate_limit", "connection", "unreachable", "timeout", "server", "bad_response"}
)


class ServerUnreachableError(UserError):
    """Nothing answers at the provider's address (connection refused / connect timeout)."""


class ProviderRefusedError(ServerUnreachableError):
    """The server answers but refuses every call alike (a wrong key, an unknown model).

    A subclass of :class:`ServerUnreachableError` so that every caller that ends a run
    with a sentence when the server is down does the same here.
    """


def unreachable_message(base_url: str) -> str:
    """The sentence shown when nothing listens at ``base_url``."""
    return (
        f"Server unreachable at {base_url}: nothing accepted the connection. "
        "Is the server running and is the URL right?"
    )


@dataclass(frozen=True, slots=True)
class MappedError:
    """An exception classified for the runner and worded for the user.

    Attributes:
        kind: see :data:`ErrorKind`.
        message: one or two sentences, keys redacted.
        status: HTTP status when the server answered, else None.
        retryable: whether the runner may try again.
        retry_after_s: the server's ``Retry-After`` / ``retry-after-ms`` in seconds.
        connect_failed: the TCP connection could not be opened (refused, DNS, connect
            timeout): evidence that the server is down rather than slow.
    """

    kind: ErrorKind
    message: str
    status: int | None = None
    retryable: bool = False
    retry_after_s: float | None = None
    connect_failed: bool = False


def _server_detail(body: object) -> str:
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return str(err["message"])
        if isinstance(body.get("message"), str):
            return str(body["message"])
    if isinstance(body, str):
        return body[:200]
    return ""


def parse_retry_after(headers: object) -> float | None:
    """Seconds from ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date)."""
    get = getattr(headers, "get", None)
    if get is None:
        return None
    raw_ms = get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000.0)
        except ValueError:
            pass
    raw = get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    import email.utils
    import time

    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _connect_failed(exc: BaseException) -> bool:
    cause: BaseException | None = exc.__cause__ or exc.__context__
    seen = 0
    while cause is not None and seen < 5:
        name = type(cause).__name__
        if name in ("ConnectError", "ConnectTimeout"):
            return True
        if isinstance(cause, ConnectionRefusedError):
            return True
        cause = cause.__cause__ or cause.__context__
        seen += 1
    return False


def map_exception(exc: BaseException, *, base_url: str = "", model: str = "") -> MappedError:
    """Classify an exception raised by an openai client call.

    Args:
        exc: the exception.
        base_url: the provider's base URL, named in connection sentences.
        model: the requested model, named in not-found sentences.
    """
    import openai

    where = f" at {base_url}" if base_url else ""
    if isinstance(exc, openai.APITimeoutError):
        connect = _connect_failed(exc)
        return MappedError(
            "timeout",
            redact(
                f"The server{where} did not answer in time"
                + (" (could not connect)." if connect else ".")
                + " Try again, lower the concurrency or raise the read timeout."
            ),
            retryable=True,
            connect_failed=connect,
        )
    if isinstance(exc, openai.APIConnectionError):
        connect = _connect_failed(exc)
        if connect:
            text = f"Could not connect to the server{where}: is it running and is the URL right?"
        else:
            text = f"The connection to the server{where} broke before it answered."
        return MappedError("connection", redact(text), retryable=True, connect_failed=connect)
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        detail = _server_detail(exc.body)
        suffix = f" The server said: {detail}" if detail else ""
        retry_after = parse_retry_after(exc.response.headers)
        kind: ErrorKind
        if status == 401:
            kind, text = "auth", f"The server{where} rejected the API key (401)."
        elif status == 403:
            kind, text = "permission", f"The API key is not allowed to do this (403){where}."
        elif status == 404:
            kind = "not_found"
            text = (
                f"Model {model!r} was not found{where} (404): check the model or deployment name."
                if model
                else f"Not found{where} (404): check the base URL."
            )
        elif status == 429:
            kind, text = "rate_limit", f"Rate limited by the server{where} (429)."
        elif status in (400, 413, 422):
            kind, text = "bad_request", f"The server{where} refused the request ({status})."
        elif status in (408, 409) or status >= 500:
            kind = "server"
            text = f"The server{where} failed ({status})."
            if status == 503 and "loading" in detail.lower():
                text = f"The server{where} is still loading the model (503)."
        else:
            kind, text = "other", f"The server{where} answered with status {status}."
        retryable = status in (408, 409, 429) or status >= 500
        return MappedError(
            kind,
            redact(text + suffix),
            status=status,
            retryable=retryable,
            retry_after_s=retry_after,
        )
    if isinstance(exc, openai.APIResponseValidationError):
        return MappedError(
            "bad_response",
            f"The server{where} sent a response that is not a valid completion.",
            retryable=True,
        )
    if isinstance(exc, openai.OpenAIError):
        return MappedError("other", redact(str(exc)))
    return MappedError("other", redact(f"{type(exc).__name__}: {exc}"))
