"""The provider SDK chat models with Sleuth's retry policy.

Kept apart from `providers.py` because importing the Anthropic and OpenAI SDKs costs seconds of
CPU: only a process that really talks to that provider pays for it (tests and demos with the
scripted model never do).
"""

from __future__ import annotations

from langchain_anthropic import ChatAnthropic
from langchain_openai import ChatOpenAI

from agent.models.retry import RetryingChatMixin, RetryPolicy


class RetryingChatAnthropic(RetryingChatMixin, ChatAnthropic):
    retry_policy: RetryPolicy = RetryPolicy()


class RetryingChatOpenAI(RetryingChatMixin, ChatOpenAI):
    retry_policy: RetryPolicy = RetryPolicy()
