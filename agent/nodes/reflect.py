"""reflect: check the draft against this turn's evidence — deterministic checks first, then a critique.

The model critique only runs when the deterministic checks pass (no point paying for a verdict on
an answer with a fabricated citation). A trivial turn (the plan needed no tools, the draft cites and
counts nothing) passes without either.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, Field

from agent import events
from agent.nodes.common import Deps, add_usage, emit, structured, structured_call
from agent.prompts import load_prompt
from agent.state import SleuthState
from agent.untrusted import Flag
from agent.verify import Evidence, extract_numbers, parse_refs, verify_answer

MAX_EVIDENCE_CHARS = 24_000
MAX_ROWS_SHOWN = 50


class Critique(BaseModel):
    supported: list[str] = Field(default_factory=list, description="claims the evidence supports")
    unsupported: list[str] = Field(default_factory=list, description="claims the evidence does not support")
    missing: list[str] = Field(default_factory=list, description="parts of the question left unanswered")
    verdict: Literal["pass", "fail"] = Field(description="pass only if all claims are supported")


def evidence_text(ev: Evidence) -> str:
    """The evidence as the grader reads it, ids first so it can match the draft's citations."""
    parts = [f"[{cid}] {p.source} > {p.heading}\n{p.text}" for cid, p in ev.passages.items()]
    for qid, q in ev.queries.items():
        rows = "\n".join(json.dumps(r, default=str) for r in q.rows[:MAX_ROWS_SHOWN])
        more = f"\n… {q.row_count - MAX_ROWS_SHOWN} more rows" if q.row_count > MAX_ROWS_SHOWN else ""
        parts.append(f"[sql:{qid}] {q.sql}\ncolumns: {q.columns}\n{rows}{more}")
    for path, lines in ev.files.items():
        parts.append("\n".join(f"[file:{path}:{n}] {t}" for n, t in sorted(lines.items())))
    parts += ev.other
    text = "\n\n".join(parts)
    return text if len(text) <= MAX_EVIDENCE_CHARS else text[:MAX_EVIDENCE_CHARS] + "\n… [evidence truncated]"


def is_trivial(state: SleuthState, draft: str) -> bool:
    plan = state.get("plan") or {}
    return plan.get("needs_tools") is False and not parse_refs(draft) and not extract_numbers(draft)


def make_reflect(deps: Deps):
    prompt = load_prompt("critique")
    ask = structured(deps.grader, Critique)

    async def reflect(state: SleuthState, config: RunnableConfig) -> dict[str, Any]:
        draft = state.get("draft", "")
        evidence = Evidence.from_dict(state.get("evidence"))
        update: dict[str, Any] = {}
        critique: Critique | None = None
        if is_trivial(state, draft):
            problems: list[str] = []
        else:
            problems = [str(p) for p in verify_answer(draft, evidence, state.get("question", ""))]
            if not problems and parse_refs(draft):
                text = prompt.render(question=state.get("question", ""), evidence=evidence_text(evidence), draft=draft)
                critique, raw = await structured_call(ask, Critique, text, config)
                update["usage"] = add_usage(state.get("usage"), raw, deps.grader_spec)
                update["prompts"] = {**state.get("prompts", {}), "critique": prompt.id}
                if critique is not None and critique.verdict == "fail":
                    problems += [f"unsupported_claim: {c}" for c in critique.unsupported]
                    problems += [f"missing_part: {c}" for c in critique.missing]
                    problems = problems or ["critique: the grader failed the draft"]
        passed = not problems
        will_correct = not passed and state.get("corrections", 0) < deps.settings.agent.max_corrections
        warnings = [_flag_line(f) for f in state.get("flags", [])]
        emit(
            config,
            state,
            events.ReflectionVerdict,
            passed=passed,
            problems=problems + warnings,
            correction=state.get("corrections", 0) + 1 if will_correct else 0,
        )
        update["verdict"] = {
            "passed": passed,
            "problems": problems,
            "critique": critique.model_dump() if critique is not None else None,
        }
        update["_step"] = {"passed": passed, "problems": len(problems)}
        return update

    return reflect


def _flag_line(flag: dict[str, Any]) -> str:
    return Flag(**flag).describe()
