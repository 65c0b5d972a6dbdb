"""The docs server notices when its files changed since the index was built, says so, and refreshes.

Servers are real `sleuth serve docs` subprocesses over stdio; the `Refresher` tests drive one
check-and-refresh step at a time on a real index.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from docs_testkit import make_corpus, settings_for, stdio_params
from mcp import Client
from mcp.server.mcpserver.exceptions import ToolError

from mcp_servers.docs import freshness, layout
from mcp_servers.docs.freshness import Refresher
from mcp_servers.docs.ingest import ingest
from mcp_servers.docs.search import IndexHandle
from mcp_servers.docs.server import DocsService

CORPUS = {"docs/guide.md", "docs/notes.txt", "docs/policy.docx", "docs/report.pdf", "docs/sub/page.html"}
OKAPI = "\n## Okapi\n\nThe okapi mode hums quietly.\n"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    make_corpus(tmp_path / "docs")
    return tmp_path


async def _until(what: str, probe: Any, timeout_s: float = 60.0) -> Any:
    """Poll `probe()` until it returns something truthy."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        got = await probe()
        if got:
            return got
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


async def _top_source(client: Client, query: str) -> str | None:
    result = await client.call_tool("search_docs", {"query": query, "k": 1, "mode": "bm25"})
    passages = result.structured_content["passages"]
    return passages[0]["source"] if passages else None


