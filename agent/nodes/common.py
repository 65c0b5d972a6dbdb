"""What every node shares: its dependencies, event emission, usage accounting, timing."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.runnables import Runnable, RunnableConfig
from langgraph.config import get_stream_writer
from pydantic import BaseModel

from agent import events
from agent.models import cost_usd
from agent.nodes.toolbox import Toolbox
from agent.state import SleuthState, Usage
from sleuth.config import Settings

M = TypeVar("M", bound=BaseModel)
NodeFn = Callable[[SleuthState, RunnableConfig], Awaitable[dict[str, Any]]]


@dataclass
class Deps:
    """Everything a node needs that is not state: never checkpointed, rebuilt in each process."""

    settings: Settings
    model: BaseChatModel
    grader: BaseChatModel
    toolbox: Toolbox
    model_spec: str = ""
    grader_spec: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def thread_of(config: RunnableConfig) -> str:
    return str((config.get("configurable") or {}).get("thread_id", ""))


def emit(config: RunnableConfig, state: SleuthState, cls: type[events.Event], **fields: Any) -> None:
    """Send one typed event to whoever streams this run (stream_mode="custom"); a no-op otherwise."""
    writer = get_stream_writer()
    writer(cls(thread_id=thread_of(config), run_id=state.get("run_id", ""), **fields))


def add_usage(usage: Usage | None, message: BaseMessage | None, spec: str) -> Usage:
    """The turn's usage plus one model call's tokens and cost."""
    u = Usage(**(usage or Usage(tokens_in=0, tokens_out=0, cost_usd=0.0, model_calls=0)))
    meta = getattr(message, "usage_metadata", None) if message is not None else None
    u["model_calls"] += 1
    if meta:
        u["tokens_in"] += int(meta.get("input_tokens") or 0)
        u["tokens_out"] += int(meta.get("output_tokens") or 0)
        u["cost_usd"] += cost_usd(spec, meta)
    return u


def structured(model: BaseChatModel, schema: type[M]) -> Runnable[Any, Any]:
    """The model asked for `schema`, raw message included (for usage); build once per node."""
    return model.with_structured_output(schema, include_raw=True)


async def structured_call(
    runnable: Runnable[Any, Any], schema: type[M], prompt: str, config: RunnableConfig
) -> tuple[M | None, AIMessage | None]:
    """Run a `structured(...)` runnable; (None, raw) when the reply does not parse (callers fall back)."""
    out = await runnable.ainvoke(prompt, config)
    raw = out.get("raw") if isinstance(out, dict) else None
    parsed = out.get("parsed") if isinstance(out, dict) else out
    if isinstance(parsed, dict):
        parsed = schema.model_validate(parsed)
    return (parsed if isinstance(parsed, schema) else None), raw


def traced(name: events.NodeName, fn: NodeFn, *, announce: bool = True) -> NodeFn:
    """Wrap a node: announce it (NodeStarted), time it, and append its step to the turn's trace."""

    async def run(state: SleuthState, config: RunnableConfig) -> dict[str, Any]:
        if announce:
            emit(config, state, events.NodeStarted, node=name)
        started = time.perf_counter()
        update = await fn(state, config)
        step = {"node": name, "elapsed_ms": round((time.perf_counter() - started) * 1000, 3), **update.pop("_step", {})}
        extra = update.pop("_trace", [])
        update["trace"] = [*state.get("trace", []), *extra, step]
        return update

    run.__name__ = name
    return run
