"""Checks of OpenAI-style ``messages`` lists, shared by the chat-shaped targets.

OpenAI SFT, DPO inputs, RFT, Together conversational, Mistral and TRL all use
``{"role", "content", ...}`` messages with small differences, captured in a
:class:`MessageProfile`. Rules and their sources: formats.md §2.2, §2.3, §10, §13, §15.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from studio.core.errors import UserError
from studio.core.formats.aliases import message_key_hint, role_alias_hint
from studio.core.formats.common import LineSink, type_name
from studio.core.tokens.counting import (
    REPLY_PRIMER_TOKENS,
    TOKENS_PER_MESSAGE,
    count_messages_tokens,
)

FUNCTION_NAME_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
DATA_IMAGE_RE = re.compile(r"^data:image/(jpeg|jpg|png|webp);base64,", re.IGNORECASE)
MAX_IMAGES_PER_EXAMPLE = 10
MAX_IMAGE_BYTES = 10 * 1024 * 1024


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
_ASSISTANT = frozenset({"role", "content", "refusal", "name", "tool_calls", "function_call",
                        "audio", "weight"})
_TOOL = frozenset({"role", "content", "tool_call_id"})
_FUNCTION = frozenset({"role", "content", "name"})

OPENAI_SFT = MessageProfile(
    target="OpenAI fine-tuning",
    role_keys={"system": _SYS, "user": _USER, "assistant": _ASSISTANT, "tool": _TOOL,
               "function": _FUNCTION},
    role_hint={"developer": "the developer role is only for reinforcement fine-tuning "
                            "(openai-rft); use system for supervised fine-tuning",
               "model": "Gemini calls the assistant 'model'; OpenAI uses 'assistant'"},
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
    role_keys={"developer": _SYS, "user": _USER, "assistant": _ASSISTANT, "tool": _TOOL,
               "system": _SYS},
    require_assistant=False,
    last_must_be_assistant=None,
    system_roles=frozenset({"developer", "system"}),
)
TOGETHER_CHAT = MessageProfile(
    target="Together",
    role_keys={"system": frozenset({"role", "content", "weight", "name"}),
               "user": frozenset({"role", "content", "weight", "name"}),
               "assistant": frozenset({"role", "content", "weight", "name"})},
    strict_alternation=True,
    images="data",
    weight_roles=frozenset({"system", "user", "assistant"}),
    role_hint={"tool": "Together conversational data has no tool role"},
)
MISTRAL = MessageProfile(
    target="Mistral",
    role_keys={"system": frozenset({"role", "content", "text"}),
               "user": frozenset({"role", "content", "text"}),
               "assistant": frozenset({"role", "content", "text", "tool_calls", "weight"}),
               "tool": frozenset({"role", "content", "text", "tool_call_id", "name"})},
    last_must_be_assistant="error",
    images="none",
    content_parts=False,
    tool_call_id_len=9,
    single_system=True,
)
TRL_CHAT = MessageProfile(
    target="TRL",
    role_keys={"system": frozenset({"role", "content", "name"}),
               "user": frozenset({"role", "content", "name"}),
               "assistant": frozenset({"role", "content", "name", "tool_calls", "weight",
                                       "reasoning_content", "thinking"}),
               "tool": frozenset({"role", "content", "name", "tool_call_id"})},
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


def content_text(content: Any) -> str | None:
    """The text of a string or of a list of text parts, else None."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [p.get("text") for p in content if isinstance(p, dict)]
        strs = [t for t in texts if isinstance(t, str)]
        return "".join(strs) if strs else None
    return None


def text_only(content: Any, target: str) -> str:
    """The text of a message's content for a text-only target (``""`` when it has none).

    Raises:
        UserError: the content has a non-text part (an image).
    """
    if isinstance(content, list) and any(
            isinstance(p, dict) and p.get("type") != "text" for p in content):
        raise UserError(f"{target} export supports text only; this example has an image.")
    return content_text(content) or ""


def split_text_turns(messages: list[dict[str, Any]], target: str
                     ) -> tuple[list[str], list[tuple[str, str]]]:
    """System texts and (role, text) user/assistant turns of text-only messages.

    Tool calls are the caller's concern (targets word that error differently); this
    handles what every text-only exporter shares.

    Raises:
        UserError: an image part, or a role other than system, user or assistant.
    """
    system: list[str] = []
    turns: list[tuple[str, str]] = []
    for m in messages:
        text = text_only(m.get("content"), target)
        role = m.get("role")
        if role == "system":
            system.append(text)
        elif role in ("user", "assistant"):
            turns.append((role, text))
        else:
            raise UserError(f"Role {role!r} cannot be exported to {target}.")
    return system, turns


