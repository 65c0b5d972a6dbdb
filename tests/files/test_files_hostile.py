"""The files server attacked as a prompt-injected model would: every escape attempt is refused.

Each attack goes through a real server process (stdio, and Streamable HTTP) with writes enabled.
Canary files outside the root must never appear in any response, must stay unchanged, and no
file may be created outside the root. Secrets inside the root (.env, keys, .git) must not leak.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import anyio
from files_testkit import CANARY, SECRET, dump, http_server, make_tree, stdio_params
from mcp import Client

# (id, tool, arguments): each must come back as a tool error. {R} = root, {O} = outside (absolute).
REFUSED: list[tuple[str, str, dict[str, object]]] = [
    ("read dotdot", "read_file", {"path": "../outside/canary.txt"}),
    ("read dotdot nested", "read_file", {"path": "sub/../../outside/canary.txt"}),
    ("read dotdot backslash", "read_file", {"path": "..\\outside\\canary.txt"}),
    ("read absolute outside", "read_file", {"path": "{O}/canary.txt"}),
    ("read absolute root dotdot", "read_file", {"path": "{R}/../outside/canary.txt"}),
    ("read /etc/passwd", "read_file", {"path": "/etc/passwd"}),
    ("read /proc environ", "read_file", {"path": "/proc/self/environ"}),
    ("read /dev/zero", "read_file", {"path": "/dev/zero"}),
    ("read symlink out", "read_file", {"path": "link_out"}),
    ("read relative symlink out", "read_file", {"path": "rel_link_out"}),
    ("read through dir symlink", "read_file", {"path": "dirlink_out/canary.txt"}),
    ("read hard link", "read_file", {"path": "hard.txt"}),
    ("read fifo", "read_file", {"path": "fifo"}),
    ("read socket", "read_file", {"path": "sock"}),
    ("read .env", "read_file", {"path": ".env"}),
    ("read nested .env", "read_file", {"path": "sub/.env"}),
    ("read private key", "read_file", {"path": "id_rsa"}),
    ("read pem", "read_file", {"path": "server.pem"}),
    ("read credentials", "read_file", {"path": "credentials.json"}),
    ("read .git internals", "read_file", {"path": ".git/config"}),
    ("read nested .git internals", "read_file", {"path": "sub/.git/config"}),
    ("list nested .git", "list_dir", {"path": "sub/.git"}),
    ("read symlink to .env", "read_file", {"path": "link_to_env"}),
    ("read absolute .env", "read_file", {"path": "{R}/.env"}),
    ("read NUL byte", "read_file", {"path": "ok.txt\x00../../outside/canary.txt"}),
    ("read binary", "read_file", {"path": "image.bin"}),
    ("list dotdot", "list_dir", {"path": ".."}),
    ("list absolute outside", "list_dir", {"path": "{O}"}),
    ("list /", "list_dir", {"path": "/"}),
    ("list /proc", "list_dir", {"path": "/proc/self"}),
    ("list dir symlink", "list_dir", {"path": "dirlink_out"}),
    ("list .git", "list_dir", {"path": ".git"}),
    ("list glob dotdot", "list_dir", {"path": ".", "glob": "../*"}),
    ("list glob absolute", "list_dir", {"path": ".", "glob": "/etc/*"}),
    ("search dotdot", "search_files", {"pattern": "CANARY", "path": "../outside"}),
    ("search absolute outside", "search_files", {"pattern": "CANARY", "path": "{O}"}),
    ("search /etc", "search_files", {"pattern": "root", "path": "/etc"}),
    ("search dir symlink", "search_files", {"pattern": "CANARY", "path": "dirlink_out"}),
    ("search file symlink", "search_files", {"pattern": "CANARY", "path": "link_out"}),
    ("search hard link", "search_files", {"pattern": "CANARY", "path": "hard.txt"}),
    ("search .git", "search_files", {"pattern": "SECRET", "path": ".git"}),
    ("search .env", "search_files", {"pattern": "SECRET", "path": ".env"}),
    ("search glob dotdot", "search_files", {"pattern": "CANARY", "glob": "../**"}),
    ("search fifo", "search_files", {"pattern": "x", "path": "fifo"}),
    ("info dotdot", "file_info", {"path": "../outside/canary.txt"}),
    ("info symlink out", "file_info", {"path": "link_out"}),
    ("info .env", "file_info", {"path": ".env"}),
    ("info fifo", "file_info", {"path": "fifo"}),
    ("write dotdot", "write_file", {"path": "../outside/created.txt", "content": "pwned"}),
    ("write absolute outside", "write_file", {"path": "{O}/created.txt", "content": "pwned"}),
    ("write through dir symlink", "write_file", {"path": "dirlink_out/created.txt", "content": "pwned"}),
    ("write over symlink out", "write_file", {"path": "link_out", "content": "pwned"}),
    ("write hard link", "write_file", {"path": "hard.txt", "content": "pwned"}),
    ("write .env", "write_file", {"path": ".env", "content": "pwned"}),
    ("write new .env", "write_file", {"path": "sub/deep/.env", "content": "pwned"}),
    ("write git hook", "write_file", {"path": ".git/hooks/pre-commit", "content": "#!/bin/sh\nrm -rf /\n"}),
    ("write fifo", "write_file", {"path": "fifo", "content": "pwned"}),
    ("write root itself", "write_file", {"path": ".", "content": "pwned"}),
    ("write /tmp", "write_file", {"path": "/tmp/sleuth-files-hostile-created.txt", "content": "pwned"}),
    ("edit symlink out", "edit_file", {"path": "link_out", "old": "CANARY", "new": "pwned"}),
    ("edit hard link", "edit_file", {"path": "hard.txt", "old": "CANARY", "new": "pwned"}),
    ("edit .env", "edit_file", {"path": ".env", "old": "SECRET", "new": "pwned"}),
    ("edit dotdot", "edit_file", {"path": "../outside/canary.txt", "old": "CANARY", "new": "pwned"}),
]

# (id, tool, arguments): allowed calls that must not leak anything while doing their job.
PROBES: list[tuple[str, str, dict[str, object]]] = [
    ("search everything for canary", "search_files", {"pattern": "CANARY", "max_results": 200}),
    ("search everything for secret", "search_files", {"pattern": "SECRET", "max_results": 200}),
    ("regex search everything", "search_files", {"pattern": ".", "regex": True, "max_results": 200, "context": 5}),
    ("list everything", "list_dir", {"path": ".", "depth": 10}),
    ("list with glob", "list_dir", {"path": ".", "depth": 10, "glob": "*.txt"}),
]

RESOURCE_URIS = [
    "file://{O}/canary.txt",
    "file://{R}/link_out",
    "file://{R}/dirlink_out/canary.txt",
    "file://{R}/../outside/canary.txt",
    "file://{R}/%2e%2e/outside/canary.txt",
    "file://{R}/.env",
    "file://{R}/hard.txt",
    "file://{R}/fifo",
    "file:///proc/self/environ",
    "file:///etc/passwd",
]

TMP_CANARY_PATH = Path("/tmp/sleuth-files-hostile-created.txt")


def _fill(value: object, root: Path, outside: Path) -> object:
    if isinstance(value, str):
        return value.replace("{R}", str(root)).replace("{O}", str(outside))
    return value


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


async def _attack(client: Client, root: Path, outside: Path) -> list[str]:
    """Run every attack and probe; return the problems found (empty = all refused, nothing leaked)."""
    problems: list[str] = []
    for name, tool, args in REFUSED + PROBES:
        filled = {k: _fill(v, root, outside) for k, v in args.items()}
        with anyio.fail_after(20):
            res = await client.call_tool(tool, filled)
        text = dump(res)
        if (name, tool, args) in REFUSED and not res.is_error:
            problems.append(f"{name}: not refused: {text[:200]}")
        if CANARY in text or SECRET in text:
            problems.append(f"{name}: leaked protected content: {text[:200]}")
        if res.is_error and "Error executing tool" not in text:
            problems.append(f"{name}: error without a clear message: {text[:200]}")
    for uri in RESOURCE_URIS:
        filled_uri = str(_fill(uri, root, outside))
        try:
            with anyio.fail_after(20):
                got = await client.read_resource(filled_uri)
            problems.append(f"resource {filled_uri}: not refused: {str(got)[:200]}")
        except Exception as exc:  # the refusal arrives as an MCP protocol error
            if CANARY in str(exc) or SECRET in str(exc):
                problems.append(f"resource {filled_uri}: leaked in the error: {exc}")
    listed = await client.list_resources()
    for r in listed.resources:
        if str(outside) in str(r.uri) or r.name in {".env", "id_rsa", "hard.txt", "link_out"} or ".git/" in r.name:
            problems.append(f"list_resources shows a protected file: {r.uri}")
    return problems


def _check_untouched(before: dict[str, str], outside: Path, root: Path) -> None:
    assert _snapshot(outside) == before, "a file outside the root was created or changed"
    assert not TMP_CANARY_PATH.exists(), f"{TMP_CANARY_PATH} was created"
    assert (root / ".env").read_text().startswith(SECRET)
    assert not list(root.rglob("*.tmp")), "a temporary file was left behind"


def test_attack_list_is_big_enough() -> None:
    assert len(REFUSED) + len(RESOURCE_URIS) >= 30


async def test_hostile_suite_over_stdio(tmp_path: Path) -> None:
    root, outside = make_tree(tmp_path)
    (tmp_path / "ws").mkdir()
    before = _snapshot(outside)
    async with Client(stdio_params([root], tmp_path / "ws", allow_write=True)) as client:
        problems = await _attack(client, root, outside)
    assert problems == [], "\n".join(problems)
    _check_untouched(before, outside, root)


async def test_hostile_suite_over_http(tmp_path: Path) -> None:
    root, outside = make_tree(tmp_path)
    (tmp_path / "ws").mkdir()
    before = _snapshot(outside)
    with http_server([root], tmp_path / "ws", allow_write=True) as url:
        async with Client(url) as client:
            problems = await _attack(client, root, outside)
    assert problems == [], "\n".join(problems)
    _check_untouched(before, outside, root)


async def test_read_only_server_has_no_write_tools(tmp_path: Path) -> None:
    root, _outside = make_tree(tmp_path)
    (tmp_path / "ws").mkdir()
    async with Client(stdio_params([root], tmp_path / "ws")) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        res = await client.call_tool("write_file", {"path": "new.txt", "content": "x"})
    assert names == {"list_dir", "read_file", "search_files", "file_info"}
    assert res.is_error
    assert not (root / "new.txt").exists()


async def test_in_root_paths_and_in_root_symlinks_still_work(tmp_path: Path) -> None:
    """The sandbox is not merely refusing everything: in-root paths and in-root symlinks work."""
    root, _ = make_tree(tmp_path)
    (tmp_path / "ws").mkdir()
    async with Client(stdio_params([root], tmp_path / "ws")) as client:
        direct = await client.call_tool("read_file", {"path": "sub/code.py"})
        absolute = await client.call_tool("read_file", {"path": str(root / "ok.txt")})
        via_link = await client.call_tool("read_file", {"path": "link_in"})
    for res in (direct, absolute, via_link):
        assert not res.is_error, res.content[0].text
    assert via_link.structured_content is not None
    assert via_link.structured_content["path"] == "ok.txt"
