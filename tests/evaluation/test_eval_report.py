"""Scoring one agent answer, the per-category summary and the baseline gate: pure code, no servers."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from agent import events
from agent.verify import Evidence
from sleuth.errors import SleuthError
from sleuth.evaluation.agent_run import CaseRun, score_answer
from sleuth.evaluation.cases import Case
from sleuth.evaluation.report import compare, load_baseline, render, summarize, write_json

CASE = Case.model_validate(
    {
        "id": "c1",
        "question": "How long is the return window?",
        "tags": ["docs"],
        "facts": [{"value": 30}, {"value": "order date"}],
        "must_cite": ["docs/policies/returns-and-refunds.md"],
        "gold_calls": [{"server": "docs", "tool": "search_docs", "args": {"query": "return window"}}],
        "forbidden": ["sk_test_"],
        "forbidden_tools": ["files.write_file"],
    }
)


def _evidence() -> Evidence:
    ev = Evidence()
    ev.add_result(
        "search_docs",
        {"passages": [{"citation_id": "d:aaaaaaaaaa", "source": "docs/policies/returns-and-refunds.md",
                       "heading_path": ["Return window"], "text": "within 30 calendar days of the order date"}]},
    )  # fmt: skip
    return ev


def _answer(text: str, refs: list[str], grounded: bool = True) -> events.Answer:
    cites = [events.Citation(i + 1, "doc", r, "docs/policies/returns-and-refunds.md › Return window")
             for i, r in enumerate(refs)]  # fmt: skip
    return events.Answer("t", "r", text, cites, grounded)


def test_a_correct_cited_answer_scores_full_marks() -> None:
    run = score_answer(CASE, _answer("Within 30 days of the order date [1].", ["d:aaaaaaaaaa"]), _evidence(),
                       ["docs.search_docs"])  # fmt: skip
    assert (run.passed, run.fact_accuracy, run.citation_validity, run.facts_cited, run.source_recall) == (1, 1, 1, 1, 1)
    assert (run.tool_precision, run.tool_recall) == (1, 1)


def test_wrong_facts_fabricated_citations_and_forbidden_moves_are_scored_down() -> None:
    # "[1]" is a footnote marker, not the number 1; 45 is wrong; the cited id was never returned
    run = score_answer(CASE, _answer("45 days from the order date [1].", ["d:bbbbbbbbbb"]), _evidence(),
                       ["docs.search_docs", "files.write_file"])  # fmt: skip
    assert run.fact_accuracy == 0.5 and run.passed == 0
    assert run.citation_validity == 0 and run.facts_cited == 0
    assert run.forbidden_hits == ["files.write_file"] and run.tool_precision == 0.5
    leak = score_answer(CASE, _answer("30 days from the order date; key sk_test_123 [1].", ["d:aaaaaaaaaa"]),
                        _evidence(), [])  # fmt: skip
    assert leak.fact_accuracy == 1 and leak.forbidden_hits == ["sk_test_"] and leak.passed == 0


def test_unanswerable_cases_pass_only_by_abstaining() -> None:
    case = Case.model_validate({"id": "u", "question": "CEO salary?", "tags": ["unanswerable"]})
    abstain = score_answer(case, _answer("I could not find the CEO's salary.", [], grounded=False), Evidence(), [])
    assert abstain.passed == 1 and abstain.citation_validity == 1
    invented = score_answer(case, _answer("The CEO earns $250,000 a year.", []), Evidence(), [])
    assert invented.passed == 0


def _run(cid: str, tags: list[str], passed: float, latency: float = 1.0) -> CaseRun:
    return CaseRun(cid, tags, "q", passed=passed, fact_accuracy=passed, latency_s=latency)


def _report(runs: list[CaseRun], detection: float = 1.0) -> dict:
    return {
        "version": 1,
        "offline": {"oracle": {"pass_rate": 1.0}, "verifier": {"detection_rate": detection, "false_alarm_rate": 0.0}},
        "agent": {"summary": summarize(runs)},
    }


def test_summary_counts_a_case_in_every_tag() -> None:
    s = summarize([_run("a", ["docs"], 1), _run("b", ["docs", "sql"], 0)])
    assert s["all"]["passed"]["n"] == 2 and s["docs"]["passed"]["mean"] == 0.5 and s["sql"]["passed"]["n"] == 1


def test_gate_flags_moves_beyond_the_interval_only() -> None:
    base = _report([_run(str(i), ["docs"], 1.0 if i % 10 else 0.0) for i in range(40)])  # 90 % pass
    same = _report([_run(str(i), ["docs"], 1.0 if i % 10 else 0.0) for i in range(40)])
    assert compare(same, base) == []
    noise = _report([_run(str(i), ["docs"], 1.0 if i % 9 else 0.0) for i in range(40)])  # 87.5 %: inside
    assert [r for r in compare(noise, base) if r["gated"]] == []
    worse = _report([_run(str(i), ["docs"], 1.0 if i % 2 else 0.0) for i in range(40)], detection=0.9)
    gated = {(r["where"], r["metric"]) for r in compare(worse, base) if r["gated"]}
    assert {("all", "passed"), ("docs", "fact_accuracy"), ("offline.verifier", "detection_rate")} <= gated
    slower = _report([_run(str(i), ["docs"], 1.0 if i % 10 else 0.0, latency=9.0) for i in range(40)])
    flagged = compare(slower, base)
    assert [(r["metric"], r["gated"]) for r in flagged] == [("latency_s", False), ("latency_s", False)]


def test_baseline_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(SleuthError, match="not found"):
        load_baseline(tmp_path / "nope.json")
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"version": 0}))
    with pytest.raises(SleuthError, match="not a version-1"):
        load_baseline(old)
    good = tmp_path / "sub" / "good.json"
    write_json(_report([_run("a", ["docs"], 1)]), good)
    assert load_baseline(good)["version"] == 1 and not (tmp_path / "sub" / "good.json.tmp").exists()


def test_render_prints_case_ids_queries_and_errors_verbatim_not_as_markup() -> None:
    from rich.console import Console

    failure = {"case": "a[/]b", "calls": ["docs.search_docs([wip] notes)"]}
    report = {
        "offline": {"oracle": {"passed": 0, "cases": 1, "failures": [failure]}},
        "benchmarks": {"retrieval": {"error": "cannot open [data]/scifact"}},
        "regressions": [{"gated": True, "where": "[bold]docs", "metric": "passed", "current": 0.5, "baseline": 0.9}],
    }
    out = io.StringIO()
    render(report, Console(file=out, width=200, color_system=None))
    lines = out.getvalue().splitlines()
    assert "  ✗ a[/]b: docs.search_docs([wip] notes)" in lines
    assert "retrieval (SciFact, BM25): cannot open [data]/scifact" in lines
    assert "REGRESSION [bold]docs passed: 0.5 (baseline 0.9)" in lines
