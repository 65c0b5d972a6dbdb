"""Run one turn (a question, or a decision on a pending approval) and render its events.

The caller runs these as a task it can cancel (Ctrl-C); cancellation closes the event stream, and
the thread stays as the last checkpoint left it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from rich.console import Console
from rich.text import Text

from agent import events as ev
from sleuth.errors import SleuthError
from sleuth.repl.host import AgentHost
from sleuth.repl.render import TurnView, approval_panel
from sleuth.repl.state import ReplState


async def render_events(console: Console, state: ReplState, events: AsyncIterator[ev.Event]) -> None:
    """Drive one turn's events into a TurnView; closing the stream on cancellation ends the graph run."""
    with TurnView(console, state) as view:
        async with contextlib.aclosing(events):  # type: ignore[type-var]
            async for event in events:
                view.handle(event)


def model_missing(console: Console, problem: str) -> None:
    """A plain question without a model: the exact way to connect one (the provider layer words it)."""
    console.print(Text(problem, style="yellow"))
    console.print(
        Text(
            "Then restart `sleuth chat`, or switch now with /model provider:model. "
            "Without a model, /sql, /search, /read and /tools still work.",
            style="dim",
        )
    )


async def ask(console: Console, state: ReplState, host: AgentHost, question: str) -> None:
    if not host.is_ready:
        console.print(Text("waiting for the agent to finish starting…", style="dim"))
    sleuth = await host.ready()
    if sleuth.model_problem:
        model_missing(console, sleuth.model_problem)
        return
    if state.pending is None and state.thread_id is not None:  # e.g. asked before `--resume` finished loading
        state.pending = await sleuth.pending_approval(state.thread_id)
    if state.pending is not None:
        console.print(approval_panel(state.pending))
        raise SleuthError("this thread is waiting for your decision", fix="/approve, /reject or /edit it, or /new")
    await render_events(console, state, sleuth.stream(question, thread_id=state.thread_id))


async def decide(
    console: Console, state: ReplState, host: AgentHost, decision: str, edited: dict[str, Any] | None = None
) -> None:
    sleuth = await host.ready()
    if state.thread_id is None:
        raise SleuthError("no thread is open", fix="ask a question, or /resume ID")
    pending = state.pending or await sleuth.pending_approval(state.thread_id)
    if pending is None:
        raise SleuthError("nothing is waiting for approval in this thread", fix="/threads shows which ones wait")
    state.pending = None
    await render_events(console, state, sleuth.decide(state.thread_id, decision, edited_args=edited))
