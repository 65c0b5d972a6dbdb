"""The scripted model behaves like a real chat model to LangChain/LangGraph."""

from __future__ import annotations

import asyncio
import json

import pytest
from langchain_core.messages import AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.graph import END, START, MessagesState, StateGraph
from pydantic import BaseModel, ValidationError

from agent.models import ScriptedChatModel, ScriptError, make_agent_models, make_chat_model
from sleuth.config import AgentSettings


@tool
def run_query(sql: str) -> str:
    """Run SQL."""
    return "59"


class Verdict(BaseModel):
    passed: bool
    problems: list[str]


async def test_streams_text_token_by_token_with_usage() -> None:
    model = ScriptedChatModel(steps=[{"text": "There are 59 customers in the table."}])
    chunks = [c async for c in model.astream("How many customers?")]
    texts = [c.content for c in chunks if c.content]
    assert len(texts) == 7
    assert "".join(texts) == "There are 59 customers in the table."
    total = chunks[0]
    for c in chunks[1:]:
        total = total + c
    assert isinstance(total, AIMessageChunk)
    assert total.usage_metadata["output_tokens"] == 9  # ceil(36 chars / 4)
    assert total.usage_metadata["input_tokens"] >= 1


async def test_tool_calls_have_deterministic_ids_and_expect_is_strict() -> None:
    steps = [
        {"expect": "customers", "tool_calls": [{"name": "run_query", "args": {"sql": "SELECT 1"}}]},
        {"expect": "59", "text": "59 [1]"},
    ]
    model = ScriptedChatModel(steps=steps).bind_tools([run_query])
    first = await model.ainvoke([HumanMessage("How many customers?")])
    assert first.tool_calls == [
        {"name": "run_query", "args": {"sql": "SELECT 1"}, "id": "call_scripted_1", "type": "tool_call"}
    ]
    assert first.response_metadata["finish_reason"] == "tool_calls"
    history = [HumanMessage("How many customers?"), first, ToolMessage("42", tool_call_id="call_scripted_1")]
    with pytest.raises(ScriptError, match="expected the last human/tool message to contain '59'"):
        await model.ainvoke(history)


async def test_streamed_tool_call_is_parsed() -> None:
    step = {"text": "Let me look.", "tool_calls": [{"name": "run_query", "args": {"sql": "x"}}]}
    model = ScriptedChatModel(steps=[step])
    total = None
    async for c in model.bind_tools([run_query]).astream("q"):
        total = c if total is None else total + c
    assert total.content == "Let me look."
    assert total.tool_calls[0]["name"] == "run_query"
    assert total.tool_calls[0]["args"] == {"sql": "x"}


async def test_unbound_tool_name_is_rejected() -> None:
    model = ScriptedChatModel(steps=[{"tool_calls": [{"name": "drop_table", "args": {}}]}])
    with pytest.raises(ScriptError, match="drop_table"):
        await model.bind_tools([run_query]).ainvoke("q")


async def test_structured_steps_have_their_own_cursor() -> None:
    model = ScriptedChatModel(
        steps=[
            {"text": "answer one"},
            {"structured": {"passed": False, "problems": ["no citation"]}},
            {"text": "answer two"},
            {"structured": {"passed": True, "problems": []}},
        ]
    )
    grader = model.with_structured_output(Verdict)
    assert (await model.ainvoke("q")).content == "answer one"
    v1 = await grader.ainvoke("grade")
    assert v1 == Verdict(passed=False, problems=["no citation"])
    v2 = await grader.ainvoke("grade again")  # structured taken before the second plain step
    assert v2.passed is True
    assert (await model.ainvoke("q")).content == "answer two"
    assert model.remaining == {"plain": 0, "structured": 0}


