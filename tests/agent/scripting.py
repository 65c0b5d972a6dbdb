"""Test-side helpers around the scripted model (the only fake): query-id templating, event capture.

SQL query ids are random per run, so a script cannot spell them. `TemplatedScript` is the scripted
model with one addition: `{q1}`, `{q2}` … in a step's text become the 1st, 2nd … `query_id` that
appeared in the conversation's tool results — exactly what a real model would copy from them.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, ToolMessage

from agent import events
from agent.models import ScriptedChatModel

_QID = re.compile(r"\bq_[0-9a-f]{6,}\b")


class TemplatedScript(ScriptedChatModel):
    def _respond(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> tuple[dict[str, Any], AIMessage]:
        step, message = super()._respond(messages, kwargs)
        ids: list[str] = []
        for m in messages:
            if isinstance(m, ToolMessage):
                ids += [q for q in _QID.findall(str(m.content)) if q not in ids]
        text = message.content if isinstance(message.content, str) else ""
        for n, qid in enumerate(ids, 1):
            text = text.replace(f"{{q{n}}}", qid)
        message.content = text
        return step, message


async def collect(stream: AsyncIterator[events.Event]) -> list[events.Event]:
    return [ev async for ev in stream]


def of(evs: list[events.Event], cls: type[events.Event]) -> list[Any]:
    return [e for e in evs if isinstance(e, cls)]


def answer_of(evs: list[events.Event]) -> events.Answer:
    answers = of(evs, events.Answer)
    errors = of(evs, events.TurnError)
    assert not errors, errors
    assert len(answers) == 1, [type(e).__name__ for e in evs]
    return answers[0]


def plan(*sources: str, needs_tools: bool = True, remember: list[str] | None = None) -> dict[str, Any]:
    return {
        "structured": {
            "sources": list(sources),
            "subquestions": [],
            "needs_tools": needs_tools,
            "remember": remember or [],
        }
    }


PASS = {"structured": {"supported": ["all"], "unsupported": [], "missing": [], "verdict": "pass"}}


def call(name: str, **args: Any) -> dict[str, Any]:
    return {"name": name, "args": args}
