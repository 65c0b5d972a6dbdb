"""The Sleuth graph: plan -> act <-> tools -> reflect -> (requery -> act)* -> answer.

    summarize? -> plan -> act --tool calls--> tools --> act ...
                          act --draft--> reflect --pass--> answer
                                         reflect --fail, corrections left--> requery -> act
                          budgets / repeated calls / corrections exhausted ------> answer

`build_graph` compiles it around a model, a grader, an MCP bridge, a checkpointer and a store;
`server_graph` is the module-level factory `langgraph.json` points the LangGraph server at.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore

from agent.models import make_agent_models
from agent.nodes import (
    Deps,
    Toolbox,
    make_act,
    make_answer,
    make_plan,
    make_reflect,
    make_requery,
    make_summarize,
    make_tools,
    needs_summary,
    over_budget,
    traced,
)
from agent.nodes.toolbox import BridgeLike
from agent.state import SleuthState
from sleuth.config import Settings


def _spec_of(model: BaseChatModel, fallback: str) -> str:
    name = getattr(model, "model_name", None) or getattr(model, "model", None)
    return str(name) if name else fallback


def build_graph(
    settings: Settings,
    *,
    model: BaseChatModel | None = None,
    grader: BaseChatModel | None = None,
    bridge: BridgeLike | None = None,
    checkpointer: BaseCheckpointSaver | None = None,
    store: BaseStore | None = None,
) -> CompiledStateGraph:
    """Compile the graph. Without `model`, the configured `provider:model` specs are built; without
    `grader`, the model grades too; without `bridge`, the agent has no tools (it can only abstain)."""
    agent = settings.agent
    if model is None:
        model, built_grader = make_agent_models(agent, workspace=settings.workspace)
        grader = grader or built_grader
        model_spec, grader_spec = agent.model, agent.grader_model
    else:
        model_spec = _spec_of(model, agent.model)
        grader_spec = _spec_of(grader, agent.grader_model) if grader is not None else model_spec
    deps = Deps(
        settings=settings,
        model=model,
        grader=grader or model,
        toolbox=Toolbox(bridge, agent.approve_tools),
        model_spec=model_spec,
        grader_spec=grader_spec,
    )

    def route_start(state: SleuthState) -> Literal["summarize", "plan"]:
        return "summarize" if needs_summary(state, agent.summarize_after_tokens) else "plan"

    def route_act(state: SleuthState) -> Literal["tools", "reflect", "answer"]:
        if state.get("stop_reason"):
            return "answer"
        last = state["messages"][-1]
        return "tools" if isinstance(last, AIMessage) and last.tool_calls else "reflect"

    def route_tools(state: SleuthState) -> Literal["act", "answer"]:
        return "answer" if state.get("stop_reason") else "act"

    def route_reflect(state: SleuthState) -> Literal["answer", "requery"]:
        if (state.get("verdict") or {}).get("passed"):
            return "answer"
        if state.get("corrections", 0) < agent.max_corrections and not over_budget(state, agent):
            return "requery"
        return "answer"

    g = StateGraph(SleuthState)
    g.add_node("summarize", traced("summarize", make_summarize(deps)))
    g.add_node("plan", traced("plan", make_plan(deps)))
    g.add_node("act", traced("act", make_act(deps)))
    g.add_node("tools", traced("tools", make_tools(deps)))
    g.add_node("reflect", traced("reflect", make_reflect(deps)))
    g.add_node("requery", traced("requery", make_requery(deps), announce=False))
    g.add_node("answer", traced("answer", make_answer(deps)))
    g.add_conditional_edges(START, route_start)
    g.add_edge("summarize", "plan")
    g.add_edge("plan", "act")
    g.add_conditional_edges("act", route_act)
    g.add_conditional_edges("tools", route_tools)
    g.add_conditional_edges("reflect", route_reflect)
    g.add_edge("requery", "act")
    g.add_edge("answer", END)
    return g.compile(checkpointer=checkpointer, store=store, name="sleuth")


@asynccontextmanager
async def server_graph(config: RunnableConfig | None = None) -> AsyncIterator[CompiledStateGraph]:
    """Factory for the LangGraph server (`langgraph.json`): settings from $SLEUTH_WORKSPACE, the
    three Sleuth MCP servers started for the graph's lifetime; the server supplies checkpoints."""
    from agent.mcp_bridge import MCPBridge, sleuth_server_configs
    from sleuth.config import load_settings

    settings = load_settings()
    kwargs: dict[str, Any] = {"call_timeout_s": settings.agent.tool_timeout_s}
    async with MCPBridge(sleuth_server_configs(settings), **kwargs) as bridge:
        yield build_graph(settings, bridge=bridge)