def _check_parts(content: list[Any], role: str, where: str, profile: MessageProfile,
                 out: LineSink, info: MessagesInfo) -> None:
    if not content:
        out.error("wrong_type", f"{where}: content is an empty array; give text or parts.")
        info.ok = False
        return
    refusals = 0
    for j, part in enumerate(content, 1):
        pwhere = f"{where}, part {j}"
        if not isinstance(part, dict):
            out.error("invalid_content_part",
                      f"{pwhere} is a {type_name(part)}, not an object with a type.")
            info.ok = False
            continue
        ptype = part.get("type")
        if ptype == "text":
            if not isinstance(part.get("text"), str):
                out.error("invalid_content_part", f"{pwhere}: a text part needs a string text.")
                info.ok = False
        elif ptype == "image_url":
            _check_image_part(part, role, pwhere, profile, out, info)
        elif ptype == "refusal":
            refusals += 1
            if role != "assistant":
                out.error("invalid_content_part",
                          f"{pwhere}: refusal parts are only allowed in assistant messages.")
                info.ok = False
            elif not isinstance(part.get("refusal"), str):
                out.error("invalid_content_part", f"{pwhere}: a refusal part needs a string.")
                info.ok = False
        elif ptype in ("input_audio", "file"):
            out.error("unsupported_content_part",
                      f"{pwhere}: {ptype} parts are not supported for fine-tuning "
                      f"({profile.target} accepts text and images only).")
            info.ok = False
        else:
            out.error("invalid_content_part",
                      f"{pwhere}: unknown part type {ptype!r} (expected text or image_url).")
            info.ok = False
    if refusals and (refusals != 1 or len(content) != 1):
        out.error("invalid_content_part",
                  f"{where}: an assistant refusal must be the only part of its content.")
        info.ok = False


def _check_image_part(part: dict[str, Any], role: str, where: str, profile: MessageProfile,
                      out: LineSink, info: MessagesInfo) -> None:
    info.images += 1
    if profile.images == "none":
        out.error("unsupported_content_part",
                  f"{where}: {profile.target} supports text only; remove the image.")
        info.ok = False
        return
    if role != "user":
        out.error("invalid_content_part",
                  f"{where}: images are only allowed in user messages, not {role}.")
        info.ok = False
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, dict) else None
    if not isinstance(url, str) or not url:
        out.error("invalid_content_part", f"{where}: image_url needs an object with a url.")
        info.ok = False
        return
    detail = image.get("detail") if isinstance(image, dict) else None
    if detail is not None and detail not in ("auto", "low", "high"):
        out.error("invalid_content_part",
                  f"{where}: image detail must be auto, low or high, not {detail!r}.")
        info.ok = False
    if url.startswith("data:"):
        if not DATA_IMAGE_RE.match(url):
            out.error("unsupported_image_format",
                      f"{where}: images must be base64 JPEG, PNG or WEBP data URLs.")
            info.ok = False
        elif (len(url) - url.index(",") - 1) * 3 // 4 > MAX_IMAGE_BYTES:
            out.error("image_too_large", f"{where}: the image is larger than 10 MB.")
            info.ok = False
    elif url.startswith(("http://", "https://")):
        if profile.images == "data":
            out.error("unsupported_image_format",
                      f"{where}: {profile.target} accepts only base64 data URLs, not http URLs.")
            info.ok = False
    else:
        out.error("unsupported_image_format",
                  f"{where}: the image url must be http(s) or a data:image/...;base64, URL.")
        info.ok = False


