"""Model specs, the no-model explanation, and the price table."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.models import cost_usd, make_chat_model, model_problem
from agent.models.sdk_clients import RetryingChatAnthropic, RetryingChatOpenAI
from sleuth.config import AgentSettings
from sleuth.errors import ConfigError


def test_no_key_explains_exactly_how_to_connect_a_model() -> None:
    problem = model_problem(AgentSettings(), environ={})
    assert problem is not None
    assert f"{AgentSettings().model} needs ANTHROPIC_API_KEY" in problem
    assert "SLEUTH_AGENT__MODEL=openai:" in problem and "SLEUTH_AGENT__BASE_URL=http://localhost:11434/v1" in problem
    assert model_problem(AgentSettings(), environ={"ANTHROPIC_API_KEY": "sk-ant-x"}) is None


def test_openai_compatible_needs_a_key_or_a_base_url() -> None:
    local = AgentSettings(model="openai:llama3.1", grader_model="openai:llama3.1")
    assert "needs OPENAI_API_KEY, or SLEUTH_AGENT__BASE_URL" in model_problem(local, environ={})
    assert model_problem(local, environ={"OPENAI_API_KEY": "sk-x"}) is None
    with_url = AgentSettings(model="openai:llama3.1", grader_model="openai:llama3.1", base_url="http://127.0.0.1:9/v1")
    assert model_problem(with_url, environ={}) is None


def test_the_grader_is_checked_too(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text("- text: hi\n", encoding="utf-8")
    settings = AgentSettings(model="scripted:s.yaml", grader_model="anthropic:claude-haiku-4-5")
    assert "anthropic:claude-haiku-4-5 needs ANTHROPIC_API_KEY" in model_problem(settings, {}, tmp_path)
    missing = AgentSettings(model="scripted:gone.yaml", grader_model="scripted:gone.yaml")
    assert "gone.yaml does not exist" in model_problem(missing, {}, tmp_path)
    assert "is not provider:model" in model_problem(AgentSettings(model="gpt:x"), {"ANTHROPIC_API_KEY": "k"})


def test_specs_build_the_right_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-x")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    claude = make_chat_model("claude-haiku-4-5")  # no provider: anthropic
    assert isinstance(claude, RetryingChatAnthropic) and claude.model == "claude-haiku-4-5"
    assert claude.max_retries == 0 and claude.streaming and claude.model_kwargs["cache_control"]
    local = make_chat_model("openai:qwen2.5", AgentSettings(base_url="http://127.0.0.1:11434/v1"))
    assert isinstance(local, RetryingChatOpenAI) and local.max_retries == 0
    assert local.openai_api_key.get_secret_value() == "not-needed"
    with pytest.raises(ConfigError, match="'mistral:x' is not provider:model"):
        make_chat_model("mistral:x")


def test_cost_from_usage() -> None:
    usage = {"input_tokens": 2_000_000, "output_tokens": 1_000_000}
    assert cost_usd("anthropic:claude-sonnet-4-5", usage) == pytest.approx(6 + 15)
    assert cost_usd("claude-haiku-4-5-20251001", usage) == pytest.approx(2 + 5)  # dated id
    assert cost_usd("claude-sonnet-4-6", usage) == pytest.approx(21)  # newer model: family estimate
    cached = {**usage, "input_token_details": {"cache_read": 1_000_000, "cache_creation": 0}}
    assert cost_usd("claude-sonnet-4-5", cached) == pytest.approx(3 + 0.3 + 15)
    assert cost_usd("llama3.1", usage) == 0.0 and cost_usd("scripted:x.yaml", usage) == 0.0
    assert cost_usd("claude-sonnet-4-5", None) == 0.0
