"""What one tool call produced, in the shape the agent and the front ends use."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from mcp_types import CallToolResult, EmbeddedResource, ResourceLink, TextContent, TextResourceContents

MAX_TEXT_CHARS = 60_000


@dataclass
class ToolOutcome:
    text: str  # text content joined: what the model sees (bounded)
    structured: dict[str, Any] | None  # the result's structured_content, kept as is
    is_error: bool  # tool errors are results, never exceptions
    resource_links: list[dict[str, Any]] = field(default_factory=list)  # {uri, name, mimeType}
    elapsed_ms: float = 0.0


def bound_text(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n… [truncated {len(text) - limit} characters]"


def error_outcome(message: str, elapsed_ms: float = 0.0) -> ToolOutcome:
    return ToolOutcome(text=message, structured=None, is_error=True, elapsed_ms=elapsed_ms)


def to_outcome(result: CallToolResult, elapsed_ms: float) -> ToolOutcome:
    """Text blocks become the text; links and structured content are kept beside it."""
    parts: list[str] = []
    links: list[dict[str, Any]] = []
    for block in result.content:
        if isinstance(block, TextContent):
            parts.append(block.text)
        elif isinstance(block, ResourceLink):
            links.append({"uri": str(block.uri), "name": block.name, "mimeType": block.mime_type})
        elif isinstance(block, EmbeddedResource) and isinstance(block.resource, TextResourceContents):
            parts.append(block.resource.text)
        else:
            parts.append(f"[{block.type} content omitted]")
    structured = result.structured_content
    if structured is not None and not isinstance(structured, dict):
        structured = {"value": structured}
    if not parts and structured is not None:
        parts.append(json.dumps(structured, ensure_ascii=False, default=str))
    return ToolOutcome(
        text=bound_text("\n".join(parts)),
        structured=structured,
        is_error=bool(result.is_error),
        resource_links=links,
        elapsed_ms=elapsed_ms,
    )
