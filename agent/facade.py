"""`Sleuth`: the async library facade over the graph — servers, checkpoints and typed events.

    async with Sleuth(Path("examples/demo")) as sleuth:
        answer = await sleuth.ask("What is the return window?")
        async for event in sleuth.stream("And for sale items?", thread_id=answer.thread_id):
            ...

Every turn streams `agent.events` objects. A turn paused for approval is checkpointed; `decide()`
continues it, in this process or in a later one on the same checkpoint database. Cancelling the
task that iterates `stream()` leaves the checkpoint at the last completed step: `resume()` finishes
that turn, and a new question on the thread simply starts a new turn.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.types import Command

from agent import events
from agent.graph import build_graph
from agent.memory import fork_thread, list_threads, open_checkpointer, open_store
from agent.models import model_problem
from agent.nodes.plan import REQUERY_NAME
from agent.nodes.toolbox import BridgeLike
from agent.state import new_turn
from sleuth.config import Settings, load_settings
from sleuth.errors import SleuthError
from sleuth.logs import bind_run, details_hint, get_logger

log = get_logger(__name__)

Decision = Literal["approve", "reject", "edit"]


@dataclass(frozen=True)
class TurnTrace:
    """What one turn did: node and tool steps with timings, tokens, cost, corrections, flags."""

    thread_id: str
    run_id: str
    steps: list[dict[str, Any]]  # {"node", "elapsed_ms", ...}; tool calls have node "tool", server, tool
    tokens_in: int
    tokens_out: int
    cost_usd: float
    model_calls: int
    corrections: int
    flags: list[dict[str, Any]]  # agent.untrusted.Flag dicts
    stop_reason: str
    prompts: dict[str, str]
    elapsed_ms: float  # wall clock from the question to the last checkpoint
    problems: list[str] = field(default_factory=list)  # the last reflection's problems


class Sleuth:
    """The library entry point; use as `async with Sleuth(settings_or_workspace) as s:`.

    `model`/`grader` override the configured `provider:model` specs (tests pass a scripted model);
    `bridge` replaces the three Sleuth MCP servers with any object shaped like `MCPBridge`;
    `user_id` namespaces long-term memory.
    """

    def __init__(
        self,
        settings_or_workspace: Settings | Path | str,
        *,
        model: BaseChatModel | None = None,
        grader: BaseChatModel | None = None,
        bridge: BridgeLike | None = None,
        user_id: str = "local",
    ) -> None:
        s = settings_or_workspace
        self.settings: Settings = s if isinstance(s, Settings) else load_settings(Path(s))
        self._model = model
        self._grader = grader
        self._own_bridge = bridge is None
        self.bridge: Any = bridge
        self.user_id = user_id
        self.model_problem: str | None = (
            None if model is not None else model_problem(self.settings.agent, workspace=self.settings.workspace)
        )
        self.graph: Any = None
        self.checkpointer: Any = None
        self.store: Any = None
        self._stack: AsyncExitStack | None = None
        self._traces: dict[str, TurnTrace] = {}

    # -- lifecycle -----------------------------------------------------------------------------

    async def __aenter__(self) -> Sleuth:
        stack = AsyncExitStack()
        await stack.__aenter__()
        try:
            if self._own_bridge:
                from agent.mcp_bridge import MCPBridge, sleuth_server_configs

                self.bridge = await stack.enter_async_context(
                    MCPBridge(
                        sleuth_server_configs(self.settings),
                        call_timeout_s=self.settings.agent.tool_timeout_s,
                        stderr_dir=self.settings.logs_dir,
                    )
                )
            self.checkpointer = await stack.enter_async_context(open_checkpointer(self.settings))
            self.store = await stack.enter_async_context(open_store(self.settings))
            if self.model_problem is None:
                self.graph = build_graph(
                    self.settings,
                    model=self._model,
                    grader=self._grader,
                    bridge=self.bridge,
                    checkpointer=self.checkpointer,
                    store=self.store,
                )
        except BaseException:
            await stack.aclose()
            raise
        self._stack = stack
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._stack is not None:
            stack, self._stack = self._stack, None
            await stack.aclose()

    # -- turns ---------------------------------------------------------------------------------

    async def ask(self, question: str, thread_id: str | None = None) -> events.Answer:
        """Run one turn to its answer. Raises SleuthError on a turn error or a pending approval."""
        answer: events.Answer | None = None
        async for ev in self.stream(question, thread_id):  # to the end: the last checkpoint follows Answer
            if isinstance(ev, events.Answer):
                answer = ev
            elif isinstance(ev, events.TurnError):
                raise SleuthError(ev.message, ev.fix or None)
            elif isinstance(ev, events.ApprovalRequested):
                raise SleuthError(
                    f"the turn is waiting for approval of {ev.server}.{ev.tool}",
                    fix=f"continue it with decide({ev.thread_id!r}, 'approve' | 'reject' | 'edit')",
                )
        if answer is None:
            raise SleuthError("the turn ended without an answer", fix="see last_trace(thread_id)")
        return answer

    def stream(self, question: str, thread_id: str | None = None) -> AsyncIterator[events.Event]:
        """One turn as typed events: NodeStarted, ToolCall*, Token, ReflectionVerdict, Approval…, Answer."""
        thread = thread_id or new_thread_id()
        turn = new_turn(question, user_id=self.user_id)
        return self._run(turn, thread, turn["run_id"])

    def decide(
        self, thread_id: str, decision: Decision, edited_args: dict[str, Any] | None = None
    ) -> AsyncIterator[events.Event]:
        """Continue a turn paused for approval: approve, reject, or approve with `edited_args`."""
        if decision not in ("approve", "reject", "edit"):
            raise SleuthError(f"unknown decision {decision!r}", fix="use 'approve', 'reject' or 'edit'")
        if decision == "edit" and not isinstance(edited_args, dict):
            raise SleuthError("an 'edit' decision needs edited_args", fix="pass edited_args={...}")
        return self._continue(thread_id, {"decision": decision, "args": edited_args}, need_interrupt=True)

    def resume(self, thread_id: str) -> AsyncIterator[events.Event]:
        """Finish a turn that stopped mid-way (cancelled, or its process died) from its last checkpoint."""
        return self._continue(thread_id, None, need_interrupt=False)

    async def _continue(self, thread_id: str, resume: Any, *, need_interrupt: bool) -> AsyncIterator[events.Event]:
        graph = self._graph()
        snap = await graph.aget_state(_config(thread_id, self.settings))
        waiting = any(t.interrupts for t in snap.tasks)
        run_id = str(snap.values.get("run_id", "")) if snap.values else ""
        if need_interrupt and not waiting:
            yield events.TurnError(thread_id, run_id, "nothing on this thread is waiting for approval")
            return
        if not snap.next:
            yield events.TurnError(thread_id, run_id, "this thread has no unfinished turn")
            return
        if waiting and resume is None:
            yield events.TurnError(
                thread_id, run_id, "the turn is waiting for approval", fix="use decide(thread_id, 'approve'|...)"
            )
            return
        async for ev in self._run(Command(resume=resume) if resume is not None else None, thread_id, run_id):
            yield ev

    async def _run(self, graph_input: Any, thread_id: str, run_id: str) -> AsyncIterator[events.Event]:
        if self.model_problem is not None:
            yield events.TurnError(thread_id, run_id, self.model_problem)
            return
        graph = self._graph()
        config = _config(thread_id, self.settings)
        bind_run(run_id, thread_id)
        last: dict[str, Any] | None = None  # the state after the last step (no extra checkpoint read)
        try:
            async for mode, chunk in graph.astream(
                graph_input, config, stream_mode=["custom", "messages", "updates", "values"], durability="sync"
            ):
                if mode == "custom" and isinstance(chunk, events.Event):
                    yield chunk
                elif mode == "messages":
                    draft = _draft_piece(chunk, thread_id, run_id)
                    if draft is not None:
                        yield draft
                elif mode == "values":
                    last = chunk
                elif mode == "updates" and "__interrupt__" in chunk:
                    for intr in chunk["__interrupt__"]:
                        yield _approval(thread_id, run_id, intr.value)
        except SleuthError as exc:
            yield events.TurnError(thread_id, run_id, exc.message, exc.fix or "")
        except Exception as exc:  # one readable line; the details go to the log file
            log.error("turn failed", exc_info=exc)
            yield events.TurnError(thread_id, run_id, f"{type(exc).__name__}: {exc}", details_hint())
        if last is not None:
            self._traces[thread_id] = _trace(thread_id, last)

    # -- inspection ----------------------------------------------------------------------------

    async def pending_approval(self, thread_id: str) -> events.ApprovalRequested | None:
        snap = await self._graph().aget_state(_config(thread_id, self.settings))
        for task in snap.tasks:
            for intr in task.interrupts:
                return _approval(thread_id, str(snap.values.get("run_id", "")), intr.value)
        return None

    async def threads(self) -> list[Any]:
        """The conversations in the checkpoint store, newest first (agent.memory.ThreadInfo)."""
        return await list_threads(self.checkpointer)

    async def history(self, thread_id: str) -> list[tuple[str, str]]:
        """(role, text) of the conversation: "user" questions and "assistant" answers."""
        snap = await self._graph().aget_state(_config(thread_id, self.settings))
        out: list[tuple[str, str]] = []
        for m in (snap.values or {}).get("messages", []):
            if isinstance(m, HumanMessage) and m.name != REQUERY_NAME:
                out.append(("user", m.text))
            elif isinstance(m, AIMessage) and not m.tool_calls and m.text:
                out.append(("assistant", m.text))
        return out

    async def fork(self, thread_id: str) -> str:
        """A new thread that starts as a copy of `thread_id`'s latest checkpoint; returns its id."""
        return await fork_thread(self.checkpointer, thread_id)

    def last_trace(self, thread_id: str) -> TurnTrace:
        """The trace of the latest turn run on `thread_id` by this Sleuth instance."""
        try:
            return self._traces[thread_id]
        except KeyError:
            raise SleuthError(
                f"no turn has run on thread {thread_id!r} in this session", fix="ask a question on it first"
            ) from None

    def _graph(self) -> Any:
        if self.graph is None:
            if self.model_problem is not None:
                raise SleuthError(self.model_problem)
            raise SleuthError("Sleuth is not started", fix="use `async with Sleuth(...) as sleuth:`")
        return self.graph


