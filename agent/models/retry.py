"""One retry policy for provider calls: 429, 5xx and timeouts, exponential backoff with jitter.

The SDK clients are built with `max_retries=0` so this is the only policy (no retries of retries).
A streamed call is retried only until its first chunk arrives: once tokens have reached the user,
repeating the call would duplicate them, so a later failure propagates.
"""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from langchain_core.messages.ai import add_usage
from langchain_core.outputs import ChatGenerationChunk, ChatResult
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from agent.models.pricing import cost_usd
from sleuth.logs import get_logger

log = get_logger(__name__)

TRANSIENT_STATUS = {408, 409, 425, 429}
MAX_RETRY_AFTER_S = 30.0


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    initial_s: float = 0.5
    max_s: float = 20.0


def is_transient(exc: BaseException) -> bool:
    """Rate limits, server errors, overloads, timeouts and dropped connections are worth a retry."""
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return status in TRANSIENT_STATUS or status >= 500
    return isinstance(exc, _connection_errors())


def _connection_errors() -> tuple[type[BaseException], ...]:
    """The SDKs' connection errors, looked up only if their SDK is loaded (an SDK that was never
    imported cannot have raised), so this module does not pay the SDKs' import time."""
    errors: list[type[BaseException]] = [httpx.TransportError, TimeoutError]
    for sdk in ("anthropic", "openai"):
        module = sys.modules.get(sdk)
        if module is not None:
            errors.append(module.APIConnectionError)
    return tuple(errors)


def _retry_after(exc: BaseException | None) -> float | None:
    response = getattr(exc, "response", None)
    raw = response.headers.get("retry-after") if isinstance(response, httpx.Response) else None
    try:
        return min(MAX_RETRY_AFTER_S, max(0.0, float(raw))) if raw is not None else None
    except ValueError:
        return None


class _Wait:
    """Honour the server's Retry-After when it sends one, else exponential backoff with jitter."""

    def __init__(self, policy: RetryPolicy) -> None:
        self.backoff = wait_exponential_jitter(multiplier=policy.initial_s, max=policy.max_s)

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = _retry_after(exc)
        return hinted if hinted is not None else self.backoff(state)


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.warning("model call failed, retrying", attempt=state.attempt_number, error=repr(exc)[:300])


def _kwargs(policy: RetryPolicy) -> dict[str, Any]:
    return {
        "stop": stop_after_attempt(policy.attempts),
        "wait": _Wait(policy),
        "retry": retry_if_exception(is_transient),
        "before_sleep": _log_retry,
        "reraise": True,
    }


def _record(model: str, usage: dict[str, Any] | None, started: float) -> None:
    log.info(
        "model call",
        model=model,
        input_tokens=(usage or {}).get("input_tokens", 0),
        output_tokens=(usage or {}).get("output_tokens", 0),
        cost_usd=round(cost_usd(model, usage), 6),
        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
    )


class RetryingChatMixin:
    """Mixed in before a LangChain chat model class: retries + a usage/cost log line per call.

    The concrete class must define a `retry_policy: RetryPolicy` field and `model_name`/`model`.
    """

    retry_policy: RetryPolicy

    def _spec_name(self) -> str:
        return str(getattr(self, "model", None) or getattr(self, "model_name", "unknown"))

    def _generate(self, *args: Any, **kwargs: Any) -> ChatResult:
        started = time.perf_counter()
        for attempt in Retrying(**_kwargs(self.retry_policy)):
            with attempt:
                result = super()._generate(*args, **kwargs)  # type: ignore[misc]
        _record(self._spec_name(), result.generations[0].message.usage_metadata, started)
        return result

    async def _agenerate(self, *args: Any, **kwargs: Any) -> ChatResult:
        started = time.perf_counter()
        async for attempt in AsyncRetrying(**_kwargs(self.retry_policy)):
            with attempt:
                result = await super()._agenerate(*args, **kwargs)  # type: ignore[misc]
        _record(self._spec_name(), result.generations[0].message.usage_metadata, started)
        return result

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        started = time.perf_counter()
        for attempt in Retrying(**_kwargs(self.retry_policy)):
            with attempt:
                stream = super()._stream(*args, **kwargs)  # type: ignore[misc]
                first = next(stream, None)
        usage: Any = None
        if first is not None:
            usage = _add_usage(usage, first)
            yield first
            for chunk in stream:
                usage = _add_usage(usage, chunk)
                yield chunk
        _record(self._spec_name(), usage, started)

    async def _astream(self, *args: Any, **kwargs: Any) -> AsyncIterator[ChatGenerationChunk]:
        started = time.perf_counter()
        async for attempt in AsyncRetrying(**_kwargs(self.retry_policy)):
            with attempt:
                stream = super()._astream(*args, **kwargs)  # type: ignore[misc]
                first = await anext(stream, None)
        usage: Any = None
        if first is not None:
            usage = _add_usage(usage, first)
            yield first
            async for chunk in stream:
                usage = _add_usage(usage, chunk)
                yield chunk
        _record(self._spec_name(), usage, started)


def _add_usage(total: Any, chunk: ChatGenerationChunk) -> Any:
    usage = getattr(chunk.message, "usage_metadata", None)
    return add_usage(total, usage) if usage else total