def _check_tool_calls(calls: Any, where: str, profile: MessageProfile, out: LineSink,
                      info: MessagesInfo, issued: set[str]) -> None:
    if not isinstance(calls, list) or not calls:
        out.error("tool_call_malformed", f"{where}: tool_calls must be a non-empty array.")
        info.ok = False
        return
    for k, call in enumerate(calls, 1):
        cwhere = f"{where}, tool call {k}"
        if not isinstance(call, dict):
            out.error("tool_call_malformed", f"{cwhere} is a {type_name(call)}, not an object.")
            info.ok = False
            continue
        call_id = call.get("id")
        if call_id is None and profile.relaxed_tools:
            pass
        elif not isinstance(call_id, str) or not call_id:
            out.error("tool_call_malformed", f"{cwhere} needs a string id.")
            info.ok = False
        else:
            issued.add(call_id)
            if profile.tool_call_id_len and len(call_id) != profile.tool_call_id_len:
                out.error("tool_call_malformed",
                          f"{cwhere}: {profile.target} tool call ids must be exactly "
                          f"{profile.tool_call_id_len} characters, not {len(call_id)}.")
                info.ok = False
        if call.get("type", "function") != "function":
            out.error("tool_call_malformed", f"{cwhere}: type must be \"function\".")
            info.ok = False
        elif "type" not in call and profile.arguments_as == "string":
            out.error("tool_call_malformed", f"{cwhere} needs \"type\": \"function\".")
            info.ok = False
        _check_function_call(call.get("function"), cwhere, profile, out, info)


def _check_function_call(fn: Any, where: str, profile: MessageProfile, out: LineSink,
                         info: MessagesInfo) -> None:
    if not isinstance(fn, dict):
        out.error("tool_call_malformed", f"{where} needs a function object with name and "
                                         "arguments.")
        info.ok = False
        return
    name = fn.get("name")
    if not isinstance(name, str) or not FUNCTION_NAME_RE.match(name):
        out.error("tool_call_malformed",
                  f"{where}: the function name must be 1-64 characters of a-z, A-Z, 0-9, _ "
                  f"or -, not {name!r}.")
        info.ok = False
    else:
        info.called_functions.append(name)
    if "arguments" not in fn:
        out.error("tool_call_malformed", f"{where}: the function has no arguments.")
        info.ok = False
        return
    args = fn["arguments"]
    if isinstance(args, str):
        try:
            orjson.loads(args)
        except orjson.JSONDecodeError:
            out.warning("tool_arguments_not_json",
                        f"{where}: the arguments string is not valid JSON.")
    elif profile.arguments_as == "string":
        out.error("tool_call_malformed",
                  f"{where}: arguments must be a JSON-encoded string, not a "
                  f"{type_name(args)} ({profile.target}; TRL/HF templates use objects).")
        info.ok = False


def check_messages(messages: Any, out: LineSink, profile: MessageProfile,
                   declared: set[str] | None, *, key: str = "messages",
                   count: Callable[[str], int] | None = None,
                   role_count: Callable[[str], int] | None = None) -> MessagesInfo:
    """Check a messages list against ``profile``; findings go to ``out``.

    ``declared`` holds the function names declared in tools/functions (None: no tools
    declared, so called functions are reported as undeclared). With ``count`` and
    ``role_count`` the walk also sums the cookbook token count into ``info.tokens`` (one
    pass over the messages instead of two).
    """
    info = MessagesInfo()
    if messages is None:
        out.error("missing_messages", f"The record has no {key!r} array.")
        info.ok = False
        return info
    if not isinstance(messages, list):
        out.error("wrong_type", f"{key!r} must be an array of messages, not a "
                                f"{type_name(messages)}.")
        info.ok = False
        return info
    if not messages:
        out.error("missing_messages", f"{key!r} is empty; an example needs messages.")
        info.ok = False
        return info
    issued: set[str] = set()
    role_keys = profile.role_keys
    roles = info.roles
    tokens = REPLY_PRIMER_TOKENS
    for i, msg in enumerate(messages, 1):
        # Fast path: {"role": known, "content": "non-empty string"} and nothing else.
        if msg.__class__ is dict and len(msg) == 2:
            role = msg.get("role")
            content = msg.get("content")
            if content.__class__ is str and role.__class__ is str and role in role_keys \
                    and content and not content.isspace() and role != "tool" \
                    and role != "function":
                roles.append(role)
                if role == "assistant":
                    info.assistant_count += 1
                    info.trainable_assistants += 1
                    info.outputs.append(content)
                if count is not None and role_count is not None:
                    tokens += TOKENS_PER_MESSAGE + role_count(role) + count(content)
                continue
        _check_message(i, msg, out, profile, info, issued)
        if info.tool_call_turns and info.tool_call_turns[-1][0] == -1:
            info.tool_call_turns[-1] = (i - 1, info.tool_call_turns[-1][1])
        if count is not None and role_count is not None:
            tokens += count_messages_tokens((msg,), count, role_count) - REPLY_PRIMER_TOKENS
    info.tokens = tokens
    _check_order(info, out, profile)
    if info.tool_call_turns:
        _check_tool_replies(messages, info, out, profile)
    if not profile.relaxed_tools and (declared is not None or info.called_functions):
        for name in info.called_functions:
            if declared is None or name not in declared:
                out.warning("unknown_tool_function",
                            f"The function {name!r} is called but not declared in tools.")
                break
    return info


