"""The demo's judge: the ``intent-judge`` prompt and the simulated model that answers it.

``intent-judge`` is a single-answer grader (:mod:`studio.core.distil.judging`): it sees
the customer's message (``{{input}}``), the intent the teacher chose (``{{output}}``, the
JSON object of ``banking-intent@4`` or a bare name) and the row's human label when it has
one (``{{ideal}}``), and ends its answer with ``Score: N/10``
(:func:`studio.core.distil.judge_scores.read_judge_score` reads it as N/10). Its v1, a
pass/fail draft, is answered ``pass`` or ``fail``.

:class:`SimulatedJudge` plays its model (``gpt-4.1-mini``) for the demo's distil part
(:mod:`studio.core.demo.distil`) and ``studio demo-model``. It knows each demo query's
banking77 intent (the CSVs under ``resources/demo/``; the row's human label wins when the
request carries one) and grades like a careful model: 9 or 10 when the chosen intent is the
true one, 1 or 2 when it is not, and, on a seeded :data:`HEDGE_SHARE` of the answers, a
hedged 7 (right) or 4 (wrong) because "the message could be read either way". Every
answer is a pure function of the request's message, chosen intent and reference (a
seeded hash), so the response cache and the tests see the same answers every time.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

import orjson

from studio.core.demo.simulated_server import _last_user_text

if TYPE_CHECKING:
    from studio.core.demo.prompt_story import _DemoPrompt

JUDGE_PROMPT = "intent-judge"
JUDGE_VERSION = 2  # the version the demo and README's loop judge with (label production)
JUDGE_MODEL = "gpt-4.1-mini"
HEDGE_SHARE = 0.08  # answers where the simulated judge hedges (7/10 right, 4/10 wrong)

_JUDGE_SYSTEM = """You grade the intent that a classifier chose for a message sent to the support \
chat of an online bank. The intents are banking77's (card_arrival, pending_transfer, \
request_refund, ...).

Decide whether the chosen intent is the one a careful support agent would route the message \
to. When a reference intent is given, a person labelled the message: the chosen intent must \
match it. Without one, judge from the message alone. Watch the pairs that are easy to confuse \
(card_arrival vs card_delivery_estimate, the pending_* family, card_payment_not_recognised vs \
compromised_card).

Give one short sentence of reasoning, then end with the line "Score: N/10": 10 when the \
chosen intent is certainly right, 0 when it is certainly wrong, 5 when the message fits \
two intents equally."""

_JUDGE_PASS_FAIL = """You check the intent that a classifier chose for a message sent to the \
support chat of an online bank. When a reference intent is given, the chosen intent must match it.

Answer pass or fail and nothing else."""

_JUDGE_RULE_NANO = """

Be strict: when in doubt, score 3 or lower."""

_JUDGE_USER = """Customer message:
{{input}}

Chosen intent:
{{output}}

Reference intent (empty when nobody has labelled the message):
{{ideal}}"""

_REQUEST = re.compile(
    r"\ACustomer message:\n(?P<input>.*)\n\nChosen intent:\n(?P<output>.*)\n\n"
    r"Reference intent[^\n]*:\n(?P<ideal>.*)\Z",
    re.DOTALL,
)


def _u(*parts: object) -> float:
    """A stable uniform number in [0, 1) from ``parts``."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _norm(text_: str) -> str:
    return " ".join(text_.split()).casefold()


def _system_text(body: dict[str, Any]) -> str:
    return " ".join(
        str(m.get("content") or "")
        for m in body.get("messages") or []
        if isinstance(m, dict) and m.get("role") in ("system", "developer")
    )


def chosen_intent(output: str) -> str:
    """The intent in a teacher answer: the JSON object's ``intent``, else the text."""
    text_ = output.strip()
    try:
        obj = orjson.loads(text_)
    except orjson.JSONDecodeError:
        return text_
    return str(obj.get("intent", "")) if isinstance(obj, dict) else text_


