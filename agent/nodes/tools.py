"""tools: run the model's tool calls — approved, concurrent, bounded, repeat-checked, delimited.

Order matters for resumability: every approval `interrupt()` happens before any call runs, so when
the node re-executes on resume nothing runs twice. Tool failures become tool results the model reads;
nothing here raises for a tool's sake.
"""

from __future__ import annotations

import asyncio
from typing import Any

from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.messages.tool import ToolCall
from langchain_core.runnables import RunnableConfig
from langgraph.types import interrupt

from agent import events
from agent.nodes.common import Deps, emit
from agent.nodes.toolbox import MAX_TEXT_TO_MODEL, CallOutcome, call_signature
from agent.state import SleuthState
from agent.untrusted import detect, wrap
from agent.verify import Evidence

MAX_REPEATS = 2  # identical calls refused before the turn is stopped as looping


def approval_request(call: ToolCall, server: str, tool: str, reason: str, flagged: bool) -> dict[str, Any]:
    """The interrupt payload: what is pending and why (checkpointed until decided)."""
    if flagged:
        reason += "; note: content read in this turn tried to steer the agent"
    return {"call_id": call["id"], "server": server, "tool": tool, "args": call["args"], "reason": reason}


def _decision(value: Any) -> tuple[str, dict[str, Any] | None]:
    """Normalise a resume value: "approve" | "reject" | {"decision": ..., "args": {...}}."""
    if isinstance(value, str):
        return value, None
    if isinstance(value, dict):
        return str(value.get("decision", "reject")), value.get("args")
    return "reject", None


def _bounded(text: str) -> str:
    if len(text) <= MAX_TEXT_TO_MODEL:
        return text
    return text[:MAX_TEXT_TO_MODEL] + f"\n… [{len(text) - MAX_TEXT_TO_MODEL} more characters not shown]"


def make_tools(deps: Deps):
    box = deps.toolbox
    timeout = deps.settings.agent.tool_timeout_s

    async def run_one(state: SleuthState, config: RunnableConfig, call: ToolCall, args: dict[str, Any]) -> CallOutcome:
        server, tool = box.where(call["name"])
        emit(config, state, events.ToolCallStarted, call_id=call["id"], server=server, tool=tool, args=args)
        out = await box.call(call["name"], args, timeout)
        emit(
            config,
            state,
            events.ToolCallFinished,
            call_id=call["id"],
            server=server,
            tool=tool,
            is_error=out.is_error,
            text=_bounded(out.text),
            structured=out.structured,
            elapsed_ms=out.elapsed_ms,
        )
        return out

    async def tools(state: SleuthState, config: RunnableConfig) -> dict[str, Any]:
        last = state["messages"][-1]
        assert isinstance(last, AIMessage)
        seen = list(state.get("seen_calls", []))
        repeats = state.get("repeats", 0)
        flags = list(state.get("flags", []))
        results: dict[str, ToolMessage] = {}
        runnable: list[tuple[ToolCall, dict[str, Any]]] = []
        batch: set[str] = set()

        # 1. refuse repeats and unknown tools; ask for every approval before anything runs
        for call in last.tool_calls:
            server, tool = box.where(call["name"])
            sig = call_signature(call["name"], call["args"])
            if sig in seen or sig in batch:
                repeats += 1
                results[call["id"]] = _message(
                    call,
                    server,
                    tool,
                    "Refused: this exact call was already made in this turn; its result is "
                    "above. Use it, change the arguments, or answer.",
                    True,
                )
                continue
            batch.add(sig)
            reason = box.approval_reason(call["name"])
            if reason is not None:
                decision, edited = _decision(interrupt(approval_request(call, server, tool, reason, bool(flags))))
                if decision == "reject":
                    results[call["id"]] = _message(
                        call, server, tool, "The user rejected this call. Do not retry it; continue without it.", True
                    )
                    continue
                if decision == "edit" and isinstance(edited, dict):
                    runnable.append((call, edited))
                    continue
            runnable.append((call, call["args"]))

        # 2. run the rest concurrently
        outcomes = await asyncio.gather(*(run_one(state, config, c, a) for c, a in runnable))

        # 3. evidence, flags, delimited results, trace
        evidence = Evidence.from_dict(state.get("evidence"))
        steps = []
        for (call, args), out in zip(runnable, outcomes, strict=True):
            server, tool = box.where(call["name"])
            seen.append(call_signature(call["name"], call["args"]))
            if args is not call["args"]:
                seen.append(call_signature(call["name"], args))
            if not out.is_error:
                evidence.add_result(tool, out.structured, out.text)
            found = detect(out.text, server=server, tool=tool, call_id=call["id"])
            flags += [f.to_dict() for f in found]
            results[call["id"]] = _message(call, server, tool, out.text, out.is_error)
            steps.append(
                {
                    "node": "tool",
                    "server": server,
                    "tool": tool,
                    "elapsed_ms": round(out.elapsed_ms, 3),
                    "is_error": out.is_error,
                    "flags": len(found),
                }
            )
        update: dict[str, Any] = {
            "messages": [results[c["id"]] for c in last.tool_calls],
            "evidence": evidence.to_dict(),
            "seen_calls": seen,
            "repeats": repeats,
            "flags": flags,
            "_trace": steps,
        }
        if repeats >= MAX_REPEATS:
            update["stop_reason"] = "repeated_calls"
        return update

    return tools


def _message(call: ToolCall, server: str, tool: str, text: str, is_error: bool) -> ToolMessage:
    return ToolMessage(
        content=wrap(_bounded(text), server=server or "unknown", tool=tool, call_id=call["id"], is_error=is_error),
        tool_call_id=call["id"],
        name=call["name"],
        status="error" if is_error else "success",
    )
