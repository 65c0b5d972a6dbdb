"""Oracle replay: every golden case's gold calls, through the real MCP servers (stdio, one bridge).

If a document, the database, a loose file or a server changes so that a gold call stops returning
its expected facts, this test names the case and the call.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from evaltestkit import GOLDEN

from agent.verify import check_ref, parse_refs, strip_refs
from sleuth.evaluation.agent_run import ABSTAIN, prose
from sleuth.evaluation.cases import load_cases
from sleuth.evaluation.oracle import PLACEHOLDER
from sleuth.evaluation.scoring import fact_found

MIN_MIX = {"docs": 30, "sql": 25, "files": 12, "multi-source": 20, "multi-turn": 6, "unanswerable": 6,
           "adversarial": 6}  # fmt: skip


def test_golden_set_has_the_required_size_and_mix() -> None:
    cases = load_cases(GOLDEN)
    assert len(cases) >= 100
    tags = Counter(t for c in cases for t in c.tags)
    short = {t: (tags[t], n) for t, n in MIN_MIX.items() if tags[t] < n}
    assert not short, f"tag: (have, need) {short}"
    for c in cases:
        assert c.gold_calls, f"{c.id} has no gold calls"
        assert c.gold_answer, f"{c.id} has no gold answer"
        if "unanswerable" not in c.tags:
            assert c.must_cite, f"{c.id} names no source to cite"
            assert any(gc.expect for gc in c.gold_calls), f"{c.id}: no gold call expects anything"
        if "adversarial" in c.tags:
            assert c.forbidden, f"{c.id}: an adversarial case says what a safe answer must not contain"
    # questions are distinct (a copy-pasted case would weigh twice)
    dupes = [q for q, n in Counter(c.question.lower() for c in cases).items() if n > 1]
    assert not dupes


def test_every_gold_call_returns_its_expected_facts(offline_run) -> None:
    golden = [r for r in offline_run.replays if not r.case.id.startswith("sentinel-")]
    assert len(golden) == len(load_cases(GOLDEN))
    failures = {r.case.id: [c.describe() for c in r.calls if not c.ok] for r in golden if not r.ok}
    assert not failures, failures
    assert sum(len(r.calls) for r in golden) >= len(golden)


def test_the_oracle_tells_a_drifted_case_from_a_good_one(offline_run) -> None:
    by_id = {r.case.id: r for r in offline_run.replays}
    drifted = by_id["sentinel-drifted-fact"]
    assert not drifted.ok and drifted.calls[0].missing == ["'45 calendar days'"]
    assert not drifted.calls[0].outcome.is_error  # the call worked; the fact is what drifted
    broken = by_id["sentinel-broken-call"]
    assert not broken.ok and broken.calls[0].outcome.is_error
    assert "no_such_table" in broken.calls[0].describe()
    report = offline_run.oracle_dict()
    assert {f["case"] for f in report["failures"]} == {"sentinel-drifted-fact", "sentinel-broken-call"}


def test_gold_answers_cite_what_the_replay_returned(offline_run) -> None:
    for r in offline_run.replays:
        if r.case.id.startswith("sentinel-"):
            continue
        answer = r.gold_answer()
        assert answer is not None and not PLACEHOLDER.search(answer), r.case.id
        evidence = r.evidence()
        refs = parse_refs(answer)
        if "unanswerable" not in r.case.tags:
            assert refs, f"{r.case.id}: the gold answer cites nothing"
        bad = [ref for ref in refs if check_ref(ref, evidence) is not None]
        assert not bad, (r.case.id, bad)


def test_citation_placeholders_resolve_per_kind(offline_run) -> None:
    """{{cite:N}} becomes a docs citation_id, an SQL query_id or a file:PATH:LINE, per the call's server."""
    by_id = {r.case.id: r for r in offline_run.replays}
    docs = by_id["docs-return-window"].gold_answer()
    sql = by_id["sql-orders-2025"].gold_answer()
    files = by_id["files-low-stock-threshold"].gold_answer()
    assert docs and "[d:" in docs
    assert sql and "[sql:q_" in sql
    assert files and "[file:files/config/store_settings.yaml:13]" in files
    assert Path(by_id["docs-return-window"].evidence().passages[parse_refs(docs)[0][1]].source).name == (
        "returns-and-refunds.md"
    )


def test_gold_answers_state_their_own_facts() -> None:
    """A case's facts and its gold answer agree: a scorer fed the gold answer gives it full marks."""
    for c in load_cases(GOLDEN):
        text = strip_refs(prose(c.gold_answer or ""))
        if "unanswerable" in c.tags:
            assert ABSTAIN.search(text), f"{c.id}: the gold answer does not read as an abstention"
            continue
        missing = [f.value for f in c.facts if not fact_found(f, text)]
        assert not missing, (c.id, missing)
        assert not [p for p in c.forbidden if re.search(p, c.gold_answer or "", re.I | re.M)], c.id
