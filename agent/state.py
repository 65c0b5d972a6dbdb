"""The graph's state: the conversation (kept across turns) and the current turn's working set.

Everything here is plain JSON-able data (plus LangChain messages), so every step checkpoints cleanly
and a turn can resume in another process. Only `messages` has a reducer; every other key is written
whole by the one node that runs at a time. A new question resets every per-turn key (`new_turn`).
"""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage, HumanMessage
from langgraph.graph.message import add_messages


class Usage(TypedDict):
    tokens_in: int
    tokens_out: int
    cost_usd: float
    model_calls: int


class SleuthState(TypedDict, total=False):
    # conversation, across turns
    messages: Annotated[list[AnyMessage], add_messages]  # Human/AI pairs; this turn's tool traffic until answer
    summary: str  # summary of older turns that were folded away (see the summarize node)
    # this turn
    question: str
    run_id: str
    user_id: str
    started_at: float  # time.time() when the turn started (wall clock: survives a process restart)
    memory: list[str]  # long-term facts recalled for this user at the start of the turn
    plan: dict[str, Any]  # {"sources": [...], "subquestions": [...], "needs_tools": bool, "remember": [...]}
    evidence: dict[str, Any]  # agent.verify.Evidence.to_dict(): what tools returned in this turn
    seen_calls: list[str]  # signatures (tool + canonical args) of calls already made in this turn
    repeats: int  # identical repeated calls the model attempted
    steps: int  # model calls in the act loop
    corrections: int  # corrective rounds taken
    usage: Usage
    flags: list[dict[str, Any]]  # agent.untrusted.Flag.to_dict() for steering text seen in tool results
    trace: list[dict[str, Any]]  # {"node", "elapsed_ms", ...} per node run and per tool call
    draft: str  # the act loop's latest answer text
    verdict: dict[str, Any]  # {"passed": bool, "problems": [...], "critique": {...}}
    stop_reason: str  # "" or why the loop stopped early: max_steps, token_budget, turn_timeout, repeated_calls
    answer: dict[str, Any]  # {"text", "citations": [...], "grounded": bool}
    prompts: dict[str, str]  # prompt name -> version id used in this turn


def new_turn(question: str, *, user_id: str = "local", run_id: str | None = None) -> dict[str, Any]:
    """The input of one turn: the question joins the conversation, every per-turn key starts empty."""
    return {
        "messages": [HumanMessage(question)],
        "question": question,
        "run_id": run_id or uuid.uuid4().hex[:12],
        "user_id": user_id,
        "started_at": time.time(),
        "memory": [],
        "plan": {},
        "evidence": {},
        "seen_calls": [],
        "repeats": 0,
        "steps": 0,
        "corrections": 0,
        "usage": Usage(tokens_in=0, tokens_out=0, cost_usd=0.0, model_calls=0),
        "flags": [],
        "trace": [],
        "draft": "",
        "verdict": {},
        "stop_reason": "",
        "answer": {},
        "prompts": {},
    }
