"""Demo prompts: five realistic prompts with histories, so a newcomer sees a living registry.

``banking-intent`` classifies online-banking queries into the 77 intents of the
banking77 dataset (PolyAI, Casanueva et al. 2020, CC BY 4.0; intent names copied
verbatim, including the dataset's own ``Refund_not_showing_up`` and
``reverted_card_payment?``). ``support-reply`` drafts answers to customers,
``ticket-extract`` pulls fields out of support e-mails with a response JSON Schema and
``fee-answer`` answers fee questions with a tool; ``intent-judge`` grades the teacher's
intents for the distil step (:mod:`studio.core.demo.judge`). Each has several versions written by
"alice" and "bob" with commit messages, and labels moved over a few weeks.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from studio.core.demo.prompt_story import _DemoPrompt, _spec, _Step, _unwrap
from studio.core.prompts import service
from studio.core.prompts.spec import PromptSpec

if TYPE_CHECKING:
    from studio.core.db.project import Project

BANKING77_INTENTS: tuple[str, ...] = (
    "card_arrival",
    "card_linking",
    "exchange_rate",
    "card_payment_wrong_exchange_rate",
    "extra_charge_on_statement",
    "pending_cash_withdrawal",
    "fiat_currency_support",
    "card_delivery_estimate",
    "automatic_top_up",
    "card_not_working",
    "exchange_via_app",
    "lost_or_stolen_card",
    "age_limit",
    "pin_blocked",
    "contactless_not_working",
    "top_up_by_bank_transfer_charge",
    "pending_top_up",
    "cancel_transfer",
    "top_up_limits",
    "wrong_amount_of_cash_received",
    "card_payment_fee_charged",
    "transfer_not_received_by_recipient",
    "supported_cards_and_currencies",
    "getting_virtual_card",
    "card_acceptance",
    "top_up_reverted",
    "balance_not_updated_after_cheque_or_cash_deposit",
    "card_payment_not_recognised",
    "edit_personal_details",
    "why_verify_identity",
    "unable_to_verify_identity",
    "get_physical_card",
    "visa_or_mastercard",
    "topping_up_by_card",
    "disposable_card_limits",
    "compromised_card",
    "atm_support",
    "direct_debit_payment_not_recognised",
    "passcode_forgotten",
    "declined_cash_withdrawal",
    "pending_card_payment",
    "lost_or_stolen_phone",
    "request_refund",
    "declined_transfer",
    "Refund_not_showing_up",
    "declined_card_payment",
    "pending_transfer",
    "terminate_account",
    "card_swallowed",
    "transaction_charged_twice",
    "verify_source_of_funds",
    "transfer_timing",
    "reverted_card_payment?",
    "change_pin",
    "beneficiary_not_allowed",
    "transfer_fee_charged",
    "receiving_money",
    "failed_transfer",
    "transfer_into_account",
    "verify_top_up",
    "getting_spare_card",
    "top_up_by_cash_or_cheque",
    "order_physical_card",
    "virtual_card_not_working",
    "wrong_exchange_rate_for_cash_withdrawal",
    "get_disposable_virtual_card",
    "top_up_failed",
    "balance_not_updated_after_bank_transfer",
    "cash_withdrawal_not_recognised",
    "exchange_charge",
    "top_up_by_card_charge",
    "activate_my_card",
    "cash_withdrawal_charge",
    "card_about_to_expire",
    "apple_pay_or_google_pay",
    "verify_my_identity",
    "country_support",
)


# -- banking-intent ---------------------------------------------------------------------


def _intent_list() -> str:
    return "\n".join(f"- {name}" for name in BANKING77_INTENTS)


_INTENT_V1 = """You classify messages that customers send to the support chat of an online bank.

Answer with exactly one intent name from this list and nothing else:
- card_arrival
- card_not_working
- lost_or_stolen_card
- exchange_rate
- pending_transfer
- request_refund
- transaction_charged_twice
- terminate_account

If none fits, answer: other"""

_INTENT_HEAD = "You classify messages that customers send to the support chat of an online bank."
_ANSWER_LABEL = """Answer with exactly one intent name from the list below, spelled exactly as
written (some names have capitals or a question mark: copy them as they are). Never answer
with a name that is not in the list."""
_ANSWER_JSON = """Return a JSON object with the intent (exactly one name from the list below)
and how confident you are. Use "low" when two intents fit equally well."""
_INTENTS = f"Intents:\n{_intent_list()}"

_INTENT_V2 = f"{_INTENT_HEAD}\n\n{_ANSWER_LABEL}\n\n{_INTENTS}"

_INTENT_RULES = """

