"""Dense embeddings (bundled int8 MiniLM via ONNX) and hybrid fusion on a tiny corpus."""

from __future__ import annotations

from pathlib import Path

import pytest
from docs_testkit import settings_for, stdio_params
from mcp import Client

from mcp_servers.docs.ingest import ingest
from mcp_servers.docs.server import DocsService
from sleuth.errors import SleuthError

DOCS = {
    "cars.md": "# Cars\n\nAutomobiles need regular oil changes and tire rotations to stay reliable.\n",
    "bread.md": "# Bread\n\nBake the loaf at 200 degrees for forty minutes until golden.\n",
    "tax.md": "# Taxes\n\nFile the annual return before the April deadline to avoid penalties.\n",
}


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    (tmp_path / "docs").mkdir()
    for name, text in DOCS.items():
        (tmp_path / "docs" / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_dense_and_hybrid_find_meaning_without_shared_words(ws: Path) -> None:
    report = ingest(settings_for(ws, embeddings=True))
    assert report.embedded == 3 and report.embeddings_reused == 0
    service = DocsService(settings_for(ws, embeddings=True))
    assert service.search("vehicle maintenance", 3, mode="bm25")["passages"] == []
    dense = service.search("vehicle maintenance", 3, mode="dense")
    assert dense["mode"] == "dense" and dense["passages"][0]["source"] == "docs/cars.md"
    hybrid = service.search("vehicle maintenance", 3, mode="hybrid")
    assert hybrid["mode"] == "hybrid" and hybrid["note"] is None
    assert hybrid["passages"][0]["source"] == "docs/cars.md"
    filtered = service.search("vehicle maintenance", 3, path_prefix="docs/bread", mode="dense")
    assert [p["source"] for p in filtered["passages"]] == ["docs/bread.md"]  # filter before ranking


def test_reingest_reuses_vectors_of_unchanged_chunks(ws: Path) -> None:
    ingest(settings_for(ws, embeddings=True))
    (ws / "docs" / "bread.md").write_text("# Bread\n\nKnead the dough for ten minutes.\n", encoding="utf-8")
    report = ingest(settings_for(ws, embeddings=True))
    assert report.changed == ["docs/bread.md"] and report.embedded == 1 and report.embeddings_reused == 2
    dropped = ingest(settings_for(ws, embeddings=False))  # turning embeddings off is a change too
    assert not dropped.up_to_date
    result = DocsService(settings_for(ws)).search("vehicle maintenance", 3, mode="hybrid")
    assert result["mode"] == "bm25" and "embeddings were not built" in result["note"]


def test_missing_user_model_is_a_clear_error(ws: Path) -> None:
    with pytest.raises(SleuthError, match=r"embedding model .*nope\.onnx does not exist"):
        ingest(settings_for(ws, embeddings=True, embedding_model_path=str(ws / "nope.onnx")))


async def test_hybrid_over_stdio(ws: Path) -> None:
    ingest(settings_for(ws, embeddings=True))
    async with Client(stdio_params(ws), read_timeout_seconds=120) as client:
        result = await client.call_tool("search_docs", {"query": "when is the tax deadline", "k": 2})
        assert not result.is_error
        assert result.structured_content["mode"] == "hybrid"
        assert result.structured_content["passages"][0]["source"] == "docs/tax.md"
        listing = await client.call_tool("list_sources", {})
        assert listing.structured_content["embeddings"] is True
