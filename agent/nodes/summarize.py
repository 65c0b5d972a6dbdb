"""summarize: fold old turns into a running summary once the history passes `summarize_after_tokens`.

Runs at the start of a turn (before plan), only when needed. The newest completed exchange and the
new question stay verbatim; everything older becomes part of `summary`, which the prompts include.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, RemoveMessage
from langchain_core.runnables import RunnableConfig

from agent.models.scripted import estimate_tokens
from agent.nodes.common import Deps, add_usage
from agent.prompts import load_prompt
from agent.state import SleuthState

KEEP_LAST = 3  # messages kept verbatim: the last question/answer pair and the new question


def history_tokens(state: SleuthState) -> int:
    return estimate_tokens("".join(m.text for m in state.get("messages", []))) + estimate_tokens(
        state.get("summary", "")
    )


def needs_summary(state: SleuthState, limit: int) -> bool:
    return len(state.get("messages", [])) > KEEP_LAST and history_tokens(state) > limit


def _transcript(messages: list[AnyMessage]) -> str:
    role = {HumanMessage: "User", AIMessage: "Sleuth"}
    return "\n\n".join(f"{role.get(type(m), m.type)}: {m.text}" for m in messages if m.text)


def make_summarize(deps: Deps):
    prompt = load_prompt("summarize")

    async def summarize(state: SleuthState, config: RunnableConfig) -> dict[str, Any]:
        old = state["messages"][:-KEEP_LAST]
        text = prompt.render(summary=state.get("summary", ""), transcript=_transcript(old))
        reply = await deps.model.ainvoke(text, config)
        return {
            "summary": reply.text.strip(),
            "messages": [RemoveMessage(id=m.id) for m in old if m.id],
            "usage": add_usage(state.get("usage"), reply, deps.model_spec),
            "prompts": {**state.get("prompts", {}), "summarize": prompt.id},
            "_step": {"folded": len(old)},
        }

    return summarize
