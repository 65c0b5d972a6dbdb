"""The docs server through a real MCP client, over stdio and Streamable HTTP subprocesses."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from docs_testkit import free_port, make_corpus, settings_for, start_http, stdio_params
from mcp import Client

from mcp_servers.docs.ingest import ingest

CITATION = re.compile(r"^d:[0-9a-f]{10}$")


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    make_corpus(tmp_path / "docs")
    return tmp_path


async def _exercise(client: Client, ws: Path) -> None:
    """The contract every transport must honour."""
    names = {t.name for t in (await client.list_tools()).tools}
    assert {"search_docs", "get_passage", "list_sources"} <= names

    result = await client.call_tool("search_docs", {"query": "which OS is supported for installation", "k": 3})
    assert not result.is_error
    data = result.structured_content
    assert data["requested_mode"] == "hybrid" and data["mode"] == "bm25"
    assert "embeddings were not built" in data["note"]  # hybrid degrades to BM25 and says so
    top = data["passages"][0]
    assert top["source"] == "docs/guide.md" and top["heading_path"] == ["Widget Guide", "Installation"]
    assert CITATION.match(top["citation_id"]) and top["citation_id"] in result.content[0].text
    assert "| Linux | yes |" in top["text"]  # the table came whole

    expanded = await client.call_tool("get_passage", {"citation_id": top["citation_id"], "context_chars": 40})
    assert not expanded.is_error
    detail = expanded.structured_content
    assert detail["text"] == top["text"] and detail["context_before"].endswith("teams.\n\n")

    source = await client.read_resource(top["uri"])
    text = source.contents[0].text
    assert text[top["char_start"] : top["char_end"]] == top["text"]
    assert text == (ws / "docs" / "guide.md").read_text(encoding="utf-8")  # Markdown spans index the file

    listed = await client.call_tool("list_sources", {})
    sources = {s["source"]: s for s in listed.structured_content["sources"]}
    assert set(sources) == {"docs/guide.md", "docs/notes.txt", "docs/policy.docx", "docs/report.pdf",
                            "docs/sub/page.html"}  # fmt: skip
    resources = {r.uri for r in (await client.list_resources()).resources}
    assert {s["uri"] for s in sources.values()} <= resources

    filtered = await client.call_tool("search_docs", {"query": "plan price", "path_prefix": "docs/sub/"})
    assert {p["source"] for p in filtered.structured_content["passages"]} == {"docs/sub/page.html"}
    by_type = await client.call_tool("search_docs", {"query": "the", "file_type": "pdf", "mode": "bm25"})
    assert {p["file_type"] for p in by_type.structured_content["passages"]} <= {"pdf"}

    dense = await client.call_tool("search_docs", {"query": "zebra", "mode": "dense"})
    assert dense.is_error and "embeddings" in dense.content[0].text
    bad_id = await client.call_tool("get_passage", {"citation_id": "[d:123]"})
    assert bad_id.is_error and "not a citation id" in bad_id.content[0].text
    unknown = await client.call_tool("get_passage", {"citation_id": "d:0000000000"})
    assert unknown.is_error and "not in the current index" in unknown.content[0].text
    bad_type = await client.call_tool("search_docs", {"query": "x", "file_type": "exe"})
    assert bad_type.is_error and "unknown file_type" in bad_type.content[0].text
    bad_k = await client.call_tool("search_docs", {"query": "x", "k": 0})
    assert bad_k.is_error


async def test_stdio_server_builds_the_index_on_first_start_and_answers(ws: Path) -> None:
    (ws / "sleuth.toml").write_text('[docs]\npaths = ["docs"]\n', encoding="utf-8")
    assert not (ws / ".sleuth" / "index" / "current").exists()
    async with Client(stdio_params(ws), read_timeout_seconds=120) as client:
        await _exercise(client, ws)
    assert (ws / ".sleuth" / "index" / "current").read_text().startswith("gen-")


async def test_http_server_answers_and_picks_up_a_new_generation(ws: Path) -> None:
    # The new generation here comes from an ingest in another process, not the server's own refresh
    (ws / "sleuth.toml").write_text("[docs]\nauto_refresh = false\n", encoding="utf-8")
    first = ingest(settings_for(ws))
    port = free_port()
    proc = start_http(ws, port)
    try:
        async with Client(f"http://127.0.0.1:{port}/mcp", read_timeout_seconds=120) as client:
            await _exercise(client, ws)
            (ws / "docs" / "fresh.md").write_text("# Fresh\n\nThe narwhal memo arrived today.\n", encoding="utf-8")
            second = ingest(settings_for(ws))  # re-ingest while the server runs
            assert second.generation != first.generation
            hit = await client.call_tool("search_docs", {"query": "narwhal memo", "k": 1})
            assert hit.structured_content["generation"] == second.generation
            assert hit.structured_content["passages"][0]["source"] == "docs/fresh.md"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


async def test_server_without_any_index_explains_what_to_do(tmp_path: Path) -> None:
    async with Client(stdio_params(tmp_path), read_timeout_seconds=60) as client:
        result = await client.call_tool("search_docs", {"query": "anything"})
        assert result.is_error and "sleuth ingest" in result.content[0].text


def test_a_stdio_server_stops_cleanly_without_leaking_duckdb_objects(ws: Path) -> None:
    ingest(settings_for(ws))
    params = stdio_params(ws)  # the refresh thread runs, as in any MCP host
    proc = subprocess.Popen(
        [params.command, *params.args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=params.env, text=True,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    hello = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}
    calls = [("search_docs", {"query": "zebra stripes", "k": 2}), ("list_sources", {})]
    messages = [
        {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": hello},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        *({"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": {"name": n, "arguments": a}}
          for i, (n, a) in enumerate(calls, start=1)),
    ]  # fmt: skip
    for message in messages:
        proc.stdin.write(json.dumps(message) + "\n")
        proc.stdin.flush()
        if "id" in message:
            reply = json.loads(proc.stdout.readline())
            assert reply["id"] == message["id"] and not reply["result"].get("isError", False), reply

    proc.stdin.close()  # the host goes away: a clean shutdown
    assert proc.wait(timeout=60) == 0
    err = proc.stderr.read()
    assert "leaked" not in err, err[:2000]
