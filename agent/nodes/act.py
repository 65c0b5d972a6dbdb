"""act: one model step of the ReAct loop, with the tools bound, inside the turn's budgets.

A message the plan judged trivial (a greeting) is answered without tools; once reflection asks for
a correction, the tools are bound again whatever the plan said.
"""

from __future__ import annotations

import time
from typing import Any

from langchain_core.messages import AIMessage, SystemMessage
from langchain_core.runnables import RunnableConfig

from agent.nodes.common import Deps, add_usage
from agent.nodes.plan import memory_text
from agent.prompts import load_prompt
from agent.state import SleuthState
from sleuth.config import AgentSettings


def over_budget(state: SleuthState, agent: AgentSettings) -> str:
    """Why the turn must stop now ("" if it may go on): steps, tokens or wall-clock time."""
    usage = state.get("usage") or {}
    if state.get("steps", 0) >= agent.max_steps:
        return "max_steps"
    if int(usage.get("tokens_in", 0)) + int(usage.get("tokens_out", 0)) >= agent.token_budget:
        return "token_budget"
    if time.time() - state.get("started_at", time.time()) >= agent.turn_timeout_s:
        return "turn_timeout"
    return ""


def system_prompt(deps: Deps, state: SleuthState) -> str:
    text = load_prompt("system").render(
        tools=deps.toolbox.describe(),
        citation_rules=load_prompt("answer").render(),
        memory=memory_text(state.get("memory", [])),
    )
    plan = state.get("plan") or {}
    if plan.get("sources"):
        text += "\n\nPlan for this question: use " + ", ".join(plan["sources"])
        parts = [p for p in plan.get("subquestions", []) if p]
        if len(parts) > 1:
            text += "; answer every part:\n" + "\n".join(f"{i}. {p}" for i, p in enumerate(parts, 1))
    if state.get("summary"):
        text += "\n\nSummary of the earlier conversation:\n" + state["summary"]
    return text


def make_act(deps: Deps):
    bound = deps.model.bind_tools(deps.toolbox.lc_tools) if deps.toolbox.lc_tools else deps.model

    async def act(state: SleuthState, config: RunnableConfig) -> dict[str, Any]:
        stop = over_budget(state, deps.settings.agent)
        if stop:
            return {"stop_reason": stop, "_step": {"stopped": stop}}
        messages = [SystemMessage(system_prompt(deps, state)), *state.get("messages", [])]
        trivial = (state.get("plan") or {}).get("needs_tools") is False and not state.get("corrections")
        reply = await (deps.model if trivial else bound).ainvoke(messages, config)
        assert isinstance(reply, AIMessage)
        update: dict[str, Any] = {
            "messages": [reply],
            "steps": state.get("steps", 0) + 1,
            "usage": add_usage(state.get("usage"), reply, deps.model_spec),
            "prompts": {**state.get("prompts", {}), "system": load_prompt("system").id},
        }
        if not reply.tool_calls:
            update["draft"] = reply.text
        return update

    return act
