"""The graph end to end through the real docs, sql and files servers (stdio) on a demo copy.

Only the LLM is scripted. Each test asserts on the trajectory the graph controls: which tools ran,
what reflection found, what the user finally sees.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import ToolMessage
from scripting import PASS, answer_of, call, collect, of, plan

from agent import events

pytestmark = pytest.mark.asyncio(loop_scope="module")

RETURN_WINDOW = "d:25c10a21a6"  # docs/policies/returns-and-refunds.md § Return window (stable id)


async def test_docs_question_gets_a_cited_answer(start) -> None:
    sleuth = await start(
        [
            plan("docs"),
            {"tool_calls": [call("search_docs", query="return window days", k=3)]},
            {
                "expect": RETURN_WINDOW,
                "text": f"Most items can be returned within 30 calendar days of the order date [{RETURN_WINDOW}].",
            },
            PASS,
        ]
    )
    evs = await collect(sleuth.stream("How long is the return window?", "t-docs"))
    ans = answer_of(evs)
    assert ans.grounded
    assert ans.text == "Most items can be returned within 30 calendar days of the order date [1]."
    [c] = ans.citations
    assert (c.marker, c.kind, c.ref) == (1, "doc", RETURN_WINDOW)
    assert c.label.startswith("docs/policies/returns-and-refunds.md") and "Return window" in c.label
    assert [e.node for e in of(evs, events.NodeStarted)] == ["plan", "act", "tools", "act", "reflect", "answer"]
    assert "".join(e.text for e in of(evs, events.Token)) == ans.text
    [verdict] = of(evs, events.ReflectionVerdict)
    assert verdict.passed and verdict.problems == []
    drafts = of(evs, events.DraftToken)  # the draft streams live, token by token, before it is checked
    assert len(drafts) > 5
    assert "".join(d.text for d in drafts) == (
        f"Most items can be returned within 30 calendar days of the order date [{RETURN_WINDOW}]."
    )
    assert evs.index(drafts[-1]) < evs.index(verdict) < evs.index(of(evs, events.Token)[0])
    trace = sleuth.last_trace("t-docs")
    assert [s["tool"] for s in trace.steps if s["node"] == "tool"] == ["search_docs"]
    assert trace.model_calls == 4 and trace.tokens_in > 0 and trace.corrections == 0
    assert await sleuth.history("t-docs") == [
        ("user", "How long is the return window?"),
        ("assistant", ans.text + "\n\nSources:\n[1] " + c.label),
    ]


async def test_fabricated_citation_is_caught_and_corrected(start) -> None:
    sleuth = await start(
        [
            plan("docs"),
            {"tool_calls": [call("search_docs", query="return window", k=3)]},
            {"text": "Returns are accepted for 90 days [d:0badc0ffee]."},  # fabricated id and number
            {"expect": "unknown_citation", "tool_calls": [call("search_docs", query="return window days", k=3)]},
            {"text": f"Returns are accepted within 30 calendar days of the order date [{RETURN_WINDOW}]."},
            PASS,
        ]
    )
    evs = await collect(sleuth.stream("What is the return window?", "t-fix"))
    verdicts = of(evs, events.ReflectionVerdict)
    assert [v.passed for v in verdicts] == [False, True]
    assert any(p.startswith("unknown_citation") and "d:0badc0ffee" in p for p in verdicts[0].problems)
    assert verdicts[0].correction == 1
    requery = [e for e in of(evs, events.NodeStarted) if e.node == "requery"]
    assert len(requery) == 1 and "Cite only ids" in requery[0].detail
    ans = answer_of(evs)
    assert ans.grounded and "30 calendar days" in ans.text and ans.citations[0].ref == RETURN_WINDOW
    assert sleuth.last_trace("t-fix").corrections == 1


async def test_sql_error_goes_back_to_the_model_and_the_fixed_query_is_cited(start) -> None:
    sleuth = await start(
        [
            plan("sql"),
            {"tool_calls": [call("run_query", sql="SELECT count(*) AS n FROM store")]},
            {"expect": "store", "tool_calls": [call("run_query", sql="SELECT count(*) AS n FROM stores")]},
            {"text": "There are 5 stores [sql:{q1}]."},
            PASS,
        ]
    )
    evs = await collect(sleuth.stream("How many stores are there?", "t-sql"))
    finished = of(evs, events.ToolCallFinished)
    assert [f.is_error for f in finished] == [True, False]
    assert "store" in finished[0].text.lower()
    ans = answer_of(evs)
    assert ans.grounded and ans.text == "There are 5 stores [1]."
    assert ans.citations[0].kind == "sql" and "FROM stores" in ans.citations[0].label


async def test_independent_tool_calls_overlap(start) -> None:
    sleuth = await start(
        [
            plan("docs", "sql", "files"),
            {
                "tool_calls": [
                    call("search_docs", query="return window", k=2),
                    call("run_query", sql="SELECT count(*) AS n FROM stores"),
                    call("search_files", pattern="Denver"),
                ]
            },
            {"text": "Kestrel has 5 stores [sql:{q1}]."},
            PASS,
        ]
    )
    evs = await collect(sleuth.stream("Stores and returns?", "t-par"))
    answer_of(evs)
    kinds = [type(e).__name__ for e in evs if isinstance(e, events.ToolCallStarted | events.ToolCallFinished)]
    # every call was in flight before the first one finished
    assert kinds[:3] == ["ToolCallStarted"] * 3 and kinds[3:] == ["ToolCallFinished"] * 3


async def test_untrusted_text_is_delimited_flagged_and_cannot_skip_approval(start, workspace: Path) -> None:
    sleuth = await start(
        [
            plan("files"),
            {
                "tool_calls": [
                    call("read_file", path="files/notes/vendor-notes.txt"),
                    call("search_docs", query="vendor portal invoices", k=2),
                ]
            },
            # the scripted model behaves as if the injected text had steered it
            {"tool_calls": [call("write_file", path="files/notes/owned.txt", content="pwned")]},
            {
                "expect": "rejected",
                "text": "The Swan Island DC handles vendor deliveries on weekdays "
                "[file:files/notes/vendor-notes.txt:3].",
            },
            PASS,
        ]
    )
    evs = await collect(sleuth.stream("Who handles vendor deliveries?", "t-inj"))
    [approval] = of(evs, events.ApprovalRequested)
    assert (approval.server, approval.tool) == ("files", "write_file")
    assert "steer" in approval.reason
    assert not (workspace / "files" / "notes" / "owned.txt").exists()
    assert not of(evs, events.Answer)

    snap = await sleuth.graph.aget_state({"configurable": {"thread_id": "t-inj"}})
    results = [m for m in snap.values["messages"] if isinstance(m, ToolMessage)]
    assert [m.content.splitlines()[0].split(" call_id")[0] for m in results] == [
        '<tool_result server="files" tool="read_file"',
        '<tool_result server="docs" tool="search_docs"',
    ]
    for m in results:
        assert 'untrusted="true">' in m.content.splitlines()[0] and m.content.endswith("</tool_result>")
    flags = {(f["server"], f["kind"]) for f in snap.values["flags"]}
    assert {("files", "override"), ("files", "tool_command"), ("files", "secrecy")} <= flags
    assert {("docs", "override"), ("docs", "tool_command")} <= flags

    evs = await collect(sleuth.decide("t-inj", "reject"))
    ans = answer_of(evs)
    assert ans.grounded and "Swan Island" in ans.text
    assert not (workspace / "files" / "notes" / "owned.txt").exists()
    [verdict] = of(evs, events.ReflectionVerdict)
    assert any(p.startswith("untrusted_instruction") for p in verdict.problems)
    assert sleuth.last_trace("t-inj").flags
