"""The BM25 analyzer: Chinese, Japanese and Korean found by part of a sentence; other text as before."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import Stemmer
from bm25s.stopwords import STOPWORDS_EN
from docs_testkit import settings_for

from mcp_servers.docs import ingest as ingest_module
from mcp_servers.docs.analysis import analyze
from mcp_servers.docs.ingest import ingest
from mcp_servers.docs.server import DocsService

_stemmer = Stemmer.Stemmer("english")


def _analyze_before_cjk(text: str) -> list[str]:
    """The analyzer before CJK bigrams (bm25s's tokenizer), the oracle for all other text."""
    words = re.findall(r"(?u)\b\w\w+\b", text.lower())
    return [_stemmer.stemWord(w) for w in words if w not in STOPWORDS_EN]


def test_cjk_runs_become_overlapping_bigrams_a_lone_character_a_unigram() -> None:
    sentence = ["中文", "文测", "测试", "退货", "货政", "政策", "策是", "是三", "三十", "十天"]
    assert analyze("中文测试：退货政策是三十天。") == sentence
    assert analyze("退货政策") == ["退货", "货政", "政策"]
    assert analyze("返品ポリシーは30日です") == ["返品", "品ポ", "ポリ", "リシ", "シー", "ーは", "30", "日で", "です"]
    assert analyze("환불 정책은") == ["환불", "정책", "책은"]
    assert analyze("iPhone手机 的 Returns") == ["iphon", "手机", "的", "return"]
    assert analyze("ジョン・スミス") == ["ジョ", "ョン", "スミ", "ミス"]  # the middle dot separates words


def test_text_without_cjk_is_analysed_as_before() -> None:
    rng = random.Random(7)
    pieces = ["The", "running", "dogs", "a", "I", "x1", "naïve", "café", "Straße", "μέτρο", "данные", "co_op",
              "it's", "3.5", "e-mail", "ﬁle", "İstanbul", "ǅ", "١٢٣", "won't", "and", "ARE", "Ω", "_"]  # fmt: skip
    seps = [" ", "  ", "\n", ", ", ". ", "-", "/", "'", "(", ")", "\t", "…", ""]
    for _ in range(2000):
        text = "".join(rng.choice(pieces) + rng.choice(seps) for _ in range(rng.randint(0, 30)))
        assert analyze(text) == _analyze_before_cjk(text), text


def _cjk_workspace(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "zh.md").write_text("# 售后\n\n中文测试：退货政策是三十天。\n", encoding="utf-8")
    (docs / "ja.txt").write_text("返品ポリシーは三十日です。\n", encoding="utf-8")
    (docs / "en.md").write_text("# Policy\n\nRefunds take thirty days.\n", encoding="utf-8")
    return tmp_path


def _top(service: DocsService, query: str) -> dict:
    result = service.search(query, 3)
    return {"sources": [p["source"] for p in result["passages"]], "index_note": result["index_note"]}


def test_a_cjk_document_is_found_by_part_of_a_sentence(tmp_path: Path) -> None:
    ws = _cjk_workspace(tmp_path)
    assert ingest(settings_for(ws)).ok
    service = DocsService(settings_for(ws))
    assert _top(service, "退货政策") == {"sources": ["docs/zh.md"], "index_note": None}
    assert _top(service, "返品ポリシー")["sources"] == ["docs/ja.txt"]
    passage = service.search("退货政策", 1)["passages"][0]
    full = service.source_text(passage["uri"].rsplit("/", 1)[1])
    assert full[passage["char_start"] : passage["char_end"]] == passage["text"]


def test_an_index_from_the_previous_analyzer_is_flagged_then_rebuilt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = _cjk_workspace(tmp_path)
    with monkeypatch.context() as before:  # an index as the previous release wrote it
        before.setattr(ingest_module, "analyze", _analyze_before_cjk)
        before.setattr(ingest_module, "ANALYZER", "bm25s-lucene-en-stop-snowball-v1")
        first = ingest(settings_for(ws))
    service = DocsService(settings_for(ws))
    stale = _top(service, "退货政策")
    assert stale["sources"] == [] and "older text analyzer" in stale["index_note"]
    assert "sleuth ingest" in stale["index_note"]
    assert _top(service, "refunds")["sources"] == ["docs/en.md"]  # Latin terms still match

    report = ingest(settings_for(ws))  # the files are unchanged, yet every one is analysed again
    assert not report.up_to_date and report.generation != first.generation
    assert sorted(report.changed) == ["docs/en.md", "docs/ja.txt", "docs/zh.md"]
    assert _top(service, "退货政策") == {"sources": ["docs/zh.md"], "index_note": None}
