"""What the REPL remembers between prompts: the thread, the tool calls, the pending approval, costs.

Kept apart from rendering and from the agent so commands and the turn loop share one small object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent import events as ev


@dataclass
class ToolRecord:
    """One tool call of this session, numbered so `/expand N` can show it in full."""

    number: int
    started: ev.ToolCallStarted
    finished: ev.ToolCallFinished | None = None


@dataclass
class ReplState:
    thread_id: str | None = None
    pending: ev.ApprovalRequested | None = None
    tool_log: list[ToolRecord] = field(default_factory=list)
    last_usage: dict[str, Any] = field(default_factory=dict)
    totals: dict[str, float] = field(default_factory=dict)
    turns: int = 0

    def new_thread(self) -> None:
        self.thread_id = None
        self.pending = None

    def record_start(self, call: ev.ToolCallStarted) -> ToolRecord:
        rec = ToolRecord(len(self.tool_log) + 1, call)
        self.tool_log.append(rec)
        return rec

    def record_finish(self, done: ev.ToolCallFinished) -> ToolRecord | None:
        for rec in reversed(self.tool_log):
            if rec.started.call_id == done.call_id and rec.finished is None:
                rec.finished = done
                return rec
        return None

    def tool(self, number: int) -> ToolRecord | None:
        return self.tool_log[number - 1] if 1 <= number <= len(self.tool_log) else None

    def add_usage(self, usage: dict[str, Any]) -> None:
        """Keep the last answer's usage and a running session total of its numeric fields."""
        self.last_usage = dict(usage)
        self.turns += 1
        for key, value in usage.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                self.totals[key] = self.totals.get(key, 0) + value