def _check_message(i: int, msg: Any, out: LineSink, profile: MessageProfile,
                   info: MessagesInfo, issued: set[str]) -> None:
    """The full rules for one message (the slow path of :func:`check_messages`)."""
    role_keys = profile.role_keys
    where = f"message {i}"
    if not isinstance(msg, dict):
        out.error("wrong_type", f"{where} is a {type_name(msg)}, not an object.")
        info.ok = False
        info.roles.append("")
        return
    role = msg.get("role")
    if not isinstance(role, str):
        if role is None:
            out.error("message_missing_key", f"{where} has no role.")
        else:
            out.error("wrong_type", f"{where}: role must be a string.")
        info.ok = False
        info.roles.append("")
        return
    allowed = role_keys.get(role)
    info.roles.append(role)
    if allowed is None:
        hint = profile.role_hint.get(role) or role_alias_hint(role)
        out.error("unknown_role",
                  f"{where}: role {role!r} is not accepted by {profile.target} (allowed: "
                  f"{', '.join(role_keys)})" + (f"; {hint}." if hint else "."))
        info.ok = False
        return
    if len(msg) > len(allowed) or not allowed.issuperset(msg):
        for k in msg:
            if k in allowed:
                continue
            if k == "weight":
                out.warning("weight_on_non_assistant",
                            f"{where}: weight is only defined on assistant messages; "
                            f"it has no effect on {role}.")
            else:
                fix = message_key_hint(k)
                out.error("unrecognized_key",
                          f"{where}: key {k!r} is not allowed in a {role} message"
                          + (f"; {fix}." if fix else "."))
                info.ok = False
    if "text" in msg and "text" in allowed:
        # Mistral accepts "text" instead of "content" (not both).
        if "content" in msg:
            out.error("unrecognized_key", f"{where} has both 'text' and 'content'.")
            info.ok = False
        content = msg["text"]
        has_content = True
    else:
        content = msg.get("content")
        has_content = "content" in msg
    if role == "assistant":
        info.assistant_count += 1
        has_calls = "tool_calls" in msg or "function_call" in msg
        if "tool_calls" in msg:
            _check_tool_calls(msg["tool_calls"], where, profile, out, info, issued)
            calls = msg["tool_calls"]
            if isinstance(calls, list) and calls:
                # position filled in by check_messages (-1: "this message")
                info.tool_call_turns.append((-1, [
                    c.get("id") if isinstance(c, dict) and isinstance(c.get("id"), str)
                    else None for c in calls]))
        if "function_call" in msg:
            out.info("legacy_format",
                     f"{where}: function_call is deprecated; use tool_calls.")
            _check_function_call(msg["function_call"], where + " function_call",
                                 profile, out, info)
        weight = msg.get("weight", 1)
        if "weight" in msg and (type(weight) is not int or weight not in (0, 1)):
            out.error("invalid_weight",
                      f"{where}: weight must be the integer 0 or 1, not {weight!r}.")
            info.ok = False
            weight = 1
        if content is None or content == "":
            if not has_calls and not isinstance(msg.get("refusal"), str):
                out.error("assistant_missing_content",
                          f"{where}: an assistant message needs content or tool_calls.")
                info.ok = False
        elif isinstance(content, str):
            if not content.strip() and not has_calls:
                out.error("assistant_missing_content",
                          f"{where}: the assistant content is only whitespace: nothing to "
                          "train on.")
                info.ok = False
            if weight:
                info.outputs.append(content)
        elif isinstance(content, list) and profile.content_parts:
            _check_parts(content, role, where, profile, out, info)
            text = content_text(content)
            if content and not (text or "").strip() and not has_calls and not any(
                    isinstance(p, dict) and p.get("type") == "refusal" for p in content):
                out.error("assistant_missing_content",
                          f"{where}: the assistant content parts hold no text: nothing to "
                          "train on.")
                info.ok = False
            if weight and text is not None:
                info.outputs.append(text)
        else:
            out.error("wrong_type", f"{where}: content must be a string"
                      + (", null or an array of parts" if profile.content_parts else "")
                      + f", not a {type_name(content)}.")
            info.ok = False
        if weight:
            info.trainable_assistants += 1
        return
    if "weight" in msg and role in profile.weight_roles:
        w = msg["weight"]
        if type(w) is not int or w not in (0, 1):
            out.error("invalid_weight",
                      f"{where}: weight must be the integer 0 or 1, not {w!r}.")
            info.ok = False
    if not has_content:
        out.error("message_missing_key", f"{where} ({role}) has no content.")
        info.ok = False
    elif isinstance(content, str):
        if not content.strip() and role != "tool":
            out.warning("empty_content", f"{where} ({role}) has empty content.")
    elif isinstance(content, list) and profile.content_parts:
        _check_parts(content, role, where, profile, out, info)
    elif content is None and role == "function":
        pass
    else:
        out.error("wrong_type", f"{where}: {role} content must be a string"
                  + (" or an array of parts" if profile.content_parts else "")
                  + f", not a {type_name(content)}.")
        info.ok = False
    if role in profile.system_roles and isinstance(content, list):
        for part in content:
            if isinstance(part, dict) and part.get("type") != "text":
                out.error("invalid_content_part",
                          f"{where}: {role} content parts must be text.")
                info.ok = False
                break
    if role == "tool":
        call_id = msg.get("tool_call_id")
        if call_id is None and profile.relaxed_tools and isinstance(msg.get("name"), str):
            pass
        elif call_id is None:
            out.error("tool_message_missing_tool_call_id",
                      f"{where}: a tool message needs the tool_call_id it answers.")
            info.ok = False
        elif not isinstance(call_id, str):
            out.error("wrong_type", f"{where}: tool_call_id must be a string.")
            info.ok = False
        elif call_id not in issued:
            out.error("tool_call_id_mismatch",
                      f"{where}: tool_call_id {call_id!r} does not answer any earlier "
                      "assistant tool call in this example.")
            info.ok = False
    elif role == "function" and not isinstance(msg.get("name"), str):
        out.error("message_missing_key", f"{where}: a function message needs a name.")
        info.ok = False


