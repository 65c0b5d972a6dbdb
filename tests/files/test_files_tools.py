"""Every files tool through a real MCP client: over stdio (subprocess) and Streamable HTTP."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import anyio
import pytest
from files_testkit import http_server, make_tree, stdio_params
from mcp import Client


def _sc(res: Any) -> dict[str, Any]:
    assert not res.is_error, res.content[0].text
    assert res.structured_content is not None
    return res.structured_content


def _big_file(root: Path) -> None:
    (root / "big.txt").write_text("".join(f"row {i}\n" for i in range(1, 5001)))


async def _exercise_all_tools(client: Client, root: Path) -> None:
    """One pass over every tool and resource, checking shapes and values."""
    tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == {"list_dir", "read_file", "search_files", "file_info", "write_file", "edit_file"}
    for name in ("list_dir", "read_file", "search_files", "file_info"):
        assert tools[name].annotations is not None and tools[name].annotations.read_only_hint is True
    for name in ("write_file", "edit_file"):
        ann = tools[name].annotations
        assert ann is not None and ann.destructive_hint is True and ann.read_only_hint is False
    assert tools["read_file"].output_schema is not None
    assert "first root" in (tools["read_file"].description or "") or "relative to the root" in (
        tools["read_file"].description or ""
    )

    # list_dir: entries with type, size, time; gitignored flagged; denied hidden; depth and glob.
    top = _sc(await client.call_tool("list_dir", {}))
    by_path = {e["path"]: e for e in top["entries"]}
    assert by_path["ok.txt"]["type"] == "file" and by_path["ok.txt"]["size"] == (root / "ok.txt").stat().st_size
    assert by_path["sub"]["type"] == "dir" and by_path["app.log"]["ignored"] is True
    assert by_path["ok.txt"]["modified"].endswith("Z")
    assert ".env" not in by_path and ".git" not in by_path and "id_rsa" not in by_path
    assert "sub/code.py" not in by_path
    deep = _sc(await client.call_tool("list_dir", {"path": "sub", "depth": 2, "glob": "*.md"}))
    assert [e["path"] for e in deep["entries"]] == ["sub/deep/notes.md"]

    # read_file: numbered lines, paging with total_lines and next_start_line.
    page = _sc(await client.call_tool("read_file", {"path": "big.txt", "start_line": 10, "max_lines": 5}))
    assert page["lines"][0] == {"line": 10, "text": "row 10"} and page["end_line"] == 14
    assert page["total_lines"] == 5000 and page["next_start_line"] == 15 and page["truncated"] is True
    res = await client.call_tool("read_file", {"path": "big.txt", "start_line": 4999})
    assert "  4999\trow 4999" in res.content[0].text
    last = _sc(res)
    assert last["next_start_line"] is None and last["end_line"] == 5000
    capped = _sc(await client.call_tool("read_file", {"path": "big.txt", "max_lines": 100_000}))
    assert len(capped["lines"]) == 2000 and capped["next_start_line"] == 2001  # max_read_lines default
    binary = await client.call_tool("read_file", {"path": "image.bin"})
    assert binary.is_error and "binary" in binary.content[0].text
    past = await client.call_tool("read_file", {"path": "ok.txt", "start_line": 99})
    assert past.is_error and "past the end" in past.content[0].text

    # search_files: literal, .gitignore honoured, binary skipped, context, regex, case, glob, cap.
    found = _sc(await client.call_tool("search_files", {"pattern": "needle"}))
    hits = [(m["path"], m["line"]) for m in found["matches"]]
    assert hits == [("ok.txt", 2), ("sub/code.py", 3)]
    assert found["matches"][0]["before"] == ["line one"] and found["matches"][0]["after"] == ["line three"]
    assert found["skipped_binary"] == 1 and found["truncated"] is False
    caseless = _sc(await client.call_tool("search_files", {"pattern": "needle", "ignore_case": True, "path": "sub"}))
    assert [(m["path"], m["line"]) for m in caseless["matches"]] == [("sub/code.py", 3), ("sub/deep/notes.md", 2)]
    rx = _sc(await client.call_tool("search_files", {"pattern": r"^def \w+\(", "regex": True}))
    assert [m["text"] for m in rx["matches"]] == ["def needle():"]
    globbed = _sc(await client.call_tool("search_files", {"pattern": "line", "glob": "*.txt", "context": 0}))
    assert {m["path"] for m in globbed["matches"]} >= {"ok.txt"} and all(
        m["path"].endswith(".txt") for m in globbed["matches"]
    )
    capped_search = _sc(await client.call_tool("search_files", {"pattern": "row", "max_results": 3}))
    assert len(capped_search["matches"]) == 3 and capped_search["truncated"] is True
    bad_rx = await client.call_tool("search_files", {"pattern": "(", "regex": True})
    assert bad_rx.is_error and "invalid regular expression" in bad_rx.content[0].text

    # file_info.
    info = _sc(await client.call_tool("file_info", {"path": "big.txt"}))
    assert info["type"] == "file" and info["total_lines"] == 5000 and info["is_binary"] is False
    assert info["mode"] == "0644" or info["mode"].startswith("0")
    link_info = _sc(await client.call_tool("file_info", {"path": "link_in"}))
    assert link_info["is_symlink"] is True and link_info["path"] == "ok.txt"

    # write_file / edit_file: atomic, mode kept, no temp files, clear errors.
    created = _sc(await client.call_tool("write_file", {"path": "new/dir/out.md", "content": "alpha\nbeta\n"}))
    assert created["created"] is True and (root / "new" / "dir" / "out.md").read_text() == "alpha\nbeta\n"
    os.chmod(root / "ok.txt", 0o640)
    edited = _sc(await client.call_tool("edit_file", {"path": "ok.txt", "old": "line two", "new": "LINE 2"}))
    assert edited["line"] == 2 and (root / "ok.txt").read_text().splitlines()[1] == "LINE 2 needle"
    assert stat.S_IMODE((root / "ok.txt").stat().st_mode) == 0o640
    twice = await client.call_tool("edit_file", {"path": "ok.txt", "old": "line", "new": "x"})
    assert twice.is_error and "2 times" in twice.content[0].text
    missing = await client.call_tool("edit_file", {"path": "ok.txt", "old": "nope", "new": "x"})
    assert missing.is_error and "not found" in missing.content[0].text
    assert not [p for p in root.rglob("*.tmp")]

    # Resources: a template plus a listing of readable files; reads are sandboxed.
    templates = (await client.list_resource_templates()).resource_templates
    assert [t.uri_template for t in templates] == ["file:///{+path}"]
    listed = {r.name: r.uri for r in (await client.list_resources()).resources}
    assert "ok.txt" in listed and "sub/code.py" in listed and "app.log" not in listed
    body = await client.read_resource(str(listed["sub/code.py"]))
    assert body.contents[0].text.startswith("import os")


async def test_all_tools_over_stdio(tmp_path: Path) -> None:
    root, _ = make_tree(tmp_path)
    _big_file(root)
    (tmp_path / "ws").mkdir()
    async with Client(stdio_params([root], tmp_path / "ws", allow_write=True)) as client:
        await _exercise_all_tools(client, root)


async def test_all_tools_over_http(tmp_path: Path) -> None:
    root, _ = make_tree(tmp_path)
    _big_file(root)
    (tmp_path / "ws").mkdir()
    with http_server([root], tmp_path / "ws", allow_write=True) as url:
        async with Client(url) as client:
            await _exercise_all_tools(client, root)


async def test_several_roots_use_root_name_prefixes(tmp_path: Path) -> None:
    a = tmp_path / "alpha"
    b = tmp_path / "beta"
    (a / "src").mkdir(parents=True)
    b.mkdir()
    (a / "src" / "main.py").write_text("print('alpha needle')\n")
    (b / "README.md").write_text("beta needle\n")
    (tmp_path / "ws").mkdir()
    async with Client(stdio_params([a, b], tmp_path / "ws")) as client:
        found = _sc(await client.call_tool("search_files", {"pattern": "needle", "path": "beta"}))
        first = _sc(await client.call_tool("read_file", {"path": "src/main.py"}))
        prefixed = _sc(await client.call_tool("read_file", {"path": "alpha/src/main.py"}))
        by_abs = _sc(await client.call_tool("read_file", {"path": str(b / "README.md")}))
        listing = _sc(await client.call_tool("list_dir", {"path": "beta"}))
    assert [(m["path"], m["line"]) for m in found["matches"]] == [("beta/README.md", 1)]
    assert first["path"] == prefixed["path"] == "alpha/src/main.py"
    assert by_abs["path"] == "beta/README.md"
    assert [e["path"] for e in listing["entries"]] == ["beta/README.md"]


@pytest.mark.parametrize("deny", ['["*.md"]', "[]"])
async def test_deny_list_comes_from_settings(tmp_path: Path, deny: str) -> None:
    """files.deny replaces the default list: what it names is denied, nothing else."""
    root = tmp_path / "r"
    root.mkdir()
    (root / "notes.md").write_text("hello\n")
    (root / ".env").write_text("TOKEN=1\n")
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "sleuth.toml").write_text(f"[files]\ndeny = {deny}\n")
    async with Client(stdio_params([root], ws)) as client:
        md = await client.call_tool("read_file", {"path": "notes.md"})
        env = await client.call_tool("read_file", {"path": ".env"})
    assert md.is_error is (deny != "[]")
    assert env.is_error is False


async def test_deny_extra_adds_to_the_secret_list(tmp_path: Path) -> None:
    """files.deny_extra denies more without giving up the default secret patterns."""
    root = tmp_path / "r"
    root.mkdir()
    (root / "notes.md").write_text("hello\n")
    (root / "app.sqlite").write_text("data\n")
    (root / ".env").write_text("TOKEN=1\n")
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "sleuth.toml").write_text('[files]\ndeny_extra = ["*.sqlite"]\n')
    async with Client(stdio_params([root], ws)) as client:
        results = {p: await client.call_tool("read_file", {"path": p}) for p in ("notes.md", "app.sqlite", ".env")}
        listing = _sc(await client.call_tool("list_dir", {}))
    assert {p: r.is_error for p, r in results.items()} == {"notes.md": False, "app.sqlite": True, ".env": True}
    assert [e["path"] for e in listing["entries"]] == ["notes.md"]


async def test_a_catastrophic_regex_stops_at_the_time_limit(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    (root / "evil.txt").write_text("a" * 5000 + "c" * 5000 + "\n")
    (root / "fine.txt").write_text("fine\n")
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "sleuth.toml").write_text("[files]\nsearch_timeout_s = 0.5\n")
    async with Client(stdio_params([root], ws)) as client:
        with anyio.fail_after(30):
            slow = await client.call_tool("search_files", {"pattern": "(a|aa)+(b|c)+x", "regex": True})
            after = await client.call_tool("read_file", {"path": "fine.txt"})
    assert _sc(slow)["timed_out"] is True
    assert "time limit reached" in slow.content[0].text
    assert not after.is_error  # the server still answers