def _edit(path: Path, extra: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    later = path.stat().st_mtime + 5  # a different mtime even on a coarse-clock file system
    os.utime(path, (later, later))


async def test_a_server_started_after_the_docs_changed_refreshes_its_index(ws: Path) -> None:
    first = ingest(settings_for(ws)).generation
    _edit(ws / "docs" / "guide.md", OKAPI)
    (ws / "docs" / "fresh.md").write_text("# Fresh\n\nThe narwhal memo arrived today.\n", encoding="utf-8")
    (ws / "docs" / "notes.txt").unlink()

    async with Client(stdio_params(ws), read_timeout_seconds=120) as client:

        async def refreshed() -> dict[str, Any] | None:
            listed = (await client.call_tool("list_sources", {})).structured_content
            return listed if listed["generation"] != first and listed["freshness"]["state"] == "current" else None

        listed = await _until("the refreshed index", refreshed)
        assert {s["source"] for s in listed["sources"]} == CORPUS - {"docs/notes.txt"} | {"docs/fresh.md"}
        assert await _top_source(client, "okapi mode") == "docs/guide.md"
        assert await _top_source(client, "narwhal memo") == "docs/fresh.md"
        hit = await client.call_tool("search_docs", {"query": "narwhal", "k": 1})
        assert hit.structured_content["index_note"] is None


async def test_a_running_server_reports_edits_it_may_not_refresh(ws: Path) -> None:
    (ws / "sleuth.toml").write_text("[docs]\nauto_refresh = false\nrefresh_interval_s = 0\n", encoding="utf-8")
    first = ingest(settings_for(ws)).generation
    async with Client(stdio_params(ws), read_timeout_seconds=120) as client:
        listed = (await client.call_tool("list_sources", {})).structured_content
        assert listed["freshness"]["state"] == "current" and listed["freshness"]["note"] is None

        _edit(ws / "docs" / "guide.md", OKAPI)
        touched = ws / "docs" / "notes.txt"  # a new mtime, the same bytes: not a change
        os.utime(touched, (touched.stat().st_mtime + 5,) * 2)
        (ws / "docs" / "sub" / "page.html").unlink()

        result = await client.call_tool("list_sources", {})
        fresh = result.structured_content["freshness"]
        assert fresh["state"] == "stale"
        assert (fresh["changed"], fresh["added"], fresh["removed"]) == (["docs/guide.md"], [], ["docs/sub/page.html"])
        assert "sleuth ingest" in fresh["note"] and fresh["note"] in result.content[0].text

        hit = await client.call_tool("search_docs", {"query": "widget", "k": 1})
        assert hit.structured_content["generation"] == first  # nothing was re-ingested
        assert hit.structured_content["index_note"] == fresh["note"]
        assert fresh["note"] in hit.content[0].text
    assert layout.generations(ws / ".sleuth" / "index") == [first]


async def test_a_running_server_picks_up_a_new_file_on_its_own(ws: Path) -> None:
    (ws / "sleuth.toml").write_text("[docs]\nrefresh_interval_s = 0.5\n", encoding="utf-8")
    ingest(settings_for(ws))
    async with Client(stdio_params(ws), read_timeout_seconds=120) as client:
        assert await _top_source(client, "walrus") is None
        (ws / "docs" / "walrus.md").write_text("# Walrus\n\nThe walrus plan starts in May.\n", encoding="utf-8")

        async def found() -> bool:
            return await _top_source(client, "walrus") == "docs/walrus.md"

        await _until("the new file in search results", found)


@pytest.fixture
def ingest_calls(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every ingest a Refresher starts (the real one runs), by the settings it was given."""
    calls: list[Any] = []
    real_ingest = freshness.ingest

    def counting(settings: Any) -> Any:
        calls.append(settings)
        return real_ingest(settings)

    monkeypatch.setattr(freshness, "ingest", counting)
    return calls


def _refresher(ws: Path, **docs: Any) -> Refresher:
    settings = settings_for(ws, **docs)
    return Refresher(settings, IndexHandle(settings.index_dir), auto=True, interval_s=0)


def test_a_refresh_keeps_the_paths_and_chunking_the_index_was_built_with(ws: Path) -> None:
    notes = ws / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("# A\n\nThe heron count was nine.\n", encoding="utf-8")
    built = ingest(settings_for(ws, paths=[str(notes)], chunk_chars=600))
    refresher = _refresher(ws)  # the server's own settings: docs.paths = docs/, default chunk size
    _edit(notes / "a.md", "\nThe egret count was four.\n")

    refresher.step()

    gen = refresher.handle.get()
    assert gen is not None and gen.name != built.generation
    assert gen.manifest["paths"] == [str(notes)] and gen.manifest["chunk_chars"] == 600
    assert gen.sources == ["notes/a.md"]
    assert refresher.check().state == "current"


def test_a_copied_workspace_refreshes_from_its_own_files(ws: Path) -> None:
    original = ingest(settings_for(ws)).generation
    copy = ws.parent / "copy"
    shutil.copytree(ws, copy)
    _edit(copy / "docs" / "guide.md", OKAPI)
    refresher = _refresher(copy)

    refresher.step()

    gen = refresher.handle.get()
    assert gen is not None and gen.manifest["paths"] == [str(copy / "docs")]
    assert gen.sources == sorted(CORPUS)
    hit = DocsService(settings_for(copy)).search("okapi mode", 1, mode="bm25")["passages"][0]
    assert hit["source"] == "docs/guide.md" and "okapi" in hit["text"]
    assert layout.read_current(ws / ".sleuth" / "index") == original


def test_a_file_that_cannot_be_indexed_costs_one_refresh_not_one_per_check(ws: Path, ingest_calls: list[Any]) -> None:
    ingest(settings_for(ws))
    refresher = _refresher(ws)
    broken = ws / "docs" / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 this is not a PDF")

    refresher.step()
    refresher.step()
    after = refresher.check()
    assert len(ingest_calls) == 1
    assert after.state == "current" and after.drift.added == ()
    assert list(after.unindexable) == ["docs/broken.pdf"]

    broken.write_bytes(b"%PDF-1.4 still not a PDF, but different")  # changed again: worth one more try
    refresher.step()
    assert len(ingest_calls) == 2


def test_docs_that_were_all_deleted_leave_an_empty_index_that_cites_none_of_them(
    ws: Path, ingest_calls: list[Any]
) -> None:
    ingest(settings_for(ws))
    service = DocsService(settings_for(ws))
    old_id = service.search("zebra stripes", 1, mode="bm25")["passages"][0]["citation_id"]
    for path in sorted((ws / "docs").rglob("*"), reverse=True):  # the folder itself stays
        path.rmdir() if path.is_dir() else path.unlink()

    service.refresher.step()
    service.refresher.step()

    assert len(ingest_calls) == 1
    assert service.refresher.check().state == "current"
    assert service.sources().sources == []
    for mode in ("bm25", "hybrid"):
        result = service.search("zebra stripes", 5, "docs/", mode=mode)  # type: ignore[arg-type]
        assert result["passages"] == []
        assert result["note"].startswith("the index is empty") and "(paths: docs)" in result["note"]
    with pytest.raises(ToolError, match="not in the current index"):
        service.passage(old_id, 100)


def test_a_docs_folder_that_is_gone_leaves_the_index_serving_and_says_so(ws: Path, ingest_calls: list[Any]) -> None:
    first = ingest(settings_for(ws)).generation
    refresher = _refresher(ws)
    shutil.rmtree(ws / "docs")  # moved, or on a drive that is not mounted: more likely than meant

    refresher.step()
    refresher.step()
    after = refresher.check()
    assert len(ingest_calls) == 1  # not published, and not retried either
    assert refresher.handle.get().name == first  # type: ignore[union-attr]
    assert after.state == "stale" and len(after.drift.removed) == 5
    assert "could not bring it up to date (none of the index's paths exists" in (after.note or "")


def test_a_refresh_blocked_by_a_running_ingest_waits_for_it_instead_of_spinning(
    ws: Path, ingest_calls: list[Any]
) -> None:
    ingest(settings_for(ws))
    refresher = _refresher(ws)
    _edit(ws / "docs" / "guide.md", OKAPI)
    with layout.ingest_lock(ws / ".sleuth" / "index"):  # `sleuth ingest` running in another process
        refresher.step()
        refresher.step()
        blocked = refresher.check()
    assert len(ingest_calls) == 1
    assert blocked.state == "stale" and blocked.drift.changed == ("docs/guide.md",)
    assert "another ingest is already running" in (blocked.note or "")

    ingest(settings_for(ws))  # that other ingest finishes and publishes
    assert refresher.check().state == "current"


def test_a_file_saved_just_after_ingest_read_it_is_not_taken_for_current(
    ws: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    guide = ws / "docs" / "guide.md"
    real_read = Path.read_bytes
    saved: list[Path] = []

    def read_then_save(path: Path) -> bytes:
        data = real_read(path)
        if path.name == guide.name and not saved:  # an editor's save lands right after the read,
            guide.write_text(data.decode().replace("zebra", "okapi"), encoding="utf-8")  # same size
            later = guide.stat().st_mtime + 5
            os.utime(guide, (later, later))
            saved.append(path)
        return data

    with monkeypatch.context() as patched:
        patched.setattr(Path, "read_bytes", read_then_save)
        ingest(settings_for(ws))
    assert saved

    assert _refresher(ws).check().drift.changed == ("docs/guide.md",)


def test_a_newly_configured_path_is_published_so_the_server_watches_it(ws: Path) -> None:
    first = ingest(settings_for(ws)).generation
    extra = ws / "extra"
    extra.mkdir()  # empty for now: nothing to index there, but the paths changed
    widened = settings_for(ws, paths=[str(ws / "docs"), str(extra)])

    report = ingest(widened)

    assert not report.up_to_date and report.generation != first
    refresher = _refresher(ws)  # the server's own settings name docs/ only
    gen = refresher.handle.get()
    assert gen is not None and gen.manifest["paths"] == [str(ws / "docs"), str(extra)]
    (extra / "heron.md").write_text("# Heron\n\nThe heron count was nine.\n", encoding="utf-8")
    assert refresher.check().drift.added == ("extra/heron.md",)

    assert ingest(widened).new == ["extra/heron.md"]
    assert ingest(widened).up_to_date  # the same paths again: nothing to do
    copy = ws.parent / f"{ws.name}-moved"
    shutil.copytree(ws, copy)
    assert ingest(settings_for(copy, paths=[str(copy / "docs"), str(copy / "extra")])).up_to_date  # the same paths


UNINDEXABLE = {"docs/empty.md", "docs/zero.pdf", "docs/corrupt.docx"}


def _add_unindexable(ws: Path) -> None:
    (ws / "docs" / "empty.md").write_text("", encoding="utf-8")
    (ws / "docs" / "zero.pdf").write_bytes(b"")
    (ws / "docs" / "corrupt.docx").write_bytes(b"PK\x03\x04 not really a zip")


def test_files_that_cannot_be_indexed_are_known_to_the_next_server_until_they_change(
    ws: Path, ingest_calls: list[Any]
) -> None:
    _add_unindexable(ws)
    assert {source for source, _ in ingest(settings_for(ws)).failed} == UNINDEXABLE

    refresher = _refresher(ws)  # a server started afterwards: it has never tried them itself
    refresher.step()
    fresh = refresher.check()
    assert fresh.state == "current" and not fresh.drift and fresh.note is None
    assert set(fresh.unindexable) == UNINDEXABLE and "no text" in fresh.unindexable["docs/empty.md"]
    assert ingest_calls == []
    assert ingest(settings_for(ws)).up_to_date

    _edit(ws / "docs" / "empty.md", "# Ibis\n\nThe ibis note.\n")
    assert refresher.check().drift.added == ("docs/empty.md",)


def test_an_index_from_before_skipped_files_were_recorded_is_refreshed_once_to_record_them(
    ws: Path, ingest_calls: list[Any]
) -> None:
    _add_unindexable(ws)
    first = ingest(settings_for(ws)).generation
    manifest = ws / ".sleuth" / "index" / str(first) / layout.MANIFEST
    old = json.loads(manifest.read_text(encoding="utf-8"))
    del old["unindexable"]  # as an ingest before this change wrote it
    manifest.write_text(json.dumps(old), encoding="utf-8")
    refresher = _refresher(ws)

    assert set(refresher.check().drift.added) == UNINDEXABLE
    refresher.step()
    refresher.step()

    assert len(ingest_calls) == 1 and refresher.handle.get().name != first  # type: ignore[union-attr]
    assert refresher.check().state == "current"
