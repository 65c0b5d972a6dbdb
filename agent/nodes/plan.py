"""plan: decide which sources the question needs and split it into parts, before any tool runs.

Also the turn's housekeeping: drop the tool traffic an interrupted earlier turn left behind (so the
history is valid for every provider), recall the user's long-term facts, and store new ones the
user asked to remember.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, RemoveMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langgraph.config import get_store
from pydantic import BaseModel, Field

from agent.memory import recall, remember
from agent.nodes.common import Deps, add_usage, structured, structured_call
from agent.prompts import load_prompt
from agent.state import SleuthState

REQUERY_NAME = "sleuth_requery"  # HumanMessage.name of corrective instructions (they are not the user's)


class Plan(BaseModel):
    sources: list[str] = Field(default_factory=list, description="docs, sql and/or files")
    subquestions: list[str] = Field(default_factory=list, description="the parts of the question")
    needs_tools: bool = Field(True, description="false only for trivial messages")
    remember: list[str] = Field(default_factory=list, description="facts the user asked to remember")


def stale_messages(messages: list[AnyMessage]) -> list[RemoveMessage]:
    """Tool calls, tool results and corrective notes of earlier turns that never reached an answer."""
    last_human = max((i for i, m in enumerate(messages) if _is_user(m)), default=-1)
    return [
        RemoveMessage(id=m.id)
        for m in messages[:last_human]
        if m.id
        and (
            isinstance(m, ToolMessage)
            or (isinstance(m, AIMessage) and m.tool_calls)
            or (isinstance(m, HumanMessage) and m.name == REQUERY_NAME)
        )
    ]


def _is_user(m: AnyMessage) -> bool:
    return isinstance(m, HumanMessage) and m.name != REQUERY_NAME


def memory_text(facts: list[str]) -> str:
    if not facts:
        return ""
    return "Facts the user asked you to remember (from earlier conversations):\n" + "\n".join(f"- {f}" for f in facts)


def make_plan(deps: Deps):
    prompt = load_prompt("plan")
    ask = structured(deps.model, Plan)

    async def plan(state: SleuthState, config: RunnableConfig) -> dict[str, Any]:
        store = get_store()
        user = state.get("user_id", "local")
        facts = await recall(store, user) if store is not None else []
        text = prompt.render(
            tools=deps.toolbox.describe(),
            servers=", ".join(deps.toolbox.servers()) or "none",
            memory=memory_text(facts),
            summary=state.get("summary") or "(none)",
            question=state.get("question", ""),
        )
        parsed, raw = await structured_call(ask, Plan, text, config)
        result = parsed or Plan(sources=deps.toolbox.servers(), subquestions=[state.get("question", "")])
        known = set(deps.toolbox.servers())
        result.sources = [s for s in result.sources if s in known] or sorted(known)
        if store is not None:
            for fact in result.remember:
                await remember(store, user, fact)
                facts.append(fact)
        return {
            "messages": stale_messages(state.get("messages", [])),
            "plan": result.model_dump(),
            "memory": facts,
            "usage": add_usage(state.get("usage"), raw, deps.model_spec),
            "prompts": {**state.get("prompts", {}), "plan": prompt.id},
            "_step": {"sources": result.sources, "parts": len(result.subquestions)},
        }

    return plan
