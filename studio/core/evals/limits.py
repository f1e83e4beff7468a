"""How long a run may wait: the per-request timeout, the run deadline and the stop rule.

A server that accepts connections and never replies used to keep a run alive for hours
(120 s read timeout x 3 attempts per call, no overall rule; ISSUE-10 section 3). The
rule here bounds that:

* ``request_timeout_s`` (``--timeout``, default 60 s): the read timeout of one HTTP
  request.
* ``deadline_s`` (``--deadline``, default none): the whole execution stops after this
  many seconds; cases without an answer stay pending and a resume sends them.
* **Stop rule**: while requests are in flight, if the server has sent *no* HTTP answer
  of any kind (success or error status) for ``stall_s`` seconds, the run stops with a
  sentence naming the server. ``stall_s`` defaults to ``1.25 x request_timeout_s``: one
  full request timeout plus a quarter of one for the retry that follows it, so a single
  slow request is retried, but a silent server is not waited on longer. Only time with
  requests in flight counts (a back-off sleep or a ``Retry-After`` wait does not).

With the defaults a never-answering server ends a run after 1.25 x 60 = 75 s of silence
(plus start-up, under the 90 s the issue asks for), whatever the concurrency: every
request in flight shares the same silent clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from urllib.parse import urlsplit

from studio.core.errors import ValidationError
from studio.core.llm.errors import ServerUnreachableError

DEFAULT_REQUEST_TIMEOUT_S = 60.0
STALL_FACTOR = 1.25
MIN_TIMEOUT_S = 0.1
MAX_TIMEOUT_S = 3600.0


class RunStoppedError(ServerUnreachableError):
    """The run was stopped by a limit (``kind``: ``"stalled"`` or ``"deadline"``).

    A subclass of :class:`ServerUnreachableError` so that every caller that ends a run
    with a sentence when the server is down does the same here.
    """

    def __init__(self, message: str, *, kind: str, where: str | None = None) -> None:
        super().__init__(message, where=where)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class RunLimits:
    """The time limits of one run execution (see the module docstring).

    Attributes:
        request_timeout_s: read timeout of each HTTP request.
        deadline_s: stop the execution after this many seconds (None = no deadline).
        stall_s: stop when nothing was answered for this long while requests are in
            flight (None = ``1.25 x request_timeout_s``).
    """

    request_timeout_s: float = DEFAULT_REQUEST_TIMEOUT_S
    deadline_s: float | None = None
    stall_s: float | None = None

    def __post_init__(self) -> None:
        for name in ("request_timeout_s", "deadline_s", "stall_s"):
            value = getattr(self, name)
            if value is None and name != "request_timeout_s":
                continue
            if (
                not isinstance(value, (int, float))
                or isinstance(value, bool)
                or not math.isfinite(value)
                or not MIN_TIMEOUT_S
                <= value
                <= (MAX_TIMEOUT_S if name != "deadline_s" else 7 * 24 * 3600.0)
            ):
                label = {
                    "request_timeout_s": "timeout",
                    "deadline_s": "deadline",
                    "stall_s": "stall",
                }[name]
                raise ValidationError(
                    f"The {label} must be a number of seconds of at least {MIN_TIMEOUT_S}, "
                    f"not {value!r}.",
                    where=label,
                )

    @property
    def effective_stall_s(self) -> float:
        """Seconds of silence (requests in flight, no answer) that stop the run."""
        return self.stall_s if self.stall_s is not None else (self.request_timeout_s * STALL_FACTOR)

    def to_json(self) -> dict[str, float | None]:
        """As stored with the run (so a resume uses the same settings)."""
        return {
            "request_timeout_s": self.request_timeout_s,
            "deadline_s": self.deadline_s,
            "stall_s": self.stall_s,
        }

    @classmethod
    def from_json(cls, data: object) -> RunLimits:
        """From :meth:`to_json` output; anything unusable gives the defaults."""
        if not isinstance(data, dict):
            return cls()
        try:
            return cls(
                request_timeout_s=float(data.get("request_timeout_s") or DEFAULT_REQUEST_TIMEOUT_S),
                deadline_s=None if data.get("deadline_s") is None else float(data["deadline_s"]),
                stall_s=None if data.get("stall_s") is None else float(data["stall_s"]),
            )
        except (TypeError, ValueError, ValidationError):
            return cls()


def server_name(base_url: str) -> str:
    """The host (and port) of ``base_url``, as a user names the server."""
    parts = urlsplit(base_url)
    return parts.netloc or base_url


def stalled_message(base_url: str, silent_s: float, timeout_s: float, pending: int) -> str:
    """The sentence shown when the server stopped answering."""
    return (
        f"The server {server_name(base_url)} ({base_url}) accepted connections but sent no "
        f"answer for {silent_s:.0f} s (request timeout {timeout_s:g} s), so the run stopped. "
        f"{pending} call{'s' if pending != 1 else ''} without an answer stay pending; "
        "resume the run to send them."
    )


def deadline_message(base_url: str, deadline_s: float, pending: int) -> str:
    """The sentence shown when the run deadline passed."""
    return (
        f"The run reached its deadline of {deadline_s:g} s while waiting for "
        f"{server_name(base_url)} ({base_url}), so it stopped. {pending} "
        f"call{'s' if pending != 1 else ''} without an answer stay pending; resume the run "
        "to send them."
    )
