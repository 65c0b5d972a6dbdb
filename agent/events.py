"""Typed events a turn emits, in order, for front ends (REPL, library users, eval).

The graph streams these through `Sleuth.stream(...)`; every event carries the thread and run ids so
a consumer can interleave several turns. Kept free of LangGraph types so that front ends import it
cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

NodeName = Literal["plan", "act", "tools", "reflect", "requery", "answer", "summarize"]


@dataclass(frozen=True)
class Event:
    thread_id: str
    run_id: str


@dataclass(frozen=True)
class NodeStarted(Event):
    node: NodeName
    detail: str = ""  # e.g. the rewritten query on "requery"


@dataclass(frozen=True)
class ToolCallStarted(Event):
    call_id: str
    server: str  # "docs", "sql", "files" or a third-party server's name
    tool: str  # the tool's own name on that server, e.g. "run_query"
    args: dict[str, Any]


@dataclass(frozen=True)
class ToolCallFinished(Event):
    call_id: str
    server: str
    tool: str
    is_error: bool
    text: str  # what the model saw (bounded)
    structured: dict[str, Any] | None
    elapsed_ms: float


@dataclass(frozen=True)
class DraftToken(Event):
    """A piece of the model's draft as it is written, before reflection has checked it.

    Shown live so the user sees progress from the first token; the checked answer (Token, Answer)
    follows and replaces it, or a correction round starts a new draft."""

    text: str


@dataclass(frozen=True)
class Token(Event):
    text: str  # a streamed piece of the final, checked answer


@dataclass(frozen=True)
class ReflectionVerdict(Event):
    passed: bool
    problems: list[str] = field(default_factory=list)  # deterministic and model-critique findings
    correction: int = 0  # which corrective round this verdict led to (0 = none)


@dataclass(frozen=True)
class Citation:
    marker: int  # the footnote number shown to the user
    kind: Literal["doc", "sql", "file"]
    ref: str  # citation id (doc), query id (sql) or "path:line" (file)
    label: str  # human-readable: path + heading, path + lines, or the SQL


@dataclass(frozen=True)
class ApprovalRequested(Event):
    call_id: str
    server: str
    tool: str
    args: dict[str, Any]
    reason: str


@dataclass(frozen=True)
class Answer(Event):
    text: str  # final answer with footnote markers [1], [2] …
    citations: list[Citation]
    grounded: bool  # False when Sleuth says the evidence was not enough
    usage: dict[str, Any] = field(default_factory=dict)  # tokens in/out, cost, steps, corrections


@dataclass(frozen=True)
class TurnError(Event):
    message: str  # one readable line
    fix: str = ""
