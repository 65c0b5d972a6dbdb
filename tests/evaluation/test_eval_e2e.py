"""`sleuth eval` end to end with the scripted model: real agent graph, real stdio servers, real report.

Four golden cases (docs, files, unanswerable, multi-turn) are answered by a scripted model; the report JSON is
checked, then a degraded script is run against the first report as --baseline and must exit 1.
"""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import yaml
from evaltestkit import E2E_CASES, GOLDEN, GOOD_RETURN_WINDOW, REPO, VAGUE_RETURN_WINDOW, e2e_script
from rich.console import Console
from sleuth_testkit import SLEUTH

from sleuth.config import Settings, load_settings
from sleuth.evaluation.cli import run_eval

SCRIPT = "eval-script.yaml"


def _prepare(ws: Path, return_window_answer: str) -> tuple[Settings, Path]:
    cases = {c["id"]: c for c in yaml.safe_load(GOLDEN.read_text(encoding="utf-8"))["cases"]}
    set_file = ws / "e2e-set.yaml"
    set_file.write_text(yaml.safe_dump({"cases": [cases[i] for i in E2E_CASES]}, sort_keys=False), encoding="utf-8")
    (ws / SCRIPT).write_text(yaml.safe_dump(e2e_script(return_window_answer), sort_keys=False), encoding="utf-8")
    spec = f"scripted:{SCRIPT}"
    agent = {"model": spec, "grader_model": spec, "max_corrections": 0}
    return load_settings(ws, overrides={"agent": agent}, environ={}), set_file


def _console() -> Console:
    return Console(file=io.StringIO(), width=100)


def test_scripted_eval_writes_a_report_and_the_baseline_gate_fails_on_a_regression(demo_copy: Path) -> None:
    settings, set_file = _prepare(demo_copy, GOOD_RETURN_WINDOW)
    run1 = demo_copy / "run1.json"
    console = _console()
    assert run_eval(settings, set_file=set_file, out=run1, console=console) == 0
    shown = console.file.getvalue()  # type: ignore[attr-defined]
    assert "oracle replay: 4/4" in shown and "quality" in shown

    report = json.loads(run1.read_text(encoding="utf-8"))
    assert report["version"] == 1 and report["meta"]["model"] == f"scripted:{SCRIPT}"
    assert report["offline"]["oracle"] == {"cases": 4, "passed": 4, "pass_rate": 1.0, "failures": []}
    assert report["offline"]["verifier"]["false_alarms"] == 0
    by_id = {c["id"]: c for c in report["agent"]["cases"]}
    assert list(by_id) == E2E_CASES
    docs, files, unans, turn = (by_id[i] for i in E2E_CASES)
    assert docs["answer"].startswith("Customers may return most items within 30 calendar days")
    assert [c["kind"] for c in docs["citations"]] == ["doc"] and docs["tools_used"] == ["docs.search_docs"]
    assert files["citations"][0]["ref"] == "files/config/store_settings.yaml:13"
    for case in (docs, files):
        assert case["error"] is None
        assert (case["passed"], case["fact_accuracy"], case["citation_validity"], case["facts_cited"]) == (1, 1, 1, 1)
        assert (case["source_recall"], case["tool_precision"], case["tool_recall"]) == (1, 1, 1)
        assert case["steps"] == 4 and case["tokens"] > 0 and case["latency_s"] > 0
    assert unans["passed"] == 1 and unans["citations"] == []
    # the follow-up was asked after its history question on the same thread; only its own turn is scored
    assert turn["passed"] == 1 and turn["answer"].startswith("The meals per diem is $65") and turn["steps"] == 4
    summary = report["agent"]["summary"]
    assert summary["all"]["passed"] == {"mean": 1.0, "low": 1.0, "high": 1.0, "n": 4}
    assert set(summary) == {"all", "docs", "files", "unanswerable", "multi-turn"}
    assert report["regressions"] == []

    # the same cases with a vaguer (still cited, still verified) answer, gated on run 1
    settings, set_file = _prepare(demo_copy, VAGUE_RETURN_WINDOW)
    run2 = demo_copy / "run2.json"
    console = _console()
    assert run_eval(settings, set_file=set_file, baseline=run1, out=run2, console=console) == 1
    report2 = json.loads(run2.read_text(encoding="utf-8"))
    docs2 = report2["agent"]["cases"][0]
    assert docs2["passed"] == 0 and docs2["fact_accuracy"] == 0.5 and docs2["citation_validity"] == 1
    flagged = {(r["where"], r["metric"]) for r in report2["regressions"] if r["gated"]}
    assert {("all", "passed"), ("docs", "fact_accuracy"), ("all", "fact_accuracy")} <= flagged
    assert ("files", "passed") not in flagged  # unchanged cases are not flagged
    assert "REGRESSION" in console.file.getvalue()  # type: ignore[attr-defined]


def _sleuth(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SLEUTH), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_cli_usage_errors_are_one_clear_line(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    missing = _sleuth("eval", "--workspace", str(ws), "--offline", cwd=REPO)
    assert missing.returncode == 2 and "golden set" in missing.stderr and "Traceback" not in missing.stderr
    (ws / "golden.yaml").write_text("cases: []\n", encoding="utf-8")
    empty = _sleuth("eval", "--workspace", str(ws), "--offline", cwd=REPO)
    assert empty.returncode == 2 and "holds no cases" in empty.stderr
    one_case = "cases:\n- {id: a, question: 'Where?', tags: [unanswerable], gold_answer: I could not find it.}\n"
    (ws / "golden.yaml").write_text(one_case, encoding="utf-8")
    (tmp_path / "base.json").write_text("{not json", encoding="utf-8")
    bad = _sleuth("eval", "--workspace", str(ws), "--baseline", str(tmp_path / "base.json"), cwd=REPO)
    assert bad.returncode == 2 and "is not a JSON report" in bad.stderr and "Traceback" not in bad.stderr
    no_model = _sleuth("eval", "--workspace", str(ws), "--model", "scripted:missing.yaml", cwd=REPO)
    assert no_model.returncode == 2 and "cannot run the agent" in no_model.stderr and "--offline" in no_model.stderr
