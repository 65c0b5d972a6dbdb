"""agent.verify on hand-made evidence: gold answers pass, each kind of corruption is caught."""

from __future__ import annotations

import pytest

from agent.verify import Evidence, extract_numbers, parse_refs, verify_answer


@pytest.fixture
def ev() -> Evidence:
    e = Evidence()
    e.add_result(
        "search_docs",
        {
            "passages": [
                {
                    "citation_id": "d:3f9a1c2b7e",
                    "source": "docs/policies/returns.md",
                    "heading_path": ["Returns", "Return window"],
                    "text": "Customers may return unworn items within 30 days of delivery for a full refund. "
                    "Sale items are final. Late returns need a manager's approval.",
                }
            ]
        },
        "",
    )
    e.add_result(
        "run_query",
        {
            "query_id": "q_1a2b3c",
            "sql": "SELECT region, SUM(amount) AS revenue FROM orders GROUP BY region",
            "columns": ["region", "revenue"],
            "rows": [["West", 1234.5], ["East", 987]],
            "row_count": 2,
        },
    )
    e.add_result(
        "read_file",
        {
            "path": "files/notes/ops.txt",
            "start_line": 1,
            "lines": [{"line": 1, "text": "Warehouse moved to Denver in March."}, {"line": 2, "text": "Staff: 42"}],
        },
    )
    match = {"path": "files/a.md", "line": 7, "text": "Dock 3 closed"}
    e.add_result("search_files", {"pattern": "x", "matches": [match]})
    e.add_result("list_sources", None, "d:9999999999 is listed here but never fetched")
    return e


GOLD = (
    "Unworn items can be returned within 30 days of delivery for a full refund [d:3f9a1c2b7e]. "
    "West revenue was $1,234.50 and East revenue was $987 [sql:q_1a2b3c]. "
    "Combined, the two regions total 2,221.5 in revenue [sql:q_1a2b3c].\n\n"
    "The warehouse moved to Denver in March [file:files/notes/ops.txt:1], and dock 3 closed [file:files/a.md:7]."
)


def kinds(answer: str, ev: Evidence, question: str = "") -> list[str]:
    return [p.kind for p in verify_answer(answer, ev, question)]


def test_gold_answer_passes(ev: Evidence) -> None:
    assert verify_answer(GOLD, ev) == []


@pytest.mark.parametrize(
    ("corrupt", "kind"),
    [
        (lambda a: a.replace("d:3f9a1c2b7e", "d:0000000000"), "unknown_citation"),
        (lambda a: a.replace("sql:q_1a2b3c]. Comb", "sql:q_ffffff]. Comb"), "unknown_citation"),
        (lambda a: a.replace("ops.txt:1]", "ops.txt:9]"), "citation_not_retrieved"),
        (lambda a: a.replace("d:3f9a1c2b7e", "d:9999999999"), "citation_not_retrieved"),
        (lambda a: a.replace("file:files/a.md", "file:files/b.md"), "unknown_citation"),
        (lambda a: a.replace("1,234.50", "1,334.50"), "number_not_in_evidence"),
        (lambda a: a.replace("30 days", "45 days"), "number_not_in_evidence"),
        (lambda a: a.replace("2,221.5", "2,500"), "number_not_in_evidence"),
        (
            lambda a: a + "\n\nSale items can be exchanged for store credit at any Kestrel location [d:3f9a1c2b7e].",
            "unsupported_sentence",
        ),
        (lambda a: a + "\n\nThe company employs 57 people in its distribution center.", "uncited_claim"),
        (lambda a: a.replace("[d:3f9a1c2b7e]", "[doc:returns.md]"), "unknown_citation"),
    ],
)
def test_corruptions_are_caught(ev: Evidence, corrupt, kind: str) -> None:
    assert kind in kinds(corrupt(GOLD), ev)


def test_number_normalisation(ev: Evidence) -> None:
    for text in ("1234.5", "1,234.50", "$1,234.5", "1.2 thousand", "1,235"):
        assert kinds(f"West revenue was {text} [sql:q_1a2b3c].", ev) == [], text
    e = Evidence()
    e.add_result("run_query", {"query_id": "q_9", "sql": "SELECT share", "columns": ["share"], "rows": [[0.125]]})
    assert kinds("The share is 12.5% [sql:q_9].", e) == []
    assert kinds("The share is 13.5% [sql:q_9].", e) == ["number_not_in_evidence"]


def test_derived_numbers_need_a_cue_and_cited_operands(ev: Evidence) -> None:
    assert kinds("West revenue was 247.5 higher than East [sql:q_1a2b3c].", ev) == []
    assert kinds("West revenue was 247.5 [sql:q_1a2b3c].", ev) == ["number_not_in_evidence"]
    # operands from evidence the sentence does not cite do not count
    assert "number_not_in_evidence" in kinds("Combined, that is 1264.5 in total [sql:q_1a2b3c].", ev)


def test_question_numbers_list_ordinals_and_identifiers_are_not_checked(ev: Evidence) -> None:
    answer = "1. In Q3 of 2031, unworn items can be returned within 30 days [d:3f9a1c2b7e]."
    assert kinds(answer, ev, question="What about Q3 2031?") == []


def test_paragraph_citation_covers_its_sentences(ev: Evidence) -> None:
    answer = "Unworn items can be returned within 30 days. Sale items are final [d:3f9a1c2b7e]."
    assert kinds(answer, ev) == []


def test_no_evidence_and_abstention() -> None:
    empty = Evidence()
    assert kinds("Revenue was 5 [sql:q_1].", empty) == ["no_evidence"]
    assert kinds("I could not find any information about the return window.", empty) == []


def test_refs_and_numbers_parse() -> None:
    assert parse_refs("a [d:3f9a1c2b7e; sql:q_1, file:docs/a b.md:3-5] b") == [
        ("doc", "d:3f9a1c2b7e"),
        ("sql", "q_1"),
        ("file", "docs/a b.md:3-5"),
    ]
    assert [n.value for n in extract_numbers("$1.2 million, 3.5%, 1,000 [1] v2 Q4")] == [1200000, 3.5, 1000]


def test_evidence_round_trips(ev: Evidence) -> None:
    again = Evidence.from_dict(ev.to_dict())
    assert verify_answer(GOLD, again) == [] and again.to_dict() == ev.to_dict()
