"""Sleuth's agent: `build_graph` (the compiled LangGraph graph) and `Sleuth` (the async facade).

Both are imported lazily, so `import agent.events` stays cheap for front ends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.facade import Sleuth, TurnTrace
    from agent.graph import build_graph

__all__ = ["Sleuth", "TurnTrace", "build_graph"]


def __getattr__(name: str) -> Any:
    if name == "build_graph":
        from agent.graph import build_graph

        return build_graph
    if name in ("Sleuth", "TurnTrace"):
        from agent import facade

        return getattr(facade, name)
    raise AttributeError(f"module 'agent' has no attribute {name!r}")
