"""Oracle replay: run every case's gold tool calls through the real MCP servers, no model involved.

This keeps the golden set and the workspace honest: if a document, the database or a server changes
so that a gold call no longer returns the expected facts, the replay says which case and which call.
The replayed results are also the evidence the gold answers cite: a gold answer writes
`{{cite:N}}` for "the citation of gold call N", resolved here to the id the server actually returned
(a docs `citation_id`, an SQL `query_id`, or a `file:PATH:LINE`), because query ids change per run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from agent.bridge.outcome import ToolOutcome
from agent.verify import Evidence
from sleuth.evaluation.cases import Case, Fact, GoldCall
from sleuth.evaluation.scoring import fact_found

PLACEHOLDER = re.compile(r"\{\{cite:(\d+)\}\}")


class Caller(Protocol):
    """What the replay needs from `agent.mcp_bridge.MCPBridge`."""

    async def call(self, server: str, tool: str, args: dict[str, Any]) -> ToolOutcome: ...


@dataclass
class CallReplay:
    call: GoldCall
    outcome: ToolOutcome
    missing: list[str] = field(default_factory=list)  # expected facts the result did not contain

    @property
    def ok(self) -> bool:
        return not self.outcome.is_error and not self.missing

    def describe(self) -> str:
        what = f"{self.call.server}.{self.call.tool}({_short_args(self.call.args)})"
        if self.outcome.is_error:
            return f"{what} failed: {self.outcome.text[:200]}"
        return f"{what} lacks {', '.join(self.missing)}"


@dataclass
class CaseReplay:
    case: Case
    calls: list[CallReplay]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.calls)

    def evidence(self) -> Evidence:
        """The replayed results indexed the way the agent's verifier indexes a run's tool results."""
        ev = Evidence()
        for c in self.calls:
            if not c.outcome.is_error:
                ev.add_result(c.call.tool, c.outcome.structured, c.outcome.text)
        return ev

    def gold_answer(self) -> str | None:
        """The case's gold answer with every `{{cite:N}}` replaced by the ref call N returned."""
        if self.case.gold_answer is None:
            return None

        def sub(m: re.Match[str]) -> str:
            return cite_ref(self.calls[int(m.group(1))])  # the case validator checked the index

        return PLACEHOLDER.sub(sub, self.case.gold_answer)


def _short_args(args: dict[str, Any], n: int = 80) -> str:
    text = ", ".join(f"{k}={v!r}" for k, v in args.items())
    return text if len(text) <= n else text[: n - 1] + "…"


def _fact_label(f: Fact) -> str:
    return repr(f.value)


async def replay_case(bridge: Caller, case: Case) -> CaseReplay:
    calls: list[CallReplay] = []
    for gc in case.gold_calls:
        outcome = await bridge.call(gc.server, gc.tool, dict(gc.args))
        missing = [] if outcome.is_error else [_fact_label(f) for f in gc.expect if not fact_found(f, outcome.text)]
        calls.append(CallReplay(gc, outcome, missing))
    return CaseReplay(case, calls)


async def replay_all(
    bridge: Caller, cases: Sequence[Case], on_case: Callable[[CaseReplay], None] | None = None
) -> list[CaseReplay]:
    """Replay cases one after another over one held bridge (servers start once)."""
    out: list[CaseReplay] = []
    for case in cases:
        r = await replay_case(bridge, case)
        out.append(r)
        if on_case is not None:
            on_case(r)
    return out


# ------------------------------------------------------------------ citation refs of a replayed call


def _first_with(items: list[tuple[str, str]], facts: list[Fact]) -> str | None:
    """The ref of the first (ref, text) item containing every expected fact, else the first at all."""
    for ref, text in items:
        if all(fact_found(f, text) for f in facts):
            return ref
    return items[0][0] if items else None


def cite_ref(c: CallReplay) -> str:
    """The citation a correct answer would write for this call's result (without brackets)."""
    s = c.outcome.structured or {}
    if c.outcome.is_error:
        raise ValueError(f"cannot cite {c.describe()}")
    if "query_id" in s:
        return f"sql:{s['query_id']}"
    if "passages" in s or "citation_id" in s:
        passages = s.get("passages") or [s]
        items = [(str(p["citation_id"]), f"{p.get('text', '')}") for p in passages]
        ref = _first_with(items, c.call.expect)
        if ref is not None:
            return ref
    if "matches" in s:
        items = [(f"file:{m['path']}:{m['line']}", str(m.get("text", ""))) for m in s["matches"]]
        ref = _first_with(items, c.call.expect)
        if ref is not None:
            return ref
    if "lines" in s and isinstance(s.get("path"), str):
        items = [(f"file:{s['path']}:{ln['line']}", str(ln.get("text", ""))) for ln in s["lines"]]
        ref = _first_with(items, c.call.expect[:1])
        if ref is not None:
            return ref
    raise ValueError(f"{c.describe()} returned nothing citable")
