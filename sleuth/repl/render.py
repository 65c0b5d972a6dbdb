"""Turn events into terminal output: a live status line, streamed tokens, Markdown answers, footnotes.

`TurnView` consumes `agent.events.Event`s and nothing else, so the same code renders a live turn, a
resumed approval and a unit test's recorded events. The model's draft (DraftToken) and the checked
answer (Token) are shown the moment they arrive (the live region repaints on each token, throttled);
the final answer is then printed once more as Markdown, with its footnotes.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.panel import Panel
from rich.spinner import Spinner
from rich.text import Text

from agent import events as ev
from sleuth.repl.state import ReplState

NODE_STATUS = {
    "plan": "planning",
    "act": "thinking",
    "tools": "calling tools",
    "reflect": "reflecting",
    "requery": "re-querying",
    "answer": "writing the answer",
    "summarize": "summarizing the history",
}
TOKEN_REFRESH_S = 0.03  # at most ~30 repaints a second while tokens stream


def markdown(text: str, style: str = "none") -> RenderableType:
    """rich's Markdown, imported on first use: markdown-it is slow to import and the prompt comes first."""
    from rich.markdown import Markdown

    return Markdown(text, style=style)


def one_line(text: str, limit: int) -> str:
    """Collapse whitespace and cut to `limit` characters with an ellipsis."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def compact_args(args: dict[str, Any], limit: int = 70) -> str:
    """A tool call's arguments on one short line: the bare value when there is only one."""
    if len(args) == 1:
        return one_line(str(next(iter(args.values()))), limit)
    parts = [
        f"{k}={v!r}" if isinstance(v, str) else f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in args.items()
    ]
    return one_line(", ".join(parts), limit)


def first_line(text: str, limit: int = 60) -> str:
    for line in text.splitlines():
        if line.strip():
            return one_line(line, limit)
    return ""


def error_text(message: str, fix: str = "") -> Text:
    """The one readable error line (plus the fix) used everywhere in the REPL."""
    out = Text.assemble(("error: ", "bold red"), message)
    if fix:
        out.append("\n  fix: ", style="yellow")
        out.append(fix)
    return out


def tool_line(number: int, call: ev.ToolCallStarted, done: ev.ToolCallFinished | None, width: int = 100) -> Text:
    """`✓ [3] sql.run_query(SELECT …) → 12 rows · 35 ms` on one line of `width` (`/expand 3` shows all)."""
    mark, style = ("✗", "red") if done is not None and done.is_error else ("✓", "green")
    tail = Text()
    if done is not None:
        summary = first_line(done.text, 36)
        if summary:
            tail.append(f" → {summary}", style="red" if done.is_error else "")
        tail.append(f" · {done.elapsed_ms:.0f} ms", style="dim")
    head = Text("  ")
    head.append(mark, style=style)
    head.append(f" [{number}] ", style="dim")
    head.append(f"{call.server}.{call.tool}", style="cyan")
    room = max(12, width - len(head) - len(tail) - 3)
    head.append(f"({compact_args(call.args, room)})", style="dim")
    return head + tail


def citation_lines(citations: list[ev.Citation]) -> Text:
    out = Text()
    for c in citations:
        out.append(f"[{c.marker}] ", style="bold")
        if c.kind == "sql":
            out.append("SQL ", style="magenta")
        out.append(c.label or c.ref)
        out.append("\n")
    out.rstrip()
    return out


def usage_line(usage: dict[str, Any], elapsed_s: float, thread_id: str) -> Text:
    """The dim footer of an answer: time, tokens, cost, corrections and the thread to resume."""
    parts = [f"{elapsed_s:.1f} s"]
    if "tokens_in" in usage or "tokens_out" in usage:
        parts.append(f"{int(usage.get('tokens_in', 0)):,} in / {int(usage.get('tokens_out', 0)):,} out tokens")
    if usage.get("cost_usd"):
        parts.append(f"${float(usage['cost_usd']):.4f}")
    if usage.get("corrections"):
        parts.append(f"{usage['corrections']} correction(s)")
    parts.append(f"thread {thread_id}")
    return Text(" · ".join(parts), style="dim")


def approval_panel(req: ev.ApprovalRequested) -> Panel:
    shown = {k: (v if not isinstance(v, str) or len(v) <= 600 else v[:600] + "…") for k, v in req.args.items()}
    body = Text.assemble(
        (f"{req.server}.{req.tool}", "bold cyan"),
        " wants to run",
        (f" ({req.reason})" if req.reason else "", "dim"),
        "\n",
        json.dumps(shown, indent=2, ensure_ascii=False),
        "\n\n",
        ("/approve", "bold green"),
        " to run it, ",
        ("/reject", "bold red"),
        " to refuse, ",
        ("/edit {json}", "bold yellow"),
        " to run it with other arguments",
        (f"\nthread {req.thread_id}: it waits across restarts (sleuth chat --resume {req.thread_id})", "dim"),
    )
    return Panel(body, title="approval needed", title_align="left", border_style="yellow")