def _check_tool_replies(messages: list[Any], info: MessagesInfo, out: LineSink,
                        profile: MessageProfile) -> None:
    """A tool call made mid-conversation must be answered before the conversation goes on.

    formats.md §2.3: an example may *end* with an assistant tool call and no reply (the
    final assistant turn is the training target, the schema's own example does it), but a
    call followed by a user or assistant message never got its result: the model would be
    trained on a conversation that continues as if the tool had answered. The tool
    messages answering a call must come straight after it (the chat API's pairing rule);
    each call id needs a reply (with relaxed tool profiles such as TRL, where ids are
    optional, at least one tool message must follow).
    """
    last = len(messages) - 1
    for pos, ids in info.tool_call_turns:
        if pos < 0 or pos >= last:
            continue  # the final assistant turn may end on a tool call
        replies = []
        j = pos + 1
        while j <= last:
            m = messages[j]
            if not isinstance(m, dict) or m.get("role") != "tool":
                break
            replies.append(m)
            j += 1
        where = f"message {pos + 1}"
        if not replies:
            nxt = messages[pos + 1]
            role = nxt.get("role") if isinstance(nxt, dict) else None
            out.error("tool_call_without_reply",
                      f"{where}: the assistant calls a tool but message {pos + 2} is "
                      f"{role if isinstance(role, str) else 'not a tool message'}, not the "
                      "tool's reply; only the final assistant message may end on a tool call "
                      "(add the tool messages, or drop the turns after the call).")
            info.ok = False
            continue
        if profile.relaxed_tools or None in ids:
            continue  # ids optional (TRL), or a malformed call was already reported
        reply_ids = [m.get("tool_call_id") for m in replies]
        if not all(isinstance(r, str) for r in reply_ids):
            continue  # a reply without a usable tool_call_id was already reported
        missing = [c for c in ids if c not in reply_ids]
        if missing and j <= last:  # the conversation goes on without those results
            out.error("tool_call_without_reply",
                      f"{where}: tool call {', '.join(repr(c) for c in missing)} gets no tool "
                      f"reply before message {j + 1}; every call made mid-conversation needs "
                      "a tool message with its tool_call_id right after the call.")
            info.ok = False


