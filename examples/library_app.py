"""Sleuth as a library: ask a question on a workspace, show the answer with its sources and trace.

    uv run python examples/library_app.py examples/demo "What is the return window?"
    SLEUTH_AGENT__MODEL=scripted:path/to/script.yaml uv run python examples/library_app.py ...   # offline

A model must be connected (ANTHROPIC_API_KEY, or an OpenAI-compatible server; see the README);
without one, the app prints how to connect one and exits with status 2. If the turn pauses for
approval of a destructive tool call, the app asks on the terminal and continues the same turn.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from agent import Sleuth, events


async def main(workspace: Path, question: str) -> int:
    sleuth = Sleuth(workspace)
    if sleuth.model_problem:
        print(sleuth.model_problem, file=sys.stderr)
        return 2
    async with sleuth:
        thread = None
        stream = sleuth.stream(question)
        while stream is not None:
            pending = None
            async for ev in stream:
                thread = ev.thread_id
                if isinstance(ev, events.Token):
                    print(ev.text, end="", flush=True)
                elif isinstance(ev, events.ToolCallStarted):
                    print(f"[{ev.server}.{ev.tool}]", ev.args, file=sys.stderr)
                elif isinstance(ev, events.Answer):
                    print("\n\nSources:")
                    for c in ev.citations:
                        print(f"  [{c.marker}] {c.label}")
                elif isinstance(ev, events.ApprovalRequested):
                    pending = ev
                elif isinstance(ev, events.TurnError):
                    print(f"error: {ev.message}", file=sys.stderr)
                    return 1
            stream = None
            if pending is not None:
                reply = input(f"\nAllow {pending.server}.{pending.tool} {pending.args}? [y/N] ").strip().lower()
                stream = sleuth.decide(pending.thread_id, "approve" if reply == "y" else "reject")
        if thread is not None:
            trace = sleuth.last_trace(thread)
            print(
                f"\n{len(trace.steps)} steps, {trace.tokens_in}+{trace.tokens_out} tokens, "
                f"${trace.cost_usd:.4f}, {trace.corrections} corrections, thread {thread}",
                file=sys.stderr,
            )
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: library_app.py WORKSPACE QUESTION")
    sys.exit(asyncio.run(main(Path(sys.argv[1]), sys.argv[2])))