def demo_judge_prompt() -> _DemoPrompt:
    """``intent-judge`` with its history: v1 a pass/fail draft, v2 the 0-10 grader on
    gpt-4.1-mini (production), v3 a stricter try on gpt-4.1-nano left on staging."""
    from studio.core.demo.prompt_story import _DemoPrompt, _spec, _Step

    user = ("user", _JUDGE_USER)
    v1 = _spec(
        JUDGE_MODEL, {"temperature": 0.0, "max_tokens": 5}, ("system", _JUDGE_PASS_FAIL), user
    )
    v2 = _spec(JUDGE_MODEL, {"temperature": 0.0, "max_tokens": 80}, ("system", _JUDGE_SYSTEM), user)
    v3 = _spec(
        "gpt-4.1-nano",
        {"temperature": 0.0, "max_tokens": 80},
        ("system", _JUDGE_SYSTEM + _JUDGE_RULE_NANO),
        user,
    )
    return _DemoPrompt(
        JUDGE_PROMPT,
        "Grades a teacher's banking77 intent for a message (0-10), for `studio distil "
        "judge` and accept --min-judge.",
        [
            _Step(
                "alice",
                "First draft: pass or fail for the teacher's intent, against the human "
                "label when there is one.",
                spec=v1,
            ),
            _Step("alice", label="staging", to_version=1, days=0.2),
            _Step(
                "alice",
                "A 0-10 score after one sentence of reasoning (Score: N/10): pass/fail gave "
                "accept --min-judge nothing to rank, and the reasoning shows why it doubts.",
                spec=v2,
                days=2,
            ),
            _Step("alice", label="staging", to_version=2, days=0.1),
            _Step("bob", label="production", to_version=2, days=1),
            _Step(
                "bob",
                "Try the judge on gpt-4.1-nano (a quarter of the price) with a stricter "
                "rule; it flagged right answers too often, so production stays on v2.",
                spec=v3,
                days=2,
            ),
            _Step("bob", label="staging", to_version=3, days=0.1),
        ],
    )


class SimulatedJudge:
    """Plays the judge model: knows the demo's intents, grades the chosen one.

    Args:
        labels_by_text: query text -> its banking77 intent (the truth when the request
            carries no reference intent).
    """

    def __init__(self, labels_by_text: dict[str, str]) -> None:
        self.labels = {_norm(k): v for k, v in labels_by_text.items()}

    @staticmethod
    def fields(body: dict[str, Any]) -> tuple[str, str, str] | None:
        """(message, chosen intent, reference) of an ``intent-judge`` request, else None."""
        match = _REQUEST.match(_last_user_text(body))
        if match is None:
            return None
        output = match.group("output").strip()
        return match.group("input").strip(), chosen_intent(output), match.group("ideal").strip()

    def is_judge_request(self, body: dict[str, Any]) -> bool:
        """True when ``body`` is a request filled from the ``intent-judge`` prompt."""
        return self.fields(body) is not None

    @staticmethod
    def hedged(message: str, chosen: str) -> bool:
        """True on the seeded share of answers where the judge hedges."""
        return _u("judge-hedge", _norm(message), chosen) < HEDGE_SHARE

    def __call__(self, body: dict[str, Any]) -> str:
        got = self.fields(body)
        if got is None:
            return "Score: 5/10"  # not the demo judge's request: an unsure grade
        message, chosen, ideal = got
        truth = ideal or self.labels.get(_norm(message))
        if "pass or fail" in _system_text(body):  # intent-judge@1 asks for a bare verdict
            return "pass" if truth is not None and chosen == truth else "fail"
        if truth is None:
            return f"I cannot tell whether {chosen} is right for this message.\nScore: 5/10"
        right = chosen == truth
        if self.hedged(message, chosen):
            if right:
                return (
                    f"{chosen} fits, though the message could also be read as a "
                    "neighbouring intent.\nScore: 7/10"
                )
            return f"The message could be read as {chosen}, but {truth} fits better.\nScore: 4/10"
        if right:
            n = 10 if _u("judge-top", _norm(message)) < 0.5 else 9
            return f"The message is about {truth}: the chosen intent matches it.\nScore: {n}/10"
        n = 1 if _u("judge-low", _norm(message)) < 0.5 else 2
        return f"The message is about {truth}, not {chosen}.\nScore: {n}/10"

    @staticmethod
    def latency(body: dict[str, Any]) -> float:
        """4-12 ms."""
        return 0.004 + 0.008 * _u("judge-latency", len(str(body)))
