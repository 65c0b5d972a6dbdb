"""Budgets stop a looping model; conversations can be listed, forked, summarized; facts are remembered."""

from __future__ import annotations

import pytest
from scripting import answer_of, call, collect, of, plan

from agent import events
from agent.memory import recall

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def test_identical_repeated_calls_are_refused_then_stopped(start) -> None:
    same = {"tool_calls": [call("run_query", sql="SELECT count(*) AS n FROM orders")]}
    sleuth = await start([plan("sql"), same, same, same, {"text": "unreachable"}])
    evs = await collect(sleuth.stream("How many orders?", "t-loop"))
    assert len(of(evs, events.ToolCallStarted)) == 1  # the repeats never reached the server
    ans = answer_of(evs)
    assert not ans.grounded and "repeating the same lookup" in ans.text
    assert ans.usage["stop_reason"] == "repeated_calls"
    assert sleuth.last_trace("t-loop").stop_reason == "repeated_calls"


async def test_max_steps_stops_the_loop(start) -> None:
    steps = [plan("sql")] + [{"tool_calls": [call("run_query", sql=f"SELECT {n} AS n")]} for n in range(1, 6)]
    sleuth = await start(steps, max_steps=3)
    evs = await collect(sleuth.stream("Count to five", "t-steps"))
    assert len(of(evs, events.ToolCallStarted)) == 3
    ans = answer_of(evs)
    assert not ans.grounded and ans.usage["stop_reason"] == "max_steps" and ans.usage["steps"] == 3
    assert "step limit" in ans.text and ans.citations  # it says what it looked at
    assert not of(evs, events.ReflectionVerdict)


async def test_token_budget_stops_the_turn(start) -> None:
    sleuth = await start(
        [plan("sql"), {"tool_calls": [call("run_query", sql="SELECT 1 AS n")]}, {"text": "unreachable"}],
        token_budget=1000,
    )
    evs = await collect(sleuth.stream("One?", "t-tokens"))
    ans = answer_of(evs)
    assert ans.usage["stop_reason"] == "token_budget" and not ans.grounded
    assert ans.usage["tokens_in"] + ans.usage["tokens_out"] >= 1000


async def test_trivial_message_skips_tools_and_checks(start) -> None:
    sleuth = await start([plan(needs_tools=False), {"text": "Hello! Ask me about your documents, data or files."}])
    evs = await collect(sleuth.stream("hi", "t-hi"))
    ans = answer_of(evs)
    assert ans.text.startswith("Hello!") and not of(evs, events.ToolCallStarted)
    [verdict] = of(evs, events.ReflectionVerdict)
    assert verdict.passed


async def test_threads_fork_history_and_remembered_facts(start) -> None:
    sleuth = await start(
        [
            plan(needs_tools=False, remember=["The user's region is the West region"]),
            {"text": "Noted: I will remember that your region is the West region."},
            plan(needs_tools=False),
            {"text": "You told me your region is the West region."},
            plan(needs_tools=False),
            {"text": "This fork goes its own way."},
        ]
    )
    answer_of(await collect(sleuth.stream("Remember that my region is West.", "t-mem")))
    assert await recall(sleuth.store, "local") == ["The user's region is the West region"]

    # a new thread recalls the fact
    answer_of(await collect(sleuth.stream("What is my region?", "t-mem2")))
    snap = await sleuth.graph.aget_state({"configurable": {"thread_id": "t-mem2"}})
    assert snap.values["memory"] == ["The user's region is the West region"]

    forked = await sleuth.fork("t-mem")
    assert await sleuth.history(forked) == await sleuth.history("t-mem")
    answer_of(await collect(sleuth.stream("Go on.", forked)))
    assert len(await sleuth.history(forked)) == 4 and len(await sleuth.history("t-mem")) == 2
    ids = [t.thread_id for t in await sleuth.threads()]
    assert {"t-mem", "t-mem2", forked} <= set(ids)
    [info] = [t for t in await sleuth.threads() if t.thread_id == "t-mem"]
    assert info.title == "Remember that my region is West."


async def test_long_conversation_is_summarized(start) -> None:
    long = "This is a long answer about the company without any figures. " * 40  # ~2,500 characters
    steps = []
    for _ in range(2):
        steps += [plan(needs_tools=False), {"text": long}]
    steps += [
        {"text": "Summary: the user asked general questions; Sleuth gave long general answers."},
        plan(needs_tools=False),
        {"text": "Done."},
    ]
    sleuth = await start(steps, summarize_after_tokens=1000)
    for q in ("First question?", "Second question?"):
        answer_of(await collect(sleuth.stream(q, "t-sum")))
    evs = await collect(sleuth.stream("Third question?", "t-sum"))
    assert next(e.node for e in of(evs, events.NodeStarted)) == "summarize"
    answer_of(evs)
    snap = await sleuth.graph.aget_state({"configurable": {"thread_id": "t-sum"}})
    assert snap.values["summary"].startswith("Summary:")
    assert [r for r, _ in await sleuth.history("t-sum")] == ["user", "assistant", "user", "assistant"]