def _trace(thread_id: str, v: dict[str, Any]) -> TurnTrace:
    """The turn's trace from the graph state it ended with."""
    usage = v.get("usage") or {}
    steps = list(v.get("trace", []))
    return TurnTrace(
        thread_id=thread_id,
        run_id=str(v.get("run_id", "")),
        steps=steps,
        tokens_in=int(usage.get("tokens_in", 0)),
        tokens_out=int(usage.get("tokens_out", 0)),
        cost_usd=float(usage.get("cost_usd", 0.0)),
        model_calls=int(usage.get("model_calls", 0)),
        corrections=int(v.get("corrections", 0)),
        flags=list(v.get("flags", [])),
        stop_reason=str(v.get("stop_reason", "")),
        prompts=dict(v.get("prompts", {})),
        elapsed_ms=round((time.time() - float(v.get("started_at", time.time()))) * 1000, 1),
        problems=list((v.get("verdict") or {}).get("problems", [])),
    )


def new_thread_id() -> str:
    return uuid.uuid4().hex[:16]


def _config(thread_id: str, settings: Settings) -> RunnableConfig:
    # each act step is at most act + tools; corrections add reflect + requery; plus plan/summarize/answer
    limit = 2 * settings.agent.max_steps + 3 * (settings.agent.max_corrections + 1) + 10
    return {"configurable": {"thread_id": thread_id}, "recursion_limit": limit}


def _approval(thread_id: str, run_id: str, value: Any) -> events.ApprovalRequested:
    v = value if isinstance(value, dict) else {}
    return events.ApprovalRequested(
        thread_id=thread_id,
        run_id=run_id,
        call_id=str(v.get("call_id", "")),
        server=str(v.get("server", "")),
        tool=str(v.get("tool", "")),
        args=dict(v.get("args") or {}),
        reason=str(v.get("reason", "")),
    )


def _draft_piece(chunk: Any, thread_id: str, run_id: str) -> events.DraftToken | None:
    """A token the act node's model just streamed (plan, critique and summary calls are not drafts)."""
    message, meta = chunk
    if meta.get("langgraph_node") != "act" or not isinstance(message, AIMessageChunk):
        return None
    text = message.text
    return events.DraftToken(thread_id, run_id, text) if text else None
