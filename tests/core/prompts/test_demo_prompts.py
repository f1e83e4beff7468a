"""The demo prompts: several versions each, labels moved, valid specs, real diffs."""

from __future__ import annotations

from studio.core.db.project import Project
from studio.core.demo.prompts import BANKING77_INTENTS, add_demo_prompts
from studio.core.prompts import service as sv


def test_demo_prompts_have_histories_and_labels(project: Project) -> None:
    added = add_demo_prompts(project)
    assert added == [
        "banking-intent",
        "support-reply",
        "ticket-extract",
        "fee-answer",
        "intent-judge",
    ]
    assert add_demo_prompts(project) == []  # idempotent
    for name in added:
        log = sv.log(project, name)
        assert len(log) >= 3, name
        assert {v.author for v in log} == {"alice", "bob"}, name
        assert all(v.message for v in log), name
        assert "production" in sv.labels(project, name), name
        assert len(sv.label_history(project, name)) >= 3, name
        # every stored version is a valid spec
        for v in log:
            assert sv.get_version(project, name, v.version).spec.validate() is not None
    # the production label of banking-intent was rolled back from v4 to v3
    moves = sv.label_history(project, "banking-intent", "production")
    assert (moves[0].from_version, moves[0].to_version) == (4, 3)
    assert len(BANKING77_INTENTS) == 77


def test_demo_diffs_show_real_changes(project: Project) -> None:
    add_demo_prompts(project)
    texts = [c.text for c in sv.diff(project, "ticket-extract", 2, 3).changes]
    assert "required field `customer_email` removed" in texts
    assert "property `customer_email` type string → string or null" in texts
    texts = [c.text for c in sv.diff(project, "ticket-extract", 1, 2).changes]
    assert "required field `urgency` added" in texts
    v2 = sv.get_version(project, "banking-intent", 2).spec
    assert all(intent in v2.messages[0].content for intent in BANKING77_INTENTS)
    assert sv.get_version(project, "banking-intent", "production").version == 3
    fee = [c.text for c in sv.diff(project, "fee-answer", 2, 3).changes]
    assert "tool `lookup_fee_schedule`: parameter `currency` added (string)" in fee
    assert sv.list_prompts(project, "reply")[0].variables == (
        "customer_name",
        "account_notes",
        "customer_message",
    )
