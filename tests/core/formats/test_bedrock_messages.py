"""Bedrock Claude and Nova share one check of the messages array and each message's shape;
the wording per target stays as it was (only Claude points a system turn to ``system``)."""

from __future__ import annotations

from fmt_helpers import run_checker

USER_CLAUDE = {"role": "user", "content": "Hi"}
ASSISTANT_CLAUDE = {"role": "assistant", "content": "Hello"}
USER_NOVA = {"role": "user", "content": [{"text": "Hi"}]}
ASSISTANT_NOVA = {"role": "assistant", "content": [{"text": "Hello"}]}


def _errors(fmt: str, record: dict[str, object]) -> list[tuple[str, str]]:
    sink, _ = run_checker(fmt, record)
    return [(code, message) for severity, code, message in sink.items if severity == "error"]


def test_claude_points_a_system_turn_to_the_system_field() -> None:
    errors = _errors(
        "bedrock-claude",
        {"messages": [{"role": "system", "content": "Be brief."}, USER_CLAUDE, ASSISTANT_CLAUDE]},
    )
    assert (
        "unknown_role",
        "message 1: role must be user or assistant, not 'system' (put it "
        "in the top-level system field).",
    ) in errors


def test_nova_names_the_role_without_the_hint() -> None:
    errors = _errors(
        "bedrock-nova",
        {
            "schemaVersion": "bedrock-conversation-2024",
            "messages": [
                {"role": "system", "content": [{"text": "Be brief."}]},
                USER_NOVA,
                ASSISTANT_NOVA,
            ],
        },
    )
    assert ("unknown_role", "message 1: role must be user or assistant, not 'system'.") in errors


def test_both_report_a_missing_array_a_non_object_and_an_extra_key() -> None:
    for fmt, user in (("bedrock-claude", USER_CLAUDE), ("bedrock-nova", USER_NOVA)):
        base = {"schemaVersion": "bedrock-conversation-2024"} if fmt == "bedrock-nova" else {}
        assert _errors(fmt, {**base, "messages": []}) == [
            ("missing_messages", "'messages' must be a non-empty array of messages.")
        ]
        assert ("wrong_type", "message 2 is a string, not an object.") in _errors(
            fmt, {**base, "messages": [user, "hello"]}
        )
        assert ("unrecognized_key", "message 1: key 'name' is not allowed.") in _errors(
            fmt, {**base, "messages": [{**user, "name": "x"}]}
        )
