"""The reflection node's deterministic checks (agent.verify) on gold and corrupted answers.

Gold answers come from the golden set with their citations resolved against the oracle replay; the
corruptions are the four in sleuth.evaluation.verifier_check. Required: >= 95 % of corrupted answers
detected, <= 5 % false alarms on gold answers.
"""

from __future__ import annotations

from agent.verify import Evidence, parse_refs, verify_answer
from sleuth.evaluation.verifier_check import (
    CORRUPTIONS,
    VerifierReport,
    add_unsupported,
    change_number,
    check_replays,
    cite_unretrieved,
    fabricate_citation,
)


def _golden_report(offline_run) -> VerifierReport:
    return check_replays([r for r in offline_run.replays if not r.case.id.startswith("sentinel-")])


def test_detection_and_false_alarm_rates(offline_run) -> None:
    report = _golden_report(offline_run)
    d = report.to_dict()
    print(
        f"\nverifier: detected {d['detected']}/{d['corrupted_answers']} ({d['detection_rate']:.1%}), "
        f"false alarms {d['false_alarms']}/{d['gold_answers']} ({d['false_alarm_rate']:.1%}); {d['by_corruption']}"
    )
    assert d["gold_answers"] >= 100
    assert report.detection_rate >= 0.95, d["missed"]
    assert report.false_alarm_rate <= 0.05, d["false_alarm_cases"]
    for kind in CORRUPTIONS:  # every corruption was really applied, to most cases
        assert d["by_corruption"][kind]["total"] >= 0.8 * d["gold_answers"], kind
    for kind in ("fabricated_citation", "unretrieved_citation", "unsupported_sentence"):
        assert d["by_corruption"][kind]["detected"] == d["by_corruption"][kind]["total"], kind


def _evidence() -> Evidence:
    ev = Evidence()
    ev.add_result(
        "search_docs",
        {"passages": [{"citation_id": "d:aaaaaaaaaa", "source": "docs/p.md", "heading_path": ["Policy", "Window"],
                       "text": "Customers may return items within 30 calendar days of the order date."}]},
    )  # fmt: skip
    ev.add_result("run_query", {"query_id": "q_1", "sql": "SELECT count(*) AS n FROM returns", "columns": ["n"],
                                "rows": [[271]], "row_count": 1})  # fmt: skip
    return ev


GOLD = "Customers may return items within 30 calendar days of the order date [d:aaaaaaaaaa]."


def test_each_corruption_changes_the_answer_and_is_caught() -> None:
    ev = _evidence()
    assert verify_answer(GOLD, ev) == []
    fabricated = fabricate_citation(GOLD, "seed")
    assert fabricated and fabricated != GOLD and "[d:" in fabricated
    assert [p.kind for p in verify_answer(fabricated, ev)] == ["unknown_citation"]
    changed = change_number(GOLD, ev, "How long is the window?")
    assert changed == GOLD.replace("30", "31")
    assert [p.kind for p in verify_answer(changed, ev)] == ["number_not_in_evidence"]
    added = add_unsupported(GOLD, 0)
    assert added.startswith(GOLD) and parse_refs(added)[-1] == ("doc", "d:aaaaaaaaaa")
    assert "unsupported_sentence" in [p.kind for p in verify_answer(added, ev)]
    pool = {"doc": ["d:aaaaaaaaaa", "d:bbbbbbbbbb"], "sql": [], "file": []}
    swapped = cite_unretrieved(GOLD, ev, pool, "seed")
    assert swapped == GOLD.replace("d:aaaaaaaaaa", "d:bbbbbbbbbb")
    assert [p.kind for p in verify_answer(swapped, ev)] == ["unknown_citation"]


def test_corruptions_skip_what_does_not_apply() -> None:
    ev = _evidence()
    abstain = "I could not find that in the handbook."
    assert fabricate_citation(abstain, "s") is None
    assert cite_unretrieved(abstain, ev, {"doc": ["d:bbbbbbbbbb"]}, "s") is None
    assert change_number(abstain, ev, "") is None
    # the nudge skips values the evidence holds: 31 is there, so the next candidate (30 + 10) is used
    ev.other.append("day 31 is late")
    assert change_number(GOLD, ev, "") == GOLD.replace("30", "40")