def _check_order(info: MessagesInfo, out: LineSink, profile: MessageProfile) -> None:
    roles = info.roles
    if profile.require_assistant:
        if info.assistant_count == 0:
            out.error("missing_assistant_message",
                      "The example has no assistant message, so there is nothing to train on.")
            info.ok = False
        elif info.trainable_assistants == 0:
            out.warning("no_trainable_assistant_message",
                        "Every assistant message has weight 0: nothing to train on.")
    sys_roles = profile.system_roles
    convo = roles
    if roles and roles[0] in sys_roles:
        convo = roles[1:]
    for i, role in enumerate(convo):
        if role in sys_roles:
            if profile.single_system:
                out.error("conversation_order", "Only one system message is allowed.")
                info.ok = False
            else:
                getattr(out, "error" if profile.strict_alternation else "warning")(
                    "conversation_order",
                    f"message {i + 1 + len(roles) - len(convo)}: the {role} message should "
                    "come first.")
            break
    if profile.strict_alternation:
        convo = [r for r in roles if r not in sys_roles]
        for i, role in enumerate(convo):
            expected = "user" if i % 2 == 0 else "assistant"
            if role != expected:
                out.error("conversation_order",
                          f"After the optional system message, roles must alternate "
                          f"user/assistant; turn {i + 1} is {role or '?'} where "
                          f"{expected} was expected ({profile.target}).")
                info.ok = False
                break
    elif profile.check_start and convo and convo[0] == "assistant":
        out.warning("conversation_order",
                    "The conversation starts with an assistant message, not a user one.")
    last = roles[-1] if roles else ""
    if profile.last_must_be_assistant and last and last != "assistant":
        msg = (f"The last message is {last}, not assistant; trailing turns are never "
               f"trained on ({profile.target}).")
        if profile.last_must_be_assistant == "error":
            out.error("last_message_not_assistant", msg)
            info.ok = False
        else:
            out.warning("last_message_not_assistant", msg)


def declared_functions(obj: dict[str, Any], out: LineSink, *, key: str = "tools",
                       require_description: bool = False) -> set[str] | None:
    """Check ``tools`` (and legacy ``functions``); return declared names or None."""
    names: set[str] | None = None
    tools = obj.get(key)
    if tools is not None:
        names = set()
        if not isinstance(tools, list):
            out.error("invalid_tools", f"{key!r} must be an array of tool definitions.")
        else:
            for i, tool in enumerate(tools, 1):
                fn = tool.get("function") if isinstance(tool, dict) else None
                if not isinstance(tool, dict) or tool.get("type") != "function" or \
                        not isinstance(fn, dict):
                    out.error("invalid_tools",
                              f"tool {i} must be {{\"type\": \"function\", \"function\": "
                              "{...}}.")
                    continue
                _check_function_def(fn, f"tool {i}", out, names, require_description)
    functions = obj.get("functions")
    if functions is not None:
        out.info("legacy_format", "'functions' is deprecated; use 'tools'.")
        names = names if names is not None else set()
        if not isinstance(functions, list) or not 1 <= len(functions) <= 128:
            out.error("invalid_tools", "'functions' must be an array of 1 to 128 functions.")
        else:
            for i, fn in enumerate(functions, 1):
                if not isinstance(fn, dict):
                    out.error("invalid_tools", f"function {i} must be an object.")
                    continue
                _check_function_def(fn, f"function {i}", out, names, require_description)
    return names


def _check_function_def(fn: dict[str, Any], where: str, out: LineSink, names: set[str],
                        require_description: bool) -> None:
    name = fn.get("name")
    if not isinstance(name, str) or not FUNCTION_NAME_RE.match(name):
        out.error("invalid_tools", f"{where}: the function name must be 1-64 characters of "
                                   f"a-z, A-Z, 0-9, _ or -, not {name!r}.")
    else:
        names.add(name)
    params = fn.get("parameters")
    if params is not None and not isinstance(params, dict):
        out.error("invalid_tools", f"{where}: parameters must be a JSON Schema object.")
    if require_description:
        if not isinstance(fn.get("description"), str):
            out.error("invalid_tools", f"{where}: the function needs a description string.")
        if not isinstance(params, dict):
            out.error("invalid_tools", f"{where}: the function needs a parameters object "
                                       "(use {} when it takes none).")

