"""A re-ingest reuses the previous generation (term ids, database file) yet builds the same index
as an ingest from scratch; the numpy BM25 build gives bm25s's own scores."""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

import bm25s
import duckdb
import numpy as np
import pytest
from docs_testkit import settings_for

from mcp_servers.docs import bm25_build, layout
from mcp_servers.docs.ingest import ingest

# 42 made-up words: enough overlap between chunks for real document frequencies
WORDS = [
    a + b for a in ("kal", "mor", "tiv", "serp", "dun", "velk") for b in ("ari", "ode", "umn", "esk", "ly", "ith", "or")
]


def test_numpy_bm25_build_gives_bm25s_scores_and_drops_unused_terms() -> None:
    rng = random.Random(5)
    vocab = [f"term{i}" for i in range(400)]  # most of the tail is never used
    parts = [
        np.array([min(int(rng.paretovariate(1.2)), 399) for _ in range(rng.randint(0, 90))], dtype=np.int32)
        for _ in range(700)
    ]
    terms = bm25_build.splice(len(parts), [], None, dict(enumerate(parts)), vocab)
    assert terms.vocab[-1] == bm25_build.EMPTY_TERM
    assert len(terms.vocab) - 1 == len({int(i) for p in parts for i in p}) < len(vocab)
    for i, part in enumerate(parts):  # renumbering keeps every chunk's terms
        assert [terms.vocab[j] for j in terms.chunk(i)] == [vocab[j] for j in part]

    ours = bm25_build.lucene_scores(terms)
    reference = bm25s.BM25()
    reference.index(
        ([terms.chunk(i).tolist() for i in range(len(terms))], {t: i for i, t in enumerate(terms.vocab)}),
        show_progress=False,
    )
    for key in ("indptr", "indices", "data"):
        assert np.array_equal(ours[key], reference.scores[key]), key
    assert ours["num_docs"] == reference.scores["num_docs"] == 700


def _write_docs(folder: Path, names: list[str], seed: int) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        sections = [
            f"## Section {k}\n\n" + " ".join(rng.choice(WORDS) for _ in range(rng.randint(60, 260))) + "."
            for k in range(3)
        ]
        (folder / name).write_text(f"# {name}\n\n" + "\n\n".join(sections) + "\n", encoding="utf-8")


def _snapshot(ws: Path) -> dict[str, Any]:
    """Everything search reads from the live generation, in comparable form."""
    index = ws / ".sleuth" / "index"
    gen = index / layout.read_current(index)  # type: ignore[operator]
    with duckdb.connect(str(gen / layout.CHUNKS_DB), read_only=True) as con:
        chunks = con.execute("SELECT * EXCLUDE (mtime) FROM chunks ORDER BY row_id").fetchall()
        sources = con.execute("SELECT * EXCLUDE (mtime) FROM sources ORDER BY source").fetchall()
        dense = (gen / layout.EMBEDDINGS).is_file()
        keys = con.execute("SELECT embed_key, row_id FROM embed_keys ORDER BY row_id").fetchall() if dense else None
    terms = bm25_build.load_terms(gen)
    assert terms is not None
    retriever = bm25s.BM25.load(str(gen / layout.BM25_DIR))
    s = retriever.scores
    term_of = {i: t for t, i in retriever.vocab_dict.items()}
    matrix = {
        (term_of[col], int(s["indices"][j])): float(s["data"][j])
        for col in range(len(s["indptr"]) - 1)
        for j in range(s["indptr"][col], s["indptr"][col + 1])
    }
    return {
        "chunks": chunks,
        "sources": sources,
        "embed_keys": keys,
        "terms": [[terms.vocab[j] for j in terms.chunk(i)] for i in range(len(terms))],
        "bm25": matrix,
        "passages": (gen / layout.PASSAGES).read_bytes(),
        "embeddings": np.load(gen / layout.EMBEDDINGS).tobytes() if dense else None,
    }


def _manifest(ws: Path) -> dict[str, Any]:
    index = ws / ".sleuth" / "index"
    return json.loads((index / layout.read_current(index) / layout.MANIFEST).read_text())  # type: ignore[operator]


def _from_scratch(ws: Path, tmp_path: Path, name: str, embeddings: bool) -> dict[str, Any]:
    fresh = tmp_path / name
    shutil.copytree(ws / "docs", fresh / "docs")
    assert ingest(settings_for(fresh, embeddings=embeddings)).ok
    return _snapshot(fresh)


# BM25 only, the unchanged rows are not read back at all: passages and term ids are copied from
# the previous generation's files. With embeddings, every row is read (their keys need the text).
@pytest.mark.parametrize("embeddings", [False, True], ids=["bm25", "hybrid"])
def test_reingest_in_place_builds_what_a_fresh_ingest_builds(tmp_path: Path, embeddings: bool) -> None:
    ws = tmp_path / "ws"
    names = [f"doc{i:02d}.md" for i in range(24)]
    _write_docs(ws / "docs", names, seed=1)
    settings = settings_for(ws, embeddings=embeddings)
    assert ingest(settings).ok

    # one file edited, one added in front (every later row_id moves), one removed
    edited = ws / "docs" / "doc07.md"
    edited.write_text(edited.read_text() + "\nA new paragraph on moraine lagoons.\n", encoding="utf-8")
    _write_docs(ws / "docs", ["a_first.md"], seed=2)
    (ws / "docs" / "doc15.md").unlink()
    report = ingest(settings)
    assert (report.new, report.changed, report.deleted) == (["docs/a_first.md"], ["docs/doc07.md"], ["docs/doc15.md"])
    assert (report.embeddings_reused > 0) is embeddings
    assert report.sources == 24
    deleted = _manifest(ws)["db_deleted_rows"]
    assert deleted > 0  # the previous database was updated in place, not written again
    assert _snapshot(ws) == _from_scratch(ws, tmp_path, "fresh1", embeddings)

    # removing a third of the files deletes more rows than an in-place update may carry
    for name in names[:8]:
        (ws / "docs" / name).unlink()
    report = ingest(settings)
    assert report.ok and report.sources == 16
    assert _manifest(ws)["db_deleted_rows"] == 0  # written whole
    assert _snapshot(ws) == _from_scratch(ws, tmp_path, "fresh2", embeddings)
