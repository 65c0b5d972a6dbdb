"""Render every settings key as a Markdown table, from the model itself.

The README embeds this table between markers and a test keeps the two identical, so the
documentation of configuration cannot drift from the code.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from sleuth.config import Settings

BEGIN = "<!-- config-reference:begin -->"
END = "<!-- config-reference:end -->"


def _default(field: Any) -> str:
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return ""
    if value is None:
        return "—"
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value) and len(value) > 4:
        return f"{len(value)} patterns (`{value[0]}`, `{value[1]}`, …)"
    return "`" + json.dumps(value, default=str) + "`"


def _env_name(path: list[str]) -> str:
    return "SLEUTH_" + "__".join(p.upper() for p in path)


def rows(model: type[BaseModel] = Settings, prefix: list[str] | None = None) -> list[str]:
    prefix = prefix or []
    out: list[str] = []
    for name, field in model.model_fields.items():
        path = [*prefix, name]
        ann = field.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out.extend(rows(ann, path))
            continue
        key = ".".join(path)
        env = "`--workspace` / `SLEUTH_WORKSPACE`" if key == "workspace" else f"`{_env_name(path)}`"
        out.append(f"| `{key}` | {_default(field)} | {env} | {field.description or ''} |")
    return out


def render() -> str:
    head = ["| key | default | environment | meaning |", "|---|---|---|---|"]
    return "\n".join([BEGIN, *head, *rows(), END])


if __name__ == "__main__":
    print(render())
