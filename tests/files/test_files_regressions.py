"""Regressions for defects QA found in the files server, each through the layer where it showed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import anyio
from files_testkit import stdio_params
from mcp import Client, StdioServerParameters
from sleuth_testkit import SLEUTH, server_env


def _sc(res: Any) -> dict[str, Any]:
    assert not res.is_error, res.content[0].text
    assert res.structured_content is not None
    return res.structured_content


async def test_names_that_are_not_utf8_are_left_out_with_a_note(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    (root / "ok.txt").write_text("needle\n")
    with open(os.path.join(os.fsencode(root), b"bad\xffname.txt"), "wb") as f:
        f.write(b"needle\n")
    os.mkdir(os.path.join(os.fsencode(root), b"dir\xfe"))
    with open(os.path.join(os.fsencode(root), b"dir\xfe", b"inner.txt"), "wb") as f:
        f.write(b"needle\n")
    (tmp_path / "ws").mkdir()
    async with Client(stdio_params([root], tmp_path / "ws")) as client:
        listing = await client.call_tool("list_dir", {"path": "."})
        found = await client.call_tool("search_files", {"pattern": "needle"})
        resources = (await client.list_resources()).resources
    assert [e["path"] for e in _sc(listing)["entries"]] == ["ok.txt"]
    assert _sc(listing)["skipped_names"] == 2 and "not valid UTF-8" in listing.content[0].text
    assert [m["path"] for m in _sc(found)["matches"]] == ["ok.txt"]
    assert _sc(found)["skipped_names"] == 2 and "not valid UTF-8" in found.content[0].text
    assert [r.name for r in resources] == ["ok.txt"]


EVIL_GLOB = "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b"


async def test_catastrophic_or_invalid_globs_are_refused_and_such_gitignore_lines_skipped(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    (root / ("a" * 40)).write_text("hi\n")
    (root / "x.txt").write_text("hi\n")
    (tmp_path / "ws").mkdir()
    async with Client(stdio_params([root], tmp_path / "ws")) as client:
        with anyio.fail_after(5):
            searched = await client.call_tool("search_files", {"pattern": "hi", "glob": EVIL_GLOB})
            listed = await client.call_tool("list_dir", {"glob": EVIL_GLOB})
            fine = await client.call_tool("list_dir", {"glob": "**/*a*"})
            bad_range = await client.call_tool("search_files", {"pattern": "hi", "glob": "[z-a]"})
            bad_escape = await client.call_tool("list_dir", {"glob": "\\"})
            bad_sets = await client.call_tool("search_files", {"pattern": "(?V1)[[a-z]--[b]]", "regex": True})
        (root / ".gitignore").write_text(f"{EVIL_GLOB}\n\\\n[z-a]\nx.*\n")
        with anyio.fail_after(5):
            plain = await client.call_tool("search_files", {"pattern": "hi"})
    for res in (searched, listed):
        assert res.is_error and "wildcards" in res.content[0].text
    assert [e["path"] for e in _sc(fine)["entries"]] == ["a" * 40]
    for res in (bad_range, bad_escape):
        assert res.is_error and "is not a valid gitignore-style pattern" in res.content[0].text
    assert [m["path"] for m in _sc(bad_sets)["matches"]] == ["a" * 40, "x.txt"]  # V1 set operations work
    assert [m["path"] for m in _sc(plain)["matches"]] == ["a" * 40]  # costly and invalid lines skipped, x.* honoured


async def test_command_line_roots_resolve_like_sleuth_toml_roots(tmp_path: Path) -> None:
    ws, elsewhere, real = tmp_path / "ws", tmp_path / "elsewhere", tmp_path / "real"
    for d in (ws / "files", elsewhere / "files", real):
        d.mkdir(parents=True)
    (ws / "files" / "in_ws.txt").write_text("workspace\n")
    (elsewhere / "files" / "in_cwd.txt").write_text("cwd\n")
    (real / "r.txt").write_text("through the link\n")
    (ws / "link").symlink_to(real)
    args = ["serve", "files", "--workspace", str(ws), "--root", "files", "--root", "link"]
    params = StdioServerParameters(command=str(SLEUTH), args=args, env=server_env(), cwd=str(elsewhere))
    async with Client(params) as client:
        listing = _sc(await client.call_tool("list_dir", {"path": "files"}))
        via_link = _sc(await client.call_tool("read_file", {"path": str(ws / "link" / "r.txt")}))
    assert [e["name"] for e in listing["entries"]] == ["in_ws.txt"]
    assert via_link["lines"][0]["text"] == "through the link"


async def test_paths_keep_their_spaces(tmp_path: Path) -> None:
    root = tmp_path / "r"
    (root / "files").mkdir(parents=True)
    (root / "t ").write_text("t-space\n")
    (root / " a.txt").write_text("space-a\n")
    (root / "a.txt").write_text("plain-a\n")
    (tmp_path / "ws").mkdir()
    async with Client(stdio_params([root], tmp_path / "ws", allow_write=True)) as client:
        reads = {p: _sc(await client.call_tool("read_file", {"path": p}))["lines"][0]["text"] for p in ("t ", " a.txt")}
        _sc(await client.call_tool("write_file", {"path": "files/t ", "content": "new\n"}))
        uris = {r.name: str(r.uri) for r in (await client.list_resources()).resources}
        bodies = {name: (await client.read_resource(uri)).contents[0].text for name, uri in uris.items()}
        empty = _sc(await client.call_tool("list_dir", {"path": ""}))
    assert reads == {"t ": "t-space", " a.txt": "space-a"}
    assert sorted(p.name for p in (root / "files").iterdir()) == ["t "]
    assert bodies == {" a.txt": "space-a\n", "a.txt": "plain-a\n", "files/t ": "new\n", "t ": "t-space\n"}
    assert empty["path"] == "."


async def test_resources_list_only_what_resources_read_serves(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    (root / "ok.txt").write_text("text\n")
    (root / "image.png").write_bytes(b"\x89PNG\x00\x00data")
    (root / "huge.txt").write_bytes(b"x\n" * ((2 << 20) // 2 + 1))
    (tmp_path / "ws").mkdir()
    async with Client(stdio_params([root], tmp_path / "ws")) as client:
        listed = (await client.list_resources()).resources
        bodies = [(await client.read_resource(str(r.uri))).contents[0].text for r in listed]
    assert [r.name for r in listed] == ["ok.txt"] and bodies == ["text\n"]
