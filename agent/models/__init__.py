"""Chat models by `provider:model` spec (anthropic, openai-compatible, scripted), with retries and cost."""

from agent.models.pricing import PRICES_USD_PER_MTOK, cost_usd
from agent.models.providers import RetryPolicy, make_agent_models, make_chat_model, model_problem
from agent.models.scripted import ScriptedChatModel, ScriptError, load_script

__all__ = [
    "PRICES_USD_PER_MTOK",
    "RetryPolicy",
    "ScriptError",
    "ScriptedChatModel",
    "cost_usd",
    "load_script",
    "make_agent_models",
    "make_chat_model",
    "model_problem",
]
