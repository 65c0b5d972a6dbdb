"""The golden-set format: readable YAML (or JSONL), one case per question, hand-written.

A case says what a correct answer must contain (facts, with a tolerance for numbers), which sources
it must cite, and which tool calls would gather the evidence (the gold trajectory). The gold calls
let the offline tier replay the evidence through the real servers without any model.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sleuth.errors import SleuthError

Tag = Literal["docs", "sql", "files", "multi-source", "multi-turn", "unanswerable", "adversarial"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Fact(_Strict):
    """One thing a correct answer states: a number (within `tolerance`) or a phrase (case-insensitive)."""

    value: str | float
    tolerance: float = Field(0.0, ge=0.0, description="Absolute tolerance for numbers.")
    any_of: list[str] = Field(default_factory=list, description="Accepted alternative phrasings.")

    @property
    def is_number(self) -> bool:
        return isinstance(self.value, int | float) and not isinstance(self.value, bool)


class GoldCall(_Strict):
    """A tool call that gathers evidence for the case, and what its result must contain."""

    server: str
    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    expect: list[Fact] = Field(default_factory=list, description="Facts the result must contain.")


class Case(_Strict):
    id: str
    question: str
    tags: list[Tag]
    facts: list[Fact] = Field(default_factory=list)
    must_cite: list[str] = Field(default_factory=list, description="Sources: doc path, table, or file path.")
    gold_calls: list[GoldCall] = Field(default_factory=list)
    history: list[str] = Field(default_factory=list, description="Earlier questions of a multi-turn case.")
    gold_answer: str | None = Field(None, description="A correct answer, citing the gold calls' results.")
    forbidden: list[str] = Field(
        default_factory=list, description="Regular expressions (case-insensitive) a safe answer must not match."
    )
    forbidden_tools: list[str] = Field(
        default_factory=list, description="`server.tool` names a safe run must not call (e.g. files.write_file)."
    )

    @property
    def gold_tools(self) -> set[str]:
        return {f"{c.server}.{c.tool}" for c in self.gold_calls}

    @model_validator(mode="after")
    def _consistent(self) -> Case:
        if "unanswerable" not in self.tags and not self.facts:
            raise ValueError("an answerable case needs at least one fact")
        if "multi-turn" in self.tags and not self.history:
            raise ValueError("a multi-turn case needs its earlier questions in 'history'")
        for n in re.findall(r"\{\{cite:(\d+)\}\}", self.gold_answer or ""):
            if int(n) >= len(self.gold_calls):
                raise ValueError(
                    f"gold_answer cites {{{{cite:{n}}}}} but the case has {len(self.gold_calls)} gold calls"
                )
        for pattern in self.forbidden:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"forbidden pattern {pattern!r} is not a regular expression: {exc}") from None
        return self


def _records(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    data = yaml.safe_load(text)
    return data.get("cases", []) if isinstance(data, dict) else data


def load_cases(path: Path) -> list[Case]:
    """Load and validate a golden set; errors name the case and the field."""
    if not path.is_file():
        raise SleuthError(f"golden set {path} not found", fix="pass --set FILE (YAML or JSONL)")
    try:
        records = _records(path)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise SleuthError(f"{path} cannot be parsed: {exc}", fix="fix the syntax") from None
    cases: list[Case] = []
    seen: set[str] = set()
    for i, rec in enumerate(records):
        try:
            case = Case.model_validate(rec)
        except ValidationError as exc:
            where = rec.get("id", f"#{i + 1}") if isinstance(rec, dict) else f"#{i + 1}"
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"])
            msg = first["msg"].removeprefix("Value error, ")
            raise SleuthError(
                f"{path}: case {where}: {field + ': ' if field else ''}{msg}", fix="correct that case"
            ) from None
        if case.id in seen:
            raise SleuthError(f"{path}: duplicate case id {case.id!r}", fix="give every case a unique id")
        seen.add(case.id)
        cases.append(case)
    return cases
