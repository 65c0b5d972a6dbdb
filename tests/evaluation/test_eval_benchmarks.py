"""`sleuth eval --retrieval / --sql-oracle`: the other teams' benchmarks inside the eval report."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sleuth.evaluation.benchmarks import DATA, run_retrieval, run_sql_oracle
from sleuth.evaluation.report import compare


def test_missing_data_is_reported_as_skipped_not_as_a_failure(tmp_path: Path) -> None:
    assert "SciFact not found" in run_retrieval(tmp_path)["skipped"]
    assert "defog data not found" in asyncio.run(run_sql_oracle(tmp_path, tmp_path / "out"))["skipped"]


def test_benchmark_drops_are_gated_against_the_baseline() -> None:
    base = {"benchmarks": {"retrieval": {"ndcg@10": 0.686, "recall@100": 0.91}, "sql_oracle": {"run_rate": 0.97}}}
    same = compare(base, base)
    assert same == []
    worse = {"benchmarks": {"retrieval": {"ndcg@10": 0.60, "recall@100": 0.91}, "sql_oracle": {"skipped": "x"}}}
    assert [(r["where"], r["metric"], r["gated"]) for r in compare(worse, base)] == [
        ("benchmarks.retrieval", "ndcg@10", True)
    ]


@pytest.mark.slow
def test_retrieval_benchmark_runs_on_scifact() -> None:
    if not (DATA / "scifact" / "corpus.jsonl").is_file():
        pytest.skip(f"SciFact is not at {DATA / 'scifact'}")
    r = run_retrieval()
    assert r["queries"] == 300 and 0.6 < r["ndcg@10"] <= 1.0 and r["recall@100"] > 0.8


@pytest.mark.slow
def test_sql_oracle_runs_on_defog(tmp_path: Path) -> None:
    if not (DATA / "defog" / "questions_gen_postgres.csv").is_file():
        pytest.skip(f"defog is not at {DATA / 'defog'}")
    r = asyncio.run(run_sql_oracle(out_dir=tmp_path / "defog"))
    assert r["questions"] >= 200 and r["run_rate"] > 0.9 and r["load_failures"] == 0
