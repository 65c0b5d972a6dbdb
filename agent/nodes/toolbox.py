"""The agent's view of the MCP bridge: tools by the name the model calls, approval rules, bounded calls.

Keeps the nodes independent of the bridge's internals: anything with `.tools` (BridgedTool-like:
server, name, qualified_name, description, input_schema, destructive), `langchain_tools()` and an
async `call(server, tool, args, timeout_s) -> ToolOutcome` serves.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from langchain_core.tools import BaseTool

MAX_TEXT_TO_MODEL = 16_000  # characters of one tool result the model sees (the evidence keeps all rows)


class BridgeLike(Protocol):
    tools: list[Any]

    def langchain_tools(self) -> list[BaseTool]: ...

    async def call(self, server: str, tool: str, args: dict[str, Any], timeout_s: float | None = None) -> Any: ...


@dataclass(frozen=True)
class CallOutcome:
    """One finished call, normalised (the bridge's ToolOutcome, or what went wrong around it)."""

    text: str
    structured: dict[str, Any] | None
    is_error: bool
    elapsed_ms: float


def call_signature(name: str, args: dict[str, Any]) -> str:
    """Identity of a call for repeat detection: tool name plus canonical JSON of its arguments."""
    return name + json.dumps(args, sort_keys=True, default=str, separators=(",", ":"))


class Toolbox:
    def __init__(self, bridge: BridgeLike | None, approve_tools: Iterable[str] = ()) -> None:
        self.bridge = bridge
        self._tools = {t.qualified_name: t for t in (bridge.tools if bridge is not None else [])}
        self._approve = set(approve_tools)
        self.lc_tools: list[BaseTool] = bridge.langchain_tools() if bridge is not None else []

    def __contains__(self, name: str) -> bool:
        return name in self._tools

    def where(self, name: str) -> tuple[str, str]:
        """(server, tool name on the server) for the name the model called."""
        t = self._tools.get(name)
        return (t.server, t.name) if t is not None else ("", name)

    def approval_reason(self, name: str) -> str | None:
        """Why a call to `name` must be approved by the user first, or None."""
        t = self._tools.get(name)
        if t is None:
            return None
        if name in self._approve or t.name in self._approve or f"{t.server}.{t.name}" in self._approve:
            return f"{t.server}.{t.name} is listed in agent.approve_tools"
        if t.destructive:
            return f"{t.server}.{t.name} can change data (annotated destructive)"
        return None

    def describe(self) -> str:
        """One line per tool, grouped by server, for the prompts."""
        lines = []
        for t in self._tools.values():
            first = (t.description or "").strip().splitlines()[0] if t.description else ""
            lines.append(f"- {t.qualified_name} ({t.server}): {first[:160]}")
        return "\n".join(lines) or "- (no tools are available)"

    def servers(self) -> list[str]:
        return sorted({t.server for t in self._tools.values()})

    async def call(self, name: str, args: dict[str, Any], timeout_s: float) -> CallOutcome:
        """Run one call within `timeout_s`; every failure becomes an error outcome, never an exception."""
        started = time.perf_counter()
        t = self._tools.get(name)
        if t is None or self.bridge is None:
            known = ", ".join(sorted(self._tools)) or "none"
            return CallOutcome(f"unknown tool {name!r}; available tools: {known}", None, True, 0.0)
        try:
            async with asyncio.timeout(timeout_s + 2.0):  # backstop; the bridge enforces timeout_s itself
                out = await self.bridge.call(t.server, t.name, args, timeout_s)
        except TimeoutError:
            msg = f"{t.server}.{t.name} timed out after {timeout_s:g} s"
            return CallOutcome(msg, None, True, (time.perf_counter() - started) * 1000)
        except Exception as exc:  # a broken bridge must not crash the turn: the model reads the error
            msg = f"{t.server}.{t.name} failed: {type(exc).__name__}: {exc}"
            return CallOutcome(msg, None, True, (time.perf_counter() - started) * 1000)
        elapsed = float(getattr(out, "elapsed_ms", 0.0)) or (time.perf_counter() - started) * 1000
        return CallOutcome(str(out.text), out.structured, bool(out.is_error), elapsed)
