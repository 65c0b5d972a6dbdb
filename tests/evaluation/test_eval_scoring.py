"""Scoring, statistics and the case format: the parts of `sleuth eval` that need no model."""

from __future__ import annotations

from pathlib import Path

import pytest

from sleuth.errors import SleuthError
from sleuth.evaluation.cases import Fact, load_cases
from sleuth.evaluation.scoring import fact_accuracy, fact_found, numbers_in, source_recall, tool_precision_recall
from sleuth.evaluation.stats import bootstrap_ci, is_regression


def test_numbers_are_normalised() -> None:
    assert numbers_in("Revenue was $1,234.50 (up 12%) in 2025.") == [1234.5, 12.0, 2025.0]


@pytest.mark.parametrize(
    ("fact", "text", "found"),
    [
        (Fact(value=1234.5), "it was 1,234.50 dollars", True),
        (Fact(value=1234.5), "it was 1,235 dollars", False),
        (Fact(value=1234.5, tolerance=1), "it was 1,235 dollars", True),
        (Fact(value="30 days"), "Returns within 30 Days are accepted", True),
        (Fact(value="thirty days", any_of=["30 days"]), "within 30 days", True),
        (Fact(value="Denver"), "the Boulder store", False),
        (Fact(value="CO", any_of=["Colorado"]), "completed orders", False),  # short phrases are whole words
        (Fact(value="CO", any_of=["Colorado"]), "most customers live in CO (70)", True),
        (Fact(value="Monday"), "closed Mondays in winter", True),  # longer ones may take a suffix
        (Fact(value="order"), "the reorder point", False),
    ],
)
def test_fact_found(fact: Fact, text: str, found: bool) -> None:
    assert fact_found(fact, text) is found


def test_fact_accuracy_and_recall() -> None:
    assert fact_accuracy([Fact(value=3), Fact(value="tent")], "3 tents") == 1.0
    assert fact_accuracy([Fact(value=3), Fact(value="kayak")], "3 tents") == 0.5
    assert source_recall(["returns-policy.md", "orders"], ["docs/returns-policy.md#Window", "sql: orders"]) == 1.0
    assert source_recall(["returns-policy.md"], ["docs/shipping.md"]) == 0.0
    assert tool_precision_recall({"sql.run_query"}, {"sql.run_query", "docs.search_docs"}) == (0.5, 1.0)


def test_bootstrap_is_deterministic_and_brackets_the_mean() -> None:
    values = [1.0] * 80 + [0.0] * 20
    ci = bootstrap_ci(values)
    assert ci == bootstrap_ci(values)
    assert ci.low < 0.8 < ci.high and ci.mean == pytest.approx(0.8)
    worse = bootstrap_ci([1.0] * 50 + [0.0] * 50)
    assert is_regression(worse, ci)
    assert not is_regression(bootstrap_ci([1.0] * 79 + [0.0] * 21), ci)
    assert is_regression(bootstrap_ci([9.0] * 10), bootstrap_ci([1.0, 2.0] * 10), higher_is_better=False)


def test_case_file_errors_name_the_case(tmp_path: Path) -> None:
    path = tmp_path / "set.yaml"
    path.write_text("- id: a\n  question: q?\n  tags: [docs]\n")
    with pytest.raises(SleuthError, match="case a"):
        load_cases(path)
    path.write_text("- id: a\n  question: q?\n  tags: [spreadsheets]\n  facts: [{value: 1}]\n")
    with pytest.raises(SleuthError, match="case a: tags"):
        load_cases(path)
    path.write_text(
        "- id: a\n  question: q?\n  tags: [docs]\n  facts: [{value: 1}]\n"
        "- id: a\n  question: r?\n  tags: [unanswerable]\n"
    )
    with pytest.raises(SleuthError, match="duplicate case id"):
        load_cases(path)


def test_gold_answer_placeholders_must_name_a_gold_call(tmp_path: Path) -> None:
    path = tmp_path / "set.yaml"
    path.write_text(
        "- id: a\n  question: q?\n  tags: [docs]\n  facts: [{value: 1}]\n"
        "  gold_calls: [{server: docs, tool: search_docs, args: {query: x}}]\n"
        "  gold_answer: 'One [{{cite:1}}].'\n"
    )
    with pytest.raises(SleuthError, match=r"case a: gold_answer cites \{\{cite:1\}\} but the case has 1 gold call"):
        load_cases(path)
