"""What a model call cost, from its token usage and a small price table.

Prices are USD per million tokens (input, output) for known Anthropic models; the longest matching
prefix wins, so a newer model of a known family (e.g. a later Sonnet) is estimated at its family's
price. Anything else (local OpenAI-compatible servers, the scripted model) costs 0. Anthropic prompt-cache reads bill at
0.1x and cache writes at 1.25x the input price; LangChain counts both inside `input_tokens`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PRICES_USD_PER_MTOK: dict[str, tuple[float, float]] = {
    "claude-opus-4-5": (5.0, 25.0),
    "claude-opus-4-1": (15.0, 75.0),
    "claude-opus-4": (15.0, 75.0),
    "claude-sonnet-4-5": (3.0, 15.0),
    "claude-sonnet-4": (3.0, 15.0),
    "claude-3-7-sonnet": (3.0, 15.0),
    "claude-haiku-4-5": (1.0, 5.0),
    "claude-3-5-haiku": (0.8, 4.0),
    "claude-3-haiku": (0.25, 1.25),
    # family fallbacks: estimates for models newer than this table
    "claude-opus": (5.0, 25.0),
    "claude-sonnet": (3.0, 15.0),
    "claude-haiku": (1.0, 5.0),
}
CACHE_READ_FACTOR = 0.1
CACHE_WRITE_FACTOR = 1.25


def price_of(model: str) -> tuple[float, float]:
    """(input, output) USD per MTok; the longest known prefix wins, so dated ids match too."""
    name = model.split(":", 1)[1] if model.startswith("anthropic:") else model
    best = max((k for k in PRICES_USD_PER_MTOK if name.startswith(k)), key=len, default=None)
    return PRICES_USD_PER_MTOK[best] if best else (0.0, 0.0)


def cost_usd(model: str, usage: Mapping[str, Any] | None) -> float:
    """Cost of one call given LangChain `usage_metadata` (input_tokens, output_tokens, details)."""
    if not usage:
        return 0.0
    price_in, price_out = price_of(model)
    details = usage.get("input_token_details") or {}
    cache_read = int(details.get("cache_read") or 0)
    cache_write = int(details.get("cache_creation") or 0)
    plain_in = max(0, int(usage.get("input_tokens") or 0) - cache_read - cache_write)
    billed_in = plain_in + cache_read * CACHE_READ_FACTOR + cache_write * CACHE_WRITE_FACTOR
    return (billed_in * price_in + int(usage.get("output_tokens") or 0) * price_out) / 1_000_000
