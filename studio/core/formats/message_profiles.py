"""How each chat-shaped target reads a ``messages`` list: :class:`MessageProfile` and the
profiles of OpenAI SFT, DPO and RFT, Together, Mistral and TRL (docs/formats.md §2-§4,
§10, §11, §13), plus :class:`MessagesInfo`, what the message walk found."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class MessageProfile:
    """How one target reads a ``messages`` list."""

    target: str
    role_keys: dict[str, frozenset[str]]
    require_assistant: bool = True
    last_must_be_assistant: str | None = "warning"  # None, "warning" or "error"
    strict_alternation: bool = False  # [system] user assistant user assistant ...
    images: str = "any"  # "any" (http or data URL), "data" (data URL only), "none"
    content_parts: bool = True  # content may be a list of parts
    weight_roles: frozenset[str] = frozenset({"assistant"})
    tool_call_id_len: int | None = None  # Mistral: exactly 9 characters
    arguments_as: str = "string"  # "string" (OpenAI, Mistral) or "any" (TRL dicts)
    single_system: bool = False
    system_roles: frozenset[str] = frozenset({"system"})
    role_hint: dict[str, str] = field(default_factory=dict)
    # TRL/HF chat templates: tool-call ids optional, tool replies may name the function
    # instead of giving a tool_call_id, tools are not cross-checked.
    relaxed_tools: bool = False
    check_start: bool = True  # warn when the conversation starts with the assistant


_SYS = frozenset({"role", "content", "name"})
_USER = frozenset({"role", "content", "name"})
_ASSISTANT = frozenset(
    {"role", "content", "refusal", "name", "tool_calls", "function_call", "audio", "weight"}
)
_TOOL = frozenset({"role", "content", "tool_call_id"})
_FUNCTION = frozenset({"role", "content", "name"})

OPENAI_SFT = MessageProfile(
    target="OpenAI fine-tuning",
    role_keys={
        "system": _SYS,
        "user": _USER,
        "assistant": _ASSISTANT,
        "tool": _TOOL,
        "function": _FUNCTION,
    },
    role_hint={
        "developer": "the developer role is only for reinforcement fine-tuning "
        "(openai-rft); use system for supervised fine-tuning",
        "model": "Gemini calls the assistant 'model'; OpenAI uses 'assistant'",
    },
)
OPENAI_DPO_INPUT = MessageProfile(
    target="OpenAI DPO",
    role_keys=OPENAI_SFT.role_keys,
    require_assistant=False,
    last_must_be_assistant=None,
    images="none",
    role_hint=OPENAI_SFT.role_hint,
)
OPENAI_RFT = MessageProfile(
    target="OpenAI reinforcement fine-tuning",
    role_keys={
        "developer": _SYS,
        "user": _USER,
        "assistant": _ASSISTANT,
        "tool": _TOOL,
        "system": _SYS,
    },
    require_assistant=False,
    last_must_be_assistant=None,
    system_roles=frozenset({"developer", "system"}),
)
TOGETHER_CHAT = MessageProfile(
    target="Together",
    role_keys={
        "system": frozenset({"role", "content", "weight", "name"}),
        "user": frozenset({"role", "content", "weight", "name"}),
        "assistant": frozenset({"role", "content", "weight", "name"}),
    },
    strict_alternation=True,
    images="data",
    weight_roles=frozenset({"system", "user", "assistant"}),
    role_hint={"tool": "Together conversational data has no tool role"},
)
MISTRAL = MessageProfile(
    target="Mistral",
    role_keys={
        "system": frozenset({"role", "content", "text"}),
        "user": frozenset({"role", "content", "text"}),
        "assistant": frozenset({"role", "content", "text", "tool_calls", "weight"}),
        "tool": frozenset({"role", "content", "text", "tool_call_id", "name"}),
    },
    last_must_be_assistant="error",
    images="none",
    content_parts=False,
    tool_call_id_len=9,
    single_system=True,
)
TRL_CHAT = MessageProfile(
    target="TRL",
    role_keys={
        "system": frozenset({"role", "content", "name"}),
        "user": frozenset({"role", "content", "name"}),
        "assistant": frozenset(
            {"role", "content", "name", "tool_calls", "weight", "reasoning_content", "thinking"}
        ),
        "tool": frozenset({"role", "content", "name", "tool_call_id"}),
    },
    images="any",
    arguments_as="any",
    relaxed_tools=True,
)


@dataclass
class MessagesInfo:
    """What the message walk found (for the format-level rules and stats)."""

    roles: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    assistant_count: int = 0
    trainable_assistants: int = 0
    images: int = 0
    called_functions: list[str] = field(default_factory=list)
    ok: bool = True
    tokens: int = 0
    # (0-based position, ids) of each assistant message with a tool_calls array, for the
    # check that a call made mid-conversation gets its tool replies
    tool_call_turns: list[tuple[int, list[str | None]]] = field(default_factory=list)
