"""Ingest: formats, structure-aware chunks, incremental updates, bad files, crash safety."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from docs_testkit import SLEUTH, make_corpus, settings_for, write_pdf

from mcp_servers.docs import layout
from mcp_servers.docs.chunking import chunk
from mcp_servers.docs.ingest import ingest
from mcp_servers.docs.parsers import parse_markdown
from mcp_servers.docs.server import DocsService

CORPUS = ["docs/guide.md", "docs/notes.txt", "docs/policy.docx", "docs/report.pdf", "docs/sub/page.html"]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    make_corpus(tmp_path / "docs")
    return tmp_path


def _ids(service: DocsService) -> dict[str, list[str]]:
    gen = service.generation()
    rows = gen.query("SELECT source, citation_id FROM chunks ORDER BY source, ordinal")
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(r["source"], []).append(r["citation_id"])
    return out


def test_every_format_is_indexed_with_spans_that_match_the_source(ws: Path) -> None:
    report = ingest(settings_for(ws))
    assert report.ok and not report.failed
    assert sorted(report.new) == ["docs/guide.md", "docs/notes.txt", "docs/policy.docx", "docs/report.pdf",
                                  "docs/sub/page.html"]  # fmt: skip
    service = DocsService(settings_for(ws))
    for query, source in [
        ("zebra stripes", "docs/guide.md"),
        ("kayaks refund", "docs/notes.txt"),
        ("lighthouse plan", "docs/sub/page.html"),
        ("glacier budget", "docs/report.pdf"),
        ("per diem meals", "docs/policy.docx"),
    ]:
        result = service.search(query, 3, mode="bm25")
        top = result["passages"][0]
        assert top["source"] == source, (query, result)
        full = service.source_text(top["uri"].rsplit("/", 1)[1])
        assert full[top["char_start"] : top["char_end"]] == top["text"]  # the citation is checkable
        assert top["citation_id"].startswith("d:") and len(top["citation_id"]) == 12
    pdf_hit = service.search("glacier", 1, mode="bm25")["passages"][0]
    assert pdf_hit["page_end"] == 2 and pdf_hit["title"] == "Quarterly Report"
    assert service.search("scriptword", 3, mode="bm25")["passages"] == []  # <script> text is not content
    docx_hit = service.search("Berlin hotel cap", 1, mode="bm25")["passages"][0]
    assert docx_hit["heading_path"] == ["Travel Policy", "Per diem"] and "Berlin | 150" in docx_hit["text"]


def test_chunks_follow_headings_keep_tables_whole_and_overlap() -> None:
    table = "\n".join(f"| row {i} | value {i} |" for i in range(12))
    body = " ".join(f"Sentence number {i} talks about topic {i % 7}." for i in range(60))
    text = f"# Title\n\nIntro.\n\n## Data\n\n{table}\n\n## Long\n\n{body}\n"
    doc = parse_markdown(text, "x")
    spans = chunk(doc, 400, 0.15)
    paths = [s.heading_path for s in spans]
    assert paths[0] == ("Title",) and ("Title", "Data") in paths
    data = [s for s in spans if s.heading_path == ("Title", "Data")]
    assert len(data) == 1 and table in text[data[0].start : data[0].end]  # the table is not cut
    long = [s for s in spans if s.heading_path == ("Title", "Long")]
    assert len(long) >= 5
    for a, b in itertools.pairwise(long):
        overlap = a.end - b.start
        assert 0 < overlap <= 0.25 * 400, (a, b)  # 10-20 % overlap, snapped to words
        assert text[b.start - 1].isspace()
    assert all(s.end - s.start <= 400 for s in long)


def test_incremental_ingest_skips_rechunks_removes_and_keeps_ids(ws: Path) -> None:
    first = ingest(settings_for(ws))
    ids1 = _ids(DocsService(settings_for(ws)))
    again = ingest(settings_for(ws))
    assert again.up_to_date and again.generation == first.generation

    guide = ws / "docs" / "guide.md"
    guide.write_text(guide.read_text().replace("zebra mode", "okapi mode"), encoding="utf-8")
    (ws / "docs" / "notes.txt").unlink()
    report = ingest(settings_for(ws))
    assert report.changed == ["docs/guide.md"] and report.deleted == ["docs/notes.txt"]
    assert report.unchanged == 3 and report.generation != first.generation
    service = DocsService(settings_for(ws))
    ids2 = _ids(service)
    assert "docs/notes.txt" not in ids2
    for source in ("docs/report.pdf", "docs/policy.docx", "docs/sub/page.html"):
        assert ids2[source] == ids1[source]  # unchanged file: same citation ids
    assert ids2["docs/guide.md"][:2] == ids1["docs/guide.md"][:2]  # unchanged sections too
    assert ids2["docs/guide.md"][-1] != ids1["docs/guide.md"][-1]  # the edited section is new
    assert service.search("okapi", 3, mode="bm25")["passages"][0]["source"] == "docs/guide.md"
    assert service.search("zebra", 3, mode="bm25")["passages"] == []
    assert service.search("kayaks", 3, mode="bm25")["passages"] == []
    # only the live generation and the one before it are kept
    assert len(layout.generations(ws / ".sleuth" / "index")) == 2


def test_corrupt_and_unreadable_files_are_reported_by_name_and_skipped(ws: Path) -> None:
    (ws / "docs" / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj garbage without end")
    (ws / "docs" / "empty.docx").write_bytes(b"PK\x03\x04 not really a zip")
    (ws / "docs" / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    write_pdf(ws / "docs" / "blank.pdf", [""])
    report = ingest(settings_for(ws))
    failed = dict(report.failed)
    assert set(failed) == {"docs/broken.pdf", "docs/empty.docx", "docs/binary.txt", "docs/blank.pdf"}
    assert "pdf" in failed["docs/broken.pdf"] and "no extractable text" in failed["docs/blank.pdf"]
    assert report.ok and len(report.new) == 5


def test_a_symlinked_docs_folder_is_named_as_configured_and_its_link_loops_are_not_followed(tmp_path: Path) -> None:
    elsewhere = make_corpus(tmp_path / "elsewhere")
    (elsewhere / "sub" / "loop").symlink_to(elsewhere, target_is_directory=True)  # a cycle back to the top
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "docs").symlink_to(elsewhere, target_is_directory=True)
    settings = settings_for(ws, paths=[str(ws / "docs"), str(ws / "docs" / "sub")])  # overlapping: listed once

    report = ingest(settings)

    assert sorted(report.new) == CORPUS and not report.failed
    service = DocsService(settings)
    assert [p["source"] for p in service.search("lighthouse plan", 5, "docs/sub/", mode="bm25")["passages"]] == [
        "docs/sub/page.html"
    ]
    assert service.search("zebra stripes", 1, "docs", mode="bm25")["passages"][0]["source"] == "docs/guide.md"
    assert service.refresher.check().state == "current"  # the freshness check names the files alike


def test_cli_ingest_exit_codes_and_summary(ws: Path, tmp_path: Path) -> None:
    ok = subprocess.run(
        [SLEUTH, "ingest", str(ws / "docs"), "--workspace", str(ws)], capture_output=True, text=True, timeout=120
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout == ""  # progress and summary go to stderr
    assert "5 files" in ok.stderr and "chunks" in ok.stderr
    (ws / "empty").mkdir()
    (ws / "empty" / "bad.pdf").write_bytes(b"not a pdf")
    bad = subprocess.run(
        [SLEUTH, "ingest", str(ws / "empty"), "--workspace", str(ws)], capture_output=True, text=True, timeout=120
    )
    assert bad.returncode == 1
    assert "bad.pdf" in bad.stderr and "nothing could be indexed" in bad.stderr and "Traceback" not in bad.stderr
    # the previous index is untouched
    assert DocsService(settings_for(ws)).search("zebra", 1, mode="bm25")["passages"]


def test_cli_ingest_prints_file_names_and_reasons_verbatim_not_as_markup(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    (docs / "a[").mkdir(parents=True)
    (docs / "a[" / "]b.md").write_text("# Fine\n\nIndexed anyway.\n", encoding="utf-8")  # docs/a[/]b.md
    for name in ("a[/]c.txt", "[wip] notes.txt", "[bold]x.txt"):
        (docs / name).write_bytes(b"\x00 binary")
    run = subprocess.run([SLEUTH, "ingest", "-w", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    lines = run.stderr.splitlines()
    for name in ("a[/]c.txt", "[wip] notes.txt", "[bold]x.txt"):
        assert f"skipped docs/{name}: looks binary (NUL bytes), not text" in lines, run.stderr
    assert DocsService(settings_for(tmp_path)).search("indexed anyway", 1, mode="bm25")["passages"]


def test_nothing_left_to_index_publishes_an_empty_index_only_for_the_same_existing_paths(ws: Path) -> None:
    index_dir = ws / ".sleuth" / "index"
    (ws / "empty").mkdir()
    first = ingest(settings_for(ws, paths=[str(ws / "empty")]))  # a first ingest: there is nothing to replace
    assert not first.ok and "no file under the configured paths" in (first.refused or "")
    assert layout.read_current(index_dir) is None
    built = ingest(settings_for(ws)).generation
    other = ingest(settings_for(ws, paths=[str(ws / "empty")]))  # another folder, say a wrong PATH: keep the index
    assert not other.ok and "new paths" in (other.refused or "")
    assert layout.read_current(index_dir) == built

    for path in (ws / "docs").rglob("*.*"):  # the same folder, emptied: the deleted files must go
        path.unlink()
    emptied = subprocess.run([SLEUTH, "ingest", "--workspace", str(ws)], capture_output=True, text=True, timeout=120)

    assert emptied.returncode == 0 and "Traceback" not in emptied.stderr, emptied.stderr
    assert "the index is empty" in emptied.stderr and "0 chunks" in emptied.stderr and "5 removed" in emptied.stderr
    assert layout.read_current(index_dir) not in (None, built)
    result = DocsService(settings_for(ws)).search("zebra stripes", 3, mode="bm25")
    assert result["passages"] == [] and result["note"].startswith("the index is empty")


def test_ctrl_c_or_sigkill_mid_ingest_leaves_the_previous_index_serving(ws: Path) -> None:
    first = ingest(settings_for(ws))
    big = ws / "docs" / "bulk"
    big.mkdir()
    for i in range(1500):
        (big / f"n{i:05d}.md").write_text(
            f"# Note {i}\n\n" + " ".join(f"word{(i * j) % 997} filler text" for j in range(120)), encoding="utf-8"
        )
    index_dir = ws / ".sleuth" / "index"

    def interrupt_while_publishing(sig: signal.Signals) -> subprocess.CompletedProcess[bytes]:
        proc = subprocess.Popen(
            [SLEUTH, "ingest", "--workspace", str(ws), str(ws / "docs")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 120
        while not list(index_dir.glob("gen-*.tmp")) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        assert proc.poll() is None, "ingest finished before it could be interrupted mid-way"
        os.kill(proc.pid, sig)
        _, err = proc.communicate(timeout=60)
        return subprocess.CompletedProcess(proc.args, proc.returncode, b"", err)

    ctrl_c = interrupt_while_publishing(signal.SIGINT)  # Ctrl-C: clean exit, half-built generation removed
    assert ctrl_c.returncode == 130 and b"Traceback" not in ctrl_c.stderr
    assert not list(index_dir.glob("gen-*.tmp")) and layout.read_current(index_dir) == first.generation
    killed = interrupt_while_publishing(signal.SIGKILL)  # no chance to clean up: the swap point protects
    assert killed.returncode == -signal.SIGKILL
    assert list(index_dir.glob("gen-*.tmp"))
    assert layout.read_current(index_dir) == first.generation
    service = DocsService(settings_for(ws))
    hit = service.search("zebra stripes", 1, mode="bm25")
    assert hit["generation"] == first.generation and hit["passages"][0]["source"] == "docs/guide.md"
    # the next ingest cleans up the half-written generation and completes
    report = ingest(settings_for(ws))
    assert report.ok and len(report.new) == 1500 and not list(index_dir.glob("gen-*.tmp"))
    assert service.search("zebra stripes", 1, mode="bm25")["generation"] == report.generation


def test_a_second_concurrent_ingest_is_refused_cleanly(ws: Path) -> None:
    from sleuth.errors import SleuthError

    with layout.ingest_lock(ws / ".sleuth" / "index"), pytest.raises(SleuthError, match="another ingest"):
        ingest(settings_for(ws))
