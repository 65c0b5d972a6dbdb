"""Prompt templates live in `prompts/NAME.vN.md` so they are reviewed and versioned like code.

`$name` placeholders are filled with `string.Template` (so JSON braces in a prompt need no escaping);
the highest version of a name is used unless a version is pinned. The version used is recorded in a
turn's trace, so an evaluation run can say which prompts produced it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from string import Template

from sleuth.errors import SleuthError

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
_FILE = re.compile(r"^(?P<name>[a-z_]+)\.v(?P<version>\d+)\.md$")


@dataclass(frozen=True)
class Prompt:
    name: str
    version: int
    text: str

    @property
    def id(self) -> str:
        return f"{self.name}.v{self.version}"

    def render(self, **values: object) -> str:
        """Fill `$placeholders`; unknown ones are left as they are (a prompt may show a literal `$`)."""
        return Template(self.text).safe_substitute({k: str(v) for k, v in values.items()}).strip()


@cache
def load_prompt(name: str, version: int | None = None, directory: Path = PROMPTS_DIR) -> Prompt:
    """The prompt `name` at `version` (default: the highest one in `directory`)."""
    found = {
        int(m["version"]): p
        for p in directory.glob(f"{name}.v*.md")
        if (m := _FILE.match(p.name)) and m["name"] == name
    }
    if not found:
        raise SleuthError(f"prompt {name!r} not found in {directory}", fix=f"add {directory}/{name}.v1.md")
    v = version if version is not None else max(found)
    if v not in found:
        raise SleuthError(f"prompt {name}.v{v} not found in {directory}", fix=f"versions: {sorted(found)}")
    return Prompt(name, v, found[v].read_text(encoding="utf-8"))