class TurnView:
    """Renders one turn. Use as a context manager around the event loop of the turn."""

    def __init__(self, console: Console, state: ReplState, clock: Callable[[], float] = time.monotonic):
        self.console = console
        self.state = state
        self._clock = clock
        self._t0 = clock()
        self._node = "starting"
        self._detail = ""
        self._inflight: dict[str, ev.ToolCallStarted] = {}
        self._streamed: list[str] = []  # the checked answer, as Token events stream it
        self._draft: list[str] = []  # the model's current draft (dim), until the checked answer replaces it
        self._last_paint = 0.0
        self._live: Live | None = None
        self._spinner = Spinner("dots", style="cyan")  # one instance: its frame follows its own start time
        self.answer: ev.Answer | None = None
        self.error: ev.TurnError | None = None
        self.approval: ev.ApprovalRequested | None = None

    # -- live region -------------------------------------------------------------------------
    def __enter__(self) -> TurnView:
        self._live = Live(
            get_renderable=self._renderable,
            console=self.console,
            transient=True,
            refresh_per_second=8,
            redirect_stdout=False,
            redirect_stderr=False,
        )
        self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
        if self.answer is None and self._streamed:  # cancelled mid-answer: keep what was said
            self.console.print(markdown("".join(self._streamed)))
        elif self.answer is None and self._draft:
            self.console.print(Text("unchecked draft (the turn stopped before reflection):", style="dim"))
            self.console.print(markdown("".join(self._draft), style="dim"))

    @property
    def elapsed(self) -> float:
        return self._clock() - self._t0

    def status(self) -> str:
        """What the agent is doing right now, e.g. `sql.run_query… 1.2s`."""
        if self._inflight:
            label = ", ".join(f"{c.server}.{c.tool}" for c in self._inflight.values())
        elif self._node == "requery" and self._detail:
            label = f"re-querying: {one_line(self._detail, 60)}"
        else:
            label = NODE_STATUS.get(self._node, self._node)
        return f"{label}… {self.elapsed:.1f}s"

    def _tail(self, pieces: list[str]) -> str:
        """The end of streamed text that fits above the status line (the rest scrolled off)."""
        text = "".join(pieces)
        room = max(3, self.console.height - 3)
        width = max(20, self.console.width)
        kept: list[str] = []
        used = 0
        for line in reversed(text.split("\n")):
            used += max(1, math.ceil(len(line) / width))
            if used > room:
                break
            kept.append(line)
        return "\n".join(reversed(kept))

    def _renderable(self) -> RenderableType:
        self._spinner.update(text=Text(self.status(), style="dim"))
        if self.answer is None and self._streamed:
            return Group(markdown(self._tail(self._streamed)), self._spinner)
        if self.answer is None and self._draft:
            return Group(markdown(self._tail(self._draft), style="dim"), self._spinner)
        return self._spinner

    def _paint(self, force: bool = False) -> None:
        now = self._clock()
        if self._live is not None and (force or now - self._last_paint >= TOKEN_REFRESH_S):
            self._last_paint = now
            self._live.refresh()

    # -- events ------------------------------------------------------------------------------
    def handle(self, event: ev.Event) -> None:
        if event.thread_id:
            self.state.thread_id = event.thread_id
        if isinstance(event, ev.Token):
            self._streamed.append(event.text)
            self._draft.clear()
            self._paint(force=len(self._streamed) == 1)
        elif isinstance(event, ev.DraftToken):
            self._draft.append(event.text)
            self._paint(force=len(self._draft) == 1)
        elif isinstance(event, ev.NodeStarted):
            self._node, self._detail = event.node, event.detail
            if event.node == "act":
                self._draft.clear()  # each model step writes a new draft
            if event.node == "requery" and event.detail:
                self.console.print(Text(f"  ↻ re-querying: {one_line(event.detail, 100)}", style="yellow"))
            self._paint(force=True)
        elif isinstance(event, ev.ToolCallStarted):
            self._inflight[event.call_id] = event
            self.state.record_start(event)
            self._paint(force=True)
        elif isinstance(event, ev.ToolCallFinished):
            self._inflight.pop(event.call_id, None)
            rec = self.state.record_finish(event)
            if rec is None:  # started before a restart (an approved call): record it from its result
                started = ev.ToolCallStarted(event.thread_id, event.run_id, event.call_id, event.server, event.tool, {})
                self.state.record_start(started)
                rec = self.state.record_finish(event)
            if rec is not None:
                line = tool_line(rec.number, rec.started, event, self.console.width)
                self.console.print(line, no_wrap=True, overflow="ellipsis")
                if rec.number == 1:  # once per session: how to see a call in full
                    self.console.print(Text("    (/expand N shows call N in full)", style="dim"))
        elif isinstance(event, ev.ReflectionVerdict):
            self._print_verdict(event)
        elif isinstance(event, ev.ApprovalRequested):
            self.approval = event
            self.state.pending = event
            self.console.print(approval_panel(event))
        elif isinstance(event, ev.Answer):
            self._print_answer(event)
        elif isinstance(event, ev.TurnError):
            self.error = event
            self.console.print(error_text(event.message, event.fix))

    def _print_verdict(self, verdict: ev.ReflectionVerdict) -> None:
        if verdict.passed:
            self.console.print(Text("  ✓ reflection: the evidence supports the answer", style="dim green"))
            return
        problems = "; ".join(verdict.problems) or "the evidence is not enough"
        self.console.print(Text(f"  ↻ reflection: {one_line(problems, 160)}", style="yellow"))

    def _print_answer(self, answer: ev.Answer) -> None:
        self.answer = answer
        self.state.pending = None
        self.state.add_usage(answer.usage)
        self._paint(force=True)  # drop the streamed preview before printing the final rendering
        self.console.print()
        self.console.print(markdown(answer.text))
        if answer.citations:
            self.console.print()
            self.console.print(citation_lines(answer.citations))
        if not answer.grounded:
            self.console.print(Text("  (not enough evidence for a grounded answer)", style="yellow"))
        self.console.print(usage_line(answer.usage, self.elapsed, answer.thread_id))