async def test_structured_include_raw() -> None:
    model = ScriptedChatModel(steps=[{"structured": {"passed": True, "problems": []}}])
    out = await model.with_structured_output(Verdict, include_raw=True).ainvoke("x")
    assert out["parsed"] == Verdict(passed=True, problems=[])
    assert out["raw"].usage_metadata["output_tokens"] > 0


async def test_structured_step_that_does_not_fit_the_schema() -> None:
    model = ScriptedChatModel(steps=[{"structured": {"passed": "maybe"}}, {"structured": {"passed": "maybe"}}])
    out = await model.with_structured_output(Verdict, include_raw=True).ainvoke("x")
    assert out["parsed"] is None and isinstance(out["parsing_error"], ValidationError)
    with pytest.raises(ValidationError):
        await model.with_structured_output(Verdict).ainvoke("x")


async def test_running_out_names_the_script(tmp_path) -> None:
    script = tmp_path / "demo.yaml"
    script.write_text("- text: only one\n", encoding="utf-8")
    model = make_chat_model(f"scripted:{script}")
    await model.ainvoke("q")
    with pytest.raises(ScriptError, match=r"demo\.yaml.*ran out of text/tool_calls steps: call #2"):
        await model.ainvoke("q")
    with pytest.raises(ScriptError, match="ran out of structured steps"):
        await model.with_structured_output(Verdict).ainvoke("q")


def test_bad_scripts_get_clear_errors(tmp_path) -> None:
    with pytest.raises(ScriptError, match="does not exist"):
        make_chat_model(f"scripted:{tmp_path / 'missing.yaml'}")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([{"txt": "typo"}]), encoding="utf-8")
    with pytest.raises(ScriptError, match=r"step 1: unknown keys \['txt'\]"):
        make_chat_model(f"scripted:{bad}")
    with pytest.raises(ScriptError, match="cannot be combined"):
        ScriptedChatModel(steps=[{"text": "a", "structured": {}}])


async def test_delay_is_cancellable() -> None:
    model = ScriptedChatModel(steps=[{"delay_s": 5, "text": "late"}])
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(model.ainvoke("q"), timeout=0.2)


def test_agent_and_grader_share_one_script(tmp_path) -> None:
    script = tmp_path / "s.yaml"
    script.write_text("- text: hi\n- structured: {passed: true, problems: []}\n", encoding="utf-8")
    settings = AgentSettings(model="scripted:s.yaml", grader_model="scripted:s.yaml")
    agent, grader = make_agent_models(settings, workspace=tmp_path)
    assert agent is grader
    assert agent.invoke("q").content == "hi"
    assert grader.with_structured_output(Verdict).invoke("g").passed is True


async def test_drives_a_langgraph_graph_with_streaming() -> None:
    model = ScriptedChatModel(
        steps=[
            {"tool_calls": [{"name": "run_query", "args": {"sql": "SELECT count(*) FROM c"}}]},
            {"expect": "59", "text": "There are 59 customers."},
        ]
    )
    bound = model.bind_tools([run_query])

    async def act(state: MessagesState) -> dict:
        return {"messages": [await bound.ainvoke(state["messages"])]}

    async def tools(state: MessagesState) -> dict:
        call = state["messages"][-1].tool_calls[0]
        return {"messages": [ToolMessage(run_query.invoke(call["args"]), tool_call_id=call["id"])]}

    def route(state: MessagesState) -> str:
        return "tools" if state["messages"][-1].tool_calls else END

    g = StateGraph(MessagesState)
    g.add_node("act", act)
    g.add_node("tools", tools)
    g.add_edge(START, "act")
    g.add_conditional_edges("act", route)
    g.add_edge("tools", "act")
    graph = g.compile()
    tokens = []
    start = {"messages": [HumanMessage("How many customers?")]}
    async for msg, _meta in graph.astream(start, stream_mode="messages"):
        if isinstance(msg, AIMessageChunk) and msg.content:
            tokens.append(msg.content)
    assert "".join(tokens) == "There are 59 customers."
    assert len(tokens) == 4