Rules for intents that are easy to confuse:
- card_arrival: the customer is waiting for a card that was already sent.
  card_delivery_estimate: they ask how long delivery takes in general.
- pending_card_payment / pending_transfer / pending_top_up / pending_cash_withdrawal:
  pick by what is pending, not by the word "pending".
- card_payment_not_recognised: a card payment they did not make.
  compromised_card: they believe someone else has their card details.
- transfer_not_received_by_recipient: the money left but did not arrive.
  failed_transfer: the transfer did not go through at all.
- If the message names a charge or a fee, prefer the *_fee_charged or *_charge intent
  of the payment type it mentions."""

_INTENT_V3 = _INTENT_V2 + _INTENT_RULES

_INTENT_V4 = f"{_INTENT_HEAD}\n\n{_ANSWER_JSON}\n\n{_INTENTS}{_INTENT_RULES}"

_INTENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "intent": {
            "type": "string",
            "enum": list(BANKING77_INTENTS),
            "description": "one banking77 intent",
        },
        "confidence": {"type": "string", "enum": ["low", "medium", "high"]},
    },
    "required": ["intent", "confidence"],
    "additionalProperties": False,
}


def _banking_intent() -> _DemoPrompt:
    user = ("user", "{{text}}")
    v1 = _spec("gpt-4o-mini", {"temperature": 0.2, "max_tokens": 20}, ("system", _INTENT_V1), user)
    v2 = _spec("gpt-4.1", {"temperature": 0.0, "max_tokens": 20}, ("system", _INTENT_V2), user)
    v3 = _spec(
        "gpt-4.1",
        {"temperature": 0.0, "max_tokens": 20},
        ("system", _INTENT_V3),
        ("user", "I ordered my card two weeks ago and it still hasn't come."),
        ("assistant", "card_arrival"),
        ("user", "There's a payment in my app I never made."),
        ("assistant", "card_payment_not_recognised"),
        user,
    )
    v4 = _spec(
        "gpt-4.1",
        {"temperature": 0.0, "max_tokens": 60, "seed": 7},
        ("system", _INTENT_V4),
        ("user", "I ordered my card two weeks ago and it still hasn't come."),
        ("assistant", '{"intent": "card_arrival", "confidence": "high"}'),
        ("user", "There's a payment in my app I never made."),
        ("assistant", '{"intent": "card_payment_not_recognised", "confidence": "medium"}'),
        user,
        schema=_INTENT_SCHEMA,
    )
    return _DemoPrompt(
        "banking-intent",
        "Routes online-banking support messages to one of the 77 banking77 intents "
        "(banking77: PolyAI, CC BY 4.0).",
        [
            _Step(
                "alice", "First draft: the eight intents we see most in the support queue.", spec=v1
            ),
            _Step("alice", label="staging", to_version=1, days=0.1),
            _Step(
                "alice",
                "List all 77 banking77 intents; v1 answered 'other' for 40% of the "
                "test split. Temperature 0 for repeatable labels.",
                spec=v2,
                days=2,
            ),
            _Step("alice", label="staging", to_version=2, days=0.2),
            _Step("bob", label="production", to_version=2, days=1),
            _Step(
                "bob",
                "Add rules for the pairs the eval confused most and two worked "
                "examples (card_arrival vs card_delivery_estimate, the pending_* family).",
                spec=v3,
                days=4,
            ),
            _Step("bob", label="staging", to_version=3, days=0.1),
            _Step("alice", label="production", to_version=3, days=2),
            _Step(
                "bob",
                "Structured output: the schema's enum makes every answer a valid "
                "label; add a confidence field for the review queue.",
                spec=v4,
                days=3,
            ),
            _Step("bob", label="staging", to_version=4, days=0.1),
            _Step("bob", label="production", to_version=4, days=1),
            # rollback: the enum schema doubled latency on the provider's side
            _Step("alice", label="production", to_version=3, days=0.5),
        ],
    )


# -- support-reply -------------------------------------------------------------------------

_REPLY_V1 = _unwrap(
    """\
You are a customer support agent for Northwind Bank. Write a reply to the customer
message below. Be formal and thorough. Address the customer by name. Explain the relevant
policy and the next steps. End with "Kind regards, Northwind Bank Support"."""
)

_REPLY_V2 = _unwrap("""You write replies for Northwind Bank's support team.

Tone: warm, plain and direct, like a helpful person rather than a policy document. Use the
customer's first name once. Keep the reply under 120 words. Say what you will do or what
they should do next, in that order.

Sign off with "Best wishes, the Northwind team".""")

_REPLY_POLICY = _unwrap("""

