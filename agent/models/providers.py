"""`make_chat_model("provider:model")`: the one place that turns a spec into a LangChain chat model.

- `anthropic:MODEL` (default provider) -> ChatAnthropic with automatic prompt caching (a top-level
  `cache_control`, which caches the system prompt, tools and history prefix) and streaming on.
- `openai:MODEL` -> ChatOpenAI; `agent.base_url` points it at any OpenAI-compatible server
  (Ollama, vLLM, llama.cpp), where an API key is optional.
- `scripted:PATH` -> ScriptedChatModel (tests and demos; see agent/models/scripted.py).

Real providers retry through `agent.models.retry` (the SDKs' own retries are off).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from langchain_core.language_models import BaseChatModel

from agent.models.retry import RetryPolicy
from agent.models.scripted import ScriptedChatModel
from sleuth.config import AgentSettings
from sleuth.errors import ConfigError

PROVIDERS = ("anthropic", "openai", "scripted")
REQUEST_TIMEOUT_S = 120.0
MAX_OUTPUT_TOKENS = 8192
LOCAL_KEY_PLACEHOLDER = "not-needed"
CONNECT_HELP = (
    "export ANTHROPIC_API_KEY=sk-ant-... ; or use a local OpenAI-compatible server, e.g. Ollama: "
    "SLEUTH_AGENT__MODEL=openai:llama3.1 SLEUTH_AGENT__BASE_URL=http://localhost:11434/v1"
)


def parse_spec(spec: str) -> tuple[str, str]:
    """'anthropic:claude-sonnet-4-6' -> ('anthropic', 'claude-sonnet-4-6'); a bare name means anthropic."""
    provider, sep, name = spec.partition(":")
    if not sep:
        provider, name = "anthropic", spec
    if provider not in PROVIDERS or not name:
        raise ConfigError(
            f"model spec {spec!r} is not provider:model with provider one of {', '.join(PROVIDERS)}",
            fix="use e.g. anthropic:claude-sonnet-4-6, openai:llama3.1 or scripted:path/to/script.yaml",
        )
    return provider, name


def make_chat_model(
    spec: str,
    settings: AgentSettings | None = None,
    *,
    retry: RetryPolicy | None = None,
    workspace: Path | None = None,
) -> BaseChatModel:
    """Build the chat model for `spec`. A relative scripted path is resolved against `workspace`."""
    settings = settings or AgentSettings()
    retry = retry or RetryPolicy()
    provider, name = parse_spec(spec)
    if provider == "scripted":
        path = Path(name).expanduser()
        if not path.is_absolute() and workspace is not None:
            path = workspace / path
        return ScriptedChatModel.from_file(path)
    if provider == "openai":
        from agent.models.sdk_clients import RetryingChatOpenAI

        key = os.environ.get("OPENAI_API_KEY") or (LOCAL_KEY_PLACEHOLDER if settings.base_url else None)
        return RetryingChatOpenAI(
            model=name,
            base_url=settings.base_url,
            api_key=key,
            max_retries=0,
            timeout=REQUEST_TIMEOUT_S,
            streaming=True,
            stream_usage=True,
            retry_policy=retry,
        )
    from agent.models.sdk_clients import RetryingChatAnthropic

    return RetryingChatAnthropic(
        model=name,
        max_tokens=MAX_OUTPUT_TOKENS,
        max_retries=0,
        timeout=REQUEST_TIMEOUT_S,
        streaming=True,
        stream_usage=True,
        model_kwargs={"cache_control": {"type": "ephemeral"}},
        retry_policy=retry,
    )


def make_agent_models(settings: AgentSettings, *, workspace: Path | None = None) -> tuple[BaseChatModel, BaseChatModel]:
    """(agent model, grader model). When both specs name the same script, one instance serves both,
    so the agent and the grader consume a single script (see agent/models/scripted.py)."""
    agent = make_chat_model(settings.model, settings, workspace=workspace)
    if settings.grader_model == settings.model and isinstance(agent, ScriptedChatModel):
        return agent, agent
    return agent, make_chat_model(settings.grader_model, settings, workspace=workspace)


def _spec_problem(spec: str, settings: AgentSettings, environ: Mapping[str, str], workspace: Path | None) -> str | None:
    try:
        provider, name = parse_spec(spec)
    except ConfigError as exc:
        return f"{exc.message}; {exc.fix}"
    if provider == "anthropic" and not environ.get("ANTHROPIC_API_KEY"):
        return f"No model connected: {spec} needs ANTHROPIC_API_KEY. To connect one: {CONNECT_HELP}"
    if provider == "openai" and not settings.base_url and not environ.get("OPENAI_API_KEY"):
        return (
            f"No model connected: {spec} needs OPENAI_API_KEY, or SLEUTH_AGENT__BASE_URL for a local "
            f"OpenAI-compatible server. To connect one: {CONNECT_HELP}"
        )
    if provider == "scripted":
        path = Path(name).expanduser()
        if not path.is_absolute() and workspace is not None:
            path = workspace / path
        if not path.is_file():
            return f"The scripted model's script {path} does not exist; fix the path in {spec!r}"
    return None


def model_problem(
    settings: AgentSettings, environ: Mapping[str, str] | None = None, workspace: Path | None = None
) -> str | None:
    """Why the configured models cannot be used (one short, exact explanation), or None if they can.

    Checks configuration only (keys, endpoint, script file); it makes no network call."""
    environ = os.environ if environ is None else environ
    for spec in dict.fromkeys([settings.model, settings.grader_model]):
        problem = _spec_problem(spec, settings, environ, workspace)
        if problem:
            return problem
    return None
