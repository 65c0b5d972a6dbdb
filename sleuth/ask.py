"""`sleuth ask`: one question, the answer streamed to stdout, numbered citations, status on stderr.

stdout carries only the answer and its sources (so it can be piped); progress, tool calls, the
reflection verdict and the thread id go to stderr. Exit codes: 0 answered, 1 the turn failed,
2 no usable model (the explanation says how to connect one), 3 the turn waits for an approval.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TYPE_CHECKING, TextIO

from agent import events
from sleuth.config import Settings

if TYPE_CHECKING:
    from agent.facade import Sleuth

EXIT_OK, EXIT_FAILED, EXIT_NO_MODEL, EXIT_NEEDS_APPROVAL = 0, 1, 2, 3
_STATUS = {
    "summarize": "summarizing the conversation",
    "plan": "planning",
    "act": "thinking",
    "tools": "calling tools",
    "reflect": "checking the answer against the evidence",
    "requery": "correcting",
    "answer": "answering",
}


def run_ask(settings: Settings, question: str, thread_id: str | None = None) -> int:
    """Answer `question` on the workspace in `settings`; returns the process exit code."""
    from agent.facade import Sleuth

    sleuth = Sleuth(settings)
    if sleuth.model_problem:
        sys.stderr.write(f"error: {sleuth.model_problem}\n")
        return EXIT_NO_MODEL
    return asyncio.run(_ask(sleuth, question, thread_id, sys.stdout, sys.stderr))


async def _ask(sleuth: Sleuth, question: str, thread_id: str | None, out: TextIO, err: TextIO) -> int:
    from agent.facade import new_thread_id

    thread = thread_id or new_thread_id()
    code = EXIT_FAILED
    async with sleuth:
        for name, problem in getattr(sleuth.bridge, "problems", {}).items():
            err.write(f"warning: {name} server unavailable: {problem}\n")
        async for ev in sleuth.stream(question, thread):
            code = _show(ev, out, err, code)
    err.write(f'thread: {thread} (continue with: sleuth ask --thread {thread} "...")\n')
    return code


def _show(ev: events.Event, out: TextIO, err: TextIO, code: int) -> int:
    if isinstance(ev, events.Token):
        out.write(ev.text)
        out.flush()
    elif isinstance(ev, events.NodeStarted):
        err.write(f"· {_STATUS.get(ev.node, ev.node)}{': ' + ev.detail if ev.detail else ''}\n")
    elif isinstance(ev, events.ToolCallStarted):
        err.write(f"  → {ev.server}.{ev.tool} {_args(ev.args)}\n")
    elif isinstance(ev, events.ToolCallFinished):
        mark = "✗" if ev.is_error else "✓"
        first = ev.text.strip().splitlines()[0][:100] if ev.text.strip() else ""
        err.write(f"  {mark} {ev.server}.{ev.tool} ({ev.elapsed_ms:.0f} ms) {first}\n")
    elif isinstance(ev, events.ReflectionVerdict):
        verdict = "passed" if ev.passed else "failed"
        err.write(f"· reflection {verdict}" + "".join(f"\n    - {p}" for p in ev.problems) + "\n")
    elif isinstance(ev, events.Answer):
        out.write("\n")
        if ev.citations:
            out.write("\nSources:\n" + "".join(f"[{c.marker}] {c.label}\n" for c in ev.citations))
        u = ev.usage
        err.write(
            f"· {u.get('tokens_in', 0)} tokens in, {u.get('tokens_out', 0)} out, ${u.get('cost_usd', 0.0):.4f}, "
            f"{u.get('steps', 0)} steps, {u.get('corrections', 0)} corrections\n"
        )
        return EXIT_OK
    elif isinstance(ev, events.ApprovalRequested):
        err.write(
            f"approval needed: {ev.server}.{ev.tool} {_args(ev.args)} ({ev.reason})\n"
            f"  continue in the REPL: sleuth chat --resume {ev.thread_id}\n"
        )
        return EXIT_NEEDS_APPROVAL
    elif isinstance(ev, events.TurnError):
        err.write(f"error: {ev.message}\n" + (f"  fix: {ev.fix}\n" if ev.fix else ""))
        return EXIT_FAILED
    return code


def _args(args: dict[str, object]) -> str:
    text = json.dumps(args, ensure_ascii=False, default=str)
    return text if len(text) <= 120 else text[:119] + "…"