Never:
- promise a refund, a fee reversal or a date; say the team will review it instead;
- ask for a full card number, PIN or passcode;
- guess at account details that are not in the notes.

If the message suggests fraud or a stolen card, tell them to freeze the card in the app
now (Cards ▸ Freeze) and that a specialist will contact them today.""")

_REPLY_USER = """Customer name: {{customer_name}}
Account notes: {{account_notes}}

Message:
{{customer_message}}"""


def _support_reply() -> _DemoPrompt:
    v1 = _spec("gpt-4o", {"temperature": 0.7}, ("system", _REPLY_V1), ("user", _REPLY_USER))
    v2 = _spec(
        "gpt-4o",
        {"temperature": 0.7, "max_tokens": 300},
        ("system", _REPLY_V2),
        ("user", _REPLY_USER),
    )
    v3 = _spec(
        "gpt-4o",
        {"temperature": 0.4, "max_tokens": 300},
        ("system", _REPLY_V2 + _REPLY_POLICY),
        ("user", _REPLY_USER),
    )
    v4 = _spec(
        "gpt-4.1-mini",
        {"temperature": 0.4, "max_tokens": 300},
        ("system", _REPLY_V2 + _REPLY_POLICY),
        (
            "developer",
            "Write British English. Format money as £12.50. No bullet lists in the reply itself.",
        ),
        ("user", _REPLY_USER),
    )
    return _DemoPrompt(
        "support-reply",
        "Drafts a reply to a customer message for an agent to check and send.",
        [
            _Step("bob", "Initial reply drafter.", spec=v1),
            _Step("bob", label="production", to_version=1, days=0.5),
            _Step(
                "alice",
                "Warmer, shorter tone: agents were rewriting 70% of v1's drafts as "
                "too stiff. Cap at 120 words.",
                spec=v2,
                days=3,
            ),
            _Step("alice", label="staging", to_version=2, days=0.1),
            _Step(
                "alice",
                "Add the compliance rules from legal (no refund promises, never ask "
                "for PIN) and the fraud path; lower temperature.",
                spec=v3,
                days=2,
            ),
            _Step("bob", label="staging", to_version=3, days=0.2),
            _Step("bob", label="production", to_version=3, days=1),
            _Step(
                "bob", "Try gpt-4.1-mini with a developer message for house style.", spec=v4, days=5
            ),
            _Step("bob", label="staging", to_version=4, days=0.1),
        ],
    )


# -- ticket-extract -------------------------------------------------------------------------

_EXTRACT_SYSTEM = _unwrap(
    """\
Extract the fields of a support ticket from the e-mail below. Use only what
the e-mail says; leave a field out (or null where allowed) when the e-mail does not say it.
The summary is one sentence in English, whatever the e-mail's language."""
)

_EXTRACT_USER = """Subject: {{subject}}

{{body}}"""

_CATEGORY = {"type": "string", "enum": ["card", "transfer", "account", "fees", "fraud", "other"]}


def _extract_schema(version: int) -> dict[str, Any]:
    props: dict[str, Any] = {
        "customer_email": {"type": "string", "format": "email"},
        "category": copy.deepcopy(_CATEGORY),
        "summary": {"type": "string", "maxLength": 200},
    }
    required = ["customer_email", "category", "summary"]
    if version >= 2:
        props["urgency"] = {"type": "string", "enum": ["low", "normal", "high"]}
        props["order_id"] = {"type": "string", "pattern": "^NW-[0-9]{6}$"}
        required.append("urgency")
    if version >= 3:
        # e-mails forwarded from the web form have no sender address: the model invented one
        props["customer_email"] = {"type": ["string", "null"], "format": "email"}
        required.remove("customer_email")
        props["language"] = {"type": "string", "description": "ISO 639-1 code, e.g. en, de"}
        props["category"]["enum"].append("lending")
    return {
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }


def _ticket_extract() -> _DemoPrompt:
    def spec(v: int, params: dict[str, Any]) -> PromptSpec:
        return _spec(
            "gpt-4o-mini",
            params,
            ("system", _EXTRACT_SYSTEM),
            ("user", _EXTRACT_USER),
            schema=_extract_schema(v),
        )

    return _DemoPrompt(
        "ticket-extract",
        "Turns a support e-mail into ticket fields (JSON) for the helpdesk.",
        [
            _Step(
                "alice",
                "Extract e-mail, category and a one-line summary.",
                spec=spec(1, {"temperature": 0.0}),
            ),
            _Step("alice", label="production", to_version=1, days=1),
            _Step(
                "bob",
                "Add urgency (required) and the order id so the helpdesk can route "
                "and link orders.",
                spec=spec(2, {"temperature": 0.0, "seed": 42}),
                days=6,
            ),
            _Step("bob", label="staging", to_version=2, days=0.1),
            _Step("bob", label="production", to_version=2, days=1),
            _Step(
                "alice",
                "customer_email no longer required (web-form tickets have none and "
                "the model made one up); add language and the lending category.",
                spec=spec(3, {"temperature": 0.0, "seed": 42}),
                days=4,
            ),
            _Step("alice", label="staging", to_version=3, days=0.1),
        ],
    )


