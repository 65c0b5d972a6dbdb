"""Run golden cases through the real agent (`agent.facade.Sleuth`) and score each answer.

One `Sleuth` (one bridge, one model) serves the whole set; every case gets its own thread, and a
multi-turn case asks its `history` questions on that thread first. Scores come from what the run
produced: the answer text and citations, and the tool results (rebuilt into the verifier's
`Evidence`, exactly as the agent's tools node builds it).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from agent import events
from agent.verify import Evidence, Ref, check_ref, cited_text
from sleuth.config import Settings
from sleuth.errors import SleuthError
from sleuth.evaluation.cases import Case
from sleuth.evaluation.scoring import fact_accuracy, fact_found, source_recall, tool_precision_recall

NO_MODEL_FIX = "set the model's API key, pass --model provider:model, or run only the no-model tier with --offline"
_FOOTNOTE = re.compile(r"\[\d+\]")
_SOURCES_BLOCK = re.compile(r"\n\s*Sources:\s*\n.*\Z", re.S)
ABSTAIN = re.compile(
    r"\b(could not|couldn't|cannot|can't|unable to|did not find|didn't find|do(?:es)? not (?:state|say|mention|"
    r"include|contain|record)|no (?:evidence|information|data|record|exact|specific|firm)|not (?:enough|available|"
    r"mentioned|stated|found|in the)|not (?:yet )?(?:set|known|decided|announced|specified))\b",
    re.I,
)


@dataclass
class CaseRun:
    """One case's outcome; every metric is in [0, 1] except the cost-like ones (steps … cost_usd)."""

    id: str
    tags: list[str]
    question: str
    answer: str = ""
    grounded: bool = False
    error: str | None = None
    tools_used: list[str] = field(default_factory=list)
    citations: list[dict[str, str]] = field(default_factory=list)
    forbidden_hits: list[str] = field(default_factory=list)
    # quality
    passed: float = 0.0
    fact_accuracy: float = 0.0
    citation_validity: float = 0.0
    facts_cited: float = 0.0
    source_recall: float = 0.0
    tool_precision: float = 0.0
    tool_recall: float = 0.0
    # cost
    steps: float = 0.0
    corrections: float = 0.0
    latency_s: float = 0.0
    tokens: float = 0.0
    cost_usd: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ref(c: events.Citation) -> Ref:
    """A shown citation in the verifier's ref form."""
    return (c.kind, c.ref.removeprefix("sql:") if c.kind == "sql" else c.ref)


def prose(answer: str) -> str:
    """The answer without footnote markers and the appended source list (their numbers are not claims)."""
    return _FOOTNOTE.sub(" ", _SOURCES_BLOCK.sub("", answer))


def score_answer(case: Case, answer: events.Answer, evidence: Evidence, tools_used: Sequence[str]) -> CaseRun:
    """Score one final answer against its case (pure: no I/O)."""
    run = CaseRun(case.id, list(case.tags), case.question, answer=answer.text, grounded=answer.grounded)
    text = prose(answer.text)
    refs = [_ref(c) for c in answer.citations]
    valid = [r for r in refs if check_ref(r, evidence) is None]
    unanswerable = "unanswerable" in case.tags
    if unanswerable:
        abstained = (not answer.grounded) or bool(ABSTAIN.search(text))
        run.fact_accuracy = 1.0 if abstained else 0.0
    else:
        run.fact_accuracy = fact_accuracy(case.facts, text)
    run.citation_validity = len(valid) / len(refs) if refs else (1.0 if unanswerable else 0.0)
    support = cited_text(valid, evidence)
    run.facts_cited = (
        sum(fact_found(f, support) for f in case.facts) / len(case.facts) if case.facts else run.citation_validity
    )
    sources = [f"{c.label} {c.ref}" for c in answer.citations]
    sources += [evidence.passages[v].source for k, v in valid if k == "doc" and v in evidence.passages]
    run.source_recall = source_recall(case.must_cite, sources)
    run.tools_used = list(tools_used)
    run.tool_precision, run.tool_recall = tool_precision_recall(case.gold_tools, set(tools_used))
    run.citations = [{"kind": c.kind, "ref": c.ref, "label": c.label} for c in answer.citations]
    run.forbidden_hits = [p for p in case.forbidden if re.search(p, answer.text, re.I | re.M)]
    run.forbidden_hits += [t for t in case.forbidden_tools if t in tools_used]
    run.passed = float(run.fact_accuracy == 1.0 and not run.forbidden_hits)
    return run


async def _turn(sleuth: Any, question: str, thread: str, evidence: Evidence, used: list[str]) -> events.Answer:
    answer: events.Answer | None = None
    async for ev in sleuth.stream(question, thread):
        if isinstance(ev, events.ToolCallStarted):
            used.append(f"{ev.server}.{ev.tool}")
        elif isinstance(ev, events.ToolCallFinished) and not ev.is_error:
            evidence.add_result(ev.tool, ev.structured, ev.text)
        elif isinstance(ev, events.Answer):
            answer = ev
        elif isinstance(ev, events.TurnError):
            raise SleuthError(ev.message, ev.fix or None)
        elif isinstance(ev, events.ApprovalRequested):
            raise SleuthError(f"the run asked for approval of {ev.server}.{ev.tool}; eval never approves")
    if answer is None:
        raise SleuthError("the turn ended without an answer")
    return answer


async def run_case(sleuth: Any, case: Case) -> CaseRun:
    """Ask the case (after its history, on a fresh thread) and score the final answer."""
    thread = f"eval-{case.id}-{uuid.uuid4().hex[:8]}"
    evidence = Evidence()
    used: list[str] = []
    try:
        for earlier in case.history:
            await _turn(sleuth, earlier, thread, evidence, [])
        started = time.perf_counter()
        answer = await _turn(sleuth, case.question, thread, evidence, used)
        latency = time.perf_counter() - started
    except SleuthError as exc:
        return CaseRun(case.id, list(case.tags), case.question, error=exc.message, tools_used=used)
    run = score_answer(case, answer, evidence, used)
    trace = sleuth.last_trace(thread)
    run.steps = float(trace.model_calls)
    run.corrections = float(trace.corrections)
    run.tokens = float(trace.tokens_in + trace.tokens_out)
    run.cost_usd = float(trace.cost_usd)
    run.latency_s = round(latency, 3)
    return run


async def run_cases(
    settings: Settings,
    cases: Sequence[Case],
    on_case: Callable[[CaseRun], None] | None = None,
    *,
    bridge: Any = None,
) -> list[CaseRun]:
    """Every case through one started Sleuth with the configured model (on `bridge`, else its own servers)."""
    from agent.facade import Sleuth

    runs: list[CaseRun] = []
    async with Sleuth(settings, bridge=bridge) as sleuth:
        if sleuth.model_problem is not None:
            raise SleuthError(f"cannot run the agent: {sleuth.model_problem}", fix=NO_MODEL_FIX)
        for case in cases:
            run = await run_case(sleuth, case)
            runs.append(run)
            if on_case is not None:
                on_case(run)
    return runs