# -- fee-answer ---------------------------------------------------------------------------

_FEE_SYSTEM = _unwrap(
    """\
You answer customers' questions about Northwind Bank's fees. Be exact: quote
the fee and when it applies. If you are not sure which fee applies, ask one short question."""
)


def _fee_tool(version: int) -> list[dict[str, Any]]:
    params: dict[str, Any] = {
        "type": "object",
        "properties": {
            "product": {
                "type": "string",
                "enum": ["card", "transfer", "top_up", "cash_withdrawal", "exchange"],
            },
        },
        "required": ["product"],
        "additionalProperties": False,
    }
    if version >= 3:
        params["properties"]["currency"] = {
            "type": "string",
            "description": "ISO 4217 code, e.g. GBP, EUR",
        }
        params["required"].append("currency")
    return [
        {
            "type": "function",
            "function": {
                "name": "lookup_fee_schedule",
                "description": "Current fees for one product from the published fee schedule.",
                "parameters": params,
                "strict": version >= 3,
            },
        }
    ]


def _fee_answer() -> _DemoPrompt:
    user = ("user", "{{question}}")
    v1 = _spec("gpt-4o-mini", {"temperature": 0.3}, ("system", _FEE_SYSTEM), user)
    v2 = _spec(
        "gpt-4o-mini",
        {"temperature": 0.3, "tool_choice": "auto"},
        (
            "system",
            _FEE_SYSTEM + "\n\nLook fees up with the tool; never quote from "
            "memory, the schedule changes monthly.",
        ),
        user,
        tools=_fee_tool(2),
    )
    v3 = _spec(
        "gpt-4o-mini",
        {"temperature": 0.3, "tool_choice": "auto", "parallel_tool_calls": False},
        (
            "system",
            _FEE_SYSTEM + "\n\nLook fees up with the tool; never quote from "
            "memory, the schedule changes monthly. Pass the currency the customer uses.",
        ),
        user,
        tools=_fee_tool(3),
    )
    return _DemoPrompt(
        "fee-answer",
        "Answers fee questions, looking fees up with a tool.",
        [
            _Step("bob", "Plain answerer (no lookup).", spec=v1),
            _Step(
                "alice",
                "Quote fees from the fee-schedule tool: v1 quoted last year's ATM fee.",
                spec=v2,
                days=2,
            ),
            _Step("alice", label="staging", to_version=2, days=0.1),
            _Step("alice", label="production", to_version=2, days=1),
            _Step(
                "bob",
                "Tool takes a currency (strict mode) so exchange fees are right.",
                spec=v3,
                days=3,
            ),
            _Step("bob", label="staging", to_version=3, days=0.1),
        ],
    )


def demo_prompts() -> list[_DemoPrompt]:
    """The demo prompts with their histories (not yet saved)."""
    from studio.core.demo.judge import demo_judge_prompt

    return [
        _banking_intent(),
        _support_reply(),
        _ticket_extract(),
        _fee_answer(),
        demo_judge_prompt(),
    ]


def add_demo_prompts(project: Project, *, now: datetime | None = None) -> list[str]:
    """Add the demo prompts (skipping names that already exist); return the names added.

    Their history is backdated to end shortly before ``now``.
    """
    existing = {p.name for p in service.list_prompts(project)}
    now = now or datetime.now(UTC)
    added: list[str] = []
    for demo in demo_prompts():
        if demo.name in existing:
            continue
        total = sum(step.days for step in demo.steps)
        at = now - timedelta(days=total + 1)
        for step in demo.steps:
            at += timedelta(days=step.days)
            if step.spec is not None:
                service.save_version(
                    project,
                    demo.name,
                    step.spec,
                    step.message,
                    author=step.author,
                    description=demo.description,
                    at=at,
                )
            else:
                assert step.label is not None and step.to_version is not None
                service.set_label(
                    project, demo.name, step.label, step.to_version, actor=step.author, at=at
                )
        added.append(demo.name)
    return added
