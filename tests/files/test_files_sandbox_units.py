"""The sandbox, search and paging rules on a real file system, below the MCP layer.

Races (TOCTOU) cannot be timed reliably through a server, so they are staged here: resolve a
path, swap a component for a symlink, then open.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from mcp_servers.files import reading, render, search, writing
from mcp_servers.files.sandbox import FilesError, Sandbox
from mcp_servers.files.walk import walk
from sleuth.config import FilesSettings

DENY = [".env", ".git/**"]


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "sub").mkdir(parents=True)
    (outside / "sub").mkdir(parents=True)
    (root / "sub" / "f.txt").write_text("inside\n")
    (outside / "sub" / "f.txt").write_text("OUTSIDE\n")
    (outside / "f.txt").write_text("OUTSIDE\n")
    return root, outside


def test_swapping_a_folder_for_a_symlink_after_resolve_is_caught(tree: tuple[Path, Path]) -> None:
    root, outside = tree
    sb = Sandbox([root], DENY)
    target = sb.resolve("sub/f.txt")
    shutil.rmtree(root / "sub")
    (root / "sub").symlink_to(outside / "sub")
    with pytest.raises(FilesError, match="changed while it was being opened"):
        sb.open_file(target)


def test_swapping_the_file_for_a_symlink_after_resolve_is_caught(tree: tuple[Path, Path]) -> None:
    root, outside = tree
    sb = Sandbox([root], DENY)
    target = sb.resolve("sub/f.txt")
    (root / "sub" / "f.txt").unlink()
    (root / "sub" / "f.txt").symlink_to(outside / "f.txt")
    with pytest.raises(FilesError, match="symlink"):
        sb.open_file(target)


def test_write_through_a_swapped_parent_does_not_escape(tree: tuple[Path, Path]) -> None:
    root, outside = tree
    sb = Sandbox([root], DENY)
    target = sb.resolve("sub/new.txt", must_exist=False)
    shutil.rmtree(root / "sub")
    (root / "sub").symlink_to(outside / "sub")
    with pytest.raises(FilesError, match="not a plain folder"):
        writing.write_file(target, "pwned")
    assert not (outside / "sub" / "new.txt").exists()


def test_same_named_roots_get_distinct_names(tmp_path: Path) -> None:
    a, b = tmp_path / "one" / "proj", tmp_path / "two" / "proj"
    a.mkdir(parents=True)
    b.mkdir(parents=True)
    (b / "x.txt").write_text("x\n")
    sb = Sandbox([a, b], DENY)
    assert [r.name for r in sb.roots] == ["proj", "proj-2"]
    assert sb.resolve("proj-2/x.txt").display == "proj-2/x.txt"


def test_walk_never_enters_symlinked_folders_and_honours_nested_gitignore(tree: tuple[Path, Path]) -> None:
    root, outside = tree
    (root / "link").symlink_to(outside)
    (root / ".gitignore").write_text("*.tmp\n")
    (root / "sub" / ".gitignore").write_text("!keep.tmp\n")
    (root / "sub" / "keep.tmp").write_text("k\n")
    (root / "drop.tmp").write_text("d\n")
    (root / ".env").write_text("S=1\n")
    sb = Sandbox([root], DENY)
    rels = [e.rel for e in walk(sb, sb.resolve("."), max_depth=10, include_ignored=False)]
    assert rels == [".gitignore", "link", "sub", "sub/.gitignore", "sub/f.txt", "sub/keep.tmp"]


def test_an_ignored_folder_asked_for_by_name_is_searched(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("logs/\n")
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "app.txt").write_text("boom\n")
    sb = Sandbox([tmp_path], DENY)

    def hits(path: str) -> list[str]:
        res = search.search(
            sb, sb.resolve(path), "boom", regex=False, ignore_case=False, glob_spec=None,
            max_results=10, context=0, timeout_s=10,
        )  # fmt: skip
        return [m.path for m in res.matches]

    assert hits(".") == []
    assert hits("logs") == ["logs/app.txt"]


def _lines(buf: bytes, pattern: str, regex: bool = False, ignore_case: bool = False) -> list[tuple[int, str]]:
    finder = search.make_finder(pattern, regex, ignore_case=ignore_case)
    return [(m.line, m.text) for m in search.search_buffer(buf, finder, "f", 100, 0)]


def test_search_line_semantics_match_grep() -> None:
    buf = b"a b\na\nb\nxx a  b\nlast a b"
    assert _lines(buf, r"a\s+b", regex=True) == [(1, "a b"), (4, "xx a  b"), (5, "last a b")]
    assert _lines(buf, "a b") == [(1, "a b"), (5, "last a b")]
    assert _lines(b"one\r\ntwo one\r\n", "one") == [(1, "one"), (2, "two one")]
    assert _lines(b"x\nx\n", "x") == [(1, "x"), (2, "x")]
    assert _lines(b"", "x") == []
    assert _lines(b"a\nb\nc\n", "^$", regex=True) == []  # no line 4 after the final newline
    assert _lines(b"a\n\nc", "^$", regex=True) == [(2, "")]
    assert _lines(b"", "^$", regex=True) == []
    assert _lines(b"x\nab", r"(?<=b)$", regex=True) == [(2, "ab")]  # an unterminated last line still counts


def test_regex_and_ignore_case_search_by_characters_not_bytes() -> None:
    buf = "x\ncafé été\n".encode() + b"\xff bad " + "é\nÉTÉ\n".encode()
    assert _lines(buf, "ÉTÉ", ignore_case=True) == [(2, "café été"), (4, "ÉTÉ")]
    assert _lines(buf, "[è]", regex=True) == []
    assert _lines(buf, r"caf\w\b", regex=True) == [(2, "café été")]
    assert _lines(buf, "bad .$", regex=True) == [(3, "\ufffd bad é")]
    assert _lines(buf, "été") == [(2, "café été")]  # the bytes path for plain literals


def test_search_stops_at_the_deadline(tmp_path: Path) -> None:
    for i in range(300):
        (tmp_path / f"f{i:03}.txt").write_text("needle\n")
    sb = Sandbox([tmp_path], DENY)
    res = search.search(
        sb, sb.resolve("."), "needle", regex=False, ignore_case=False, glob_spec=None,
        max_results=1000, context=0, timeout_s=1e-9,
    )  # fmt: skip
    assert res.timed_out is True
    assert len(res.matches) < 300


def test_search_cap_keeps_the_first_matches_in_path_order(tmp_path: Path) -> None:
    for name in ("b.txt", "a.txt", "c/z.txt"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("hit\nhit\n")
    sb = Sandbox([tmp_path], DENY)
    res = search.search(
        sb, sb.resolve("."), "hit", regex=False, ignore_case=False, glob_spec=None,
        max_results=3, context=0, timeout_s=10, workers=3,
    )  # fmt: skip
    assert [(m.path, m.line) for m in res.matches] == [("a.txt", 1), ("a.txt", 2), ("b.txt", 1)]
    assert res.truncated is True


@pytest.mark.parametrize(
    ("content", "total"),
    [(b"", 0), (b"one", 1), (b"one\n", 1), (b"one\ntwo", 2), (b"a\r\nb\r\n", 2)],
)
def test_read_counts_lines_like_wc_plus_a_last_unterminated_line(tmp_path: Path, content: bytes, total: int) -> None:
    (tmp_path / "f.txt").write_bytes(content)
    sb = Sandbox([tmp_path], DENY)
    res = reading.read_file(sb, sb.resolve("f.txt"), 1, 10)
    assert res.total_lines == total
    assert all("\r" not in line.text for line in res.lines)
    assert res.next_start_line is None


def test_read_pages_by_character_budget_on_huge_lines(tmp_path: Path) -> None:
    line = "x" * reading.MAX_LINE_CHARS * 2
    (tmp_path / "min.js").write_text((line + "\n") * 400)
    sb = Sandbox([tmp_path], DENY)
    res = reading.read_file(sb, sb.resolve("min.js"), 1, 1000)
    assert res.lines[0].text.endswith("characters]")
    assert res.truncated is True and res.next_start_line == len(res.lines) + 1
    assert res.total_lines == 400


def test_list_dir_reports_modification_time_in_utc(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("a\n")
    os.utime(tmp_path / "a.txt", (0, 86400))
    sb = Sandbox([tmp_path], DENY)
    res = reading.list_dir(sb, sb.resolve("."), 1, None)
    assert res.entries[0].modified == "1970-01-02T00:00:00Z"


@pytest.mark.parametrize(
    "pattern",
    [
        "(?:(?:a{999}){999}){999}",
        "(?:a{101}){200}",
        "(?:a{1,200}b){120,}",
        "a{9999}" * 3,
        "(?x)(?:(?:a{999}) {999}) {999}",
        "[[](?:(?:a{999}){999}){999}]",
        "(?x)#[\n(?:(?:a{999}){999}){999}]",
        "(?<a>(?&a))",
        "a(?R)?",
        "(a)(?1)",
        "(?P<n>x)(?P>n)",
    ],
)
def test_regexes_that_could_exhaust_memory_while_compiling_are_refused_at_once(pattern: str) -> None:
    start = time.monotonic()
    with pytest.raises(FilesError, match=r"expands to|recursive"):
        search.make_finder(pattern, True, ignore_case=False)
    assert time.monotonic() - start < 0.5


@pytest.mark.parametrize(
    "pattern", ["(?:a{100}){100}", "a{9999}a{9999}", r"x{2,5}\d{3}", "[(]{500}", r"\p{L}{3}(a|b){4}", "a{,9999}"]
)
def test_ordinary_counted_repeats_still_compile(pattern: str) -> None:
    search.make_finder(pattern, True, ignore_case=False)


class _TrackedFile(io.BytesIO):
    """A file that remembers the most bytes one read handed out (a whole-line read shows up here)."""

    largest = 0

    def _seen(self, data: bytes) -> bytes:
        self.largest = max(self.largest, len(data))
        return data

    def read(self, size: int | None = -1) -> bytes:
        return self._seen(super().read(size))

    def readline(self, size: int | None = -1) -> bytes:
        return self._seen(super().readline(size))

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


@pytest.mark.parametrize("start", [1, 2, 3])
def test_read_holds_a_bounded_part_of_a_huge_line(start: int) -> None:
    data = b"x" * (6 << 20) + b"\nshort\n" + "é".encode() * 3000 + b"\r\n"
    f = _TrackedFile(data)
    lines, total = reading._window(f, start, 10)
    assert f.largest <= 1 << 20  # never a whole 6 MB line at once
    expected = [
        "x" * 2000 + f" … [line cut, {6 << 20} characters]",
        "short",
        "é" * 2000 + " … [line cut, 3000 characters]",
    ]
    assert [(ln.line, ln.text) for ln in lines] == list(enumerate(expected, 1))[start - 1 :]
    assert total == 3


@pytest.mark.parametrize(
    "data",
    [b"y" * 9000, b"y" * 9000 + b"\nnext\n", b"y" * 1999 + b"\r" * 7000 + b"\nnext", b"\xff" * 8100 + b"z\r\n"],
)
def test_long_lines_read_as_whole_lines_were(data: bytes) -> None:
    lines, total = reading._window(io.BytesIO(data), 1, 10)
    whole = [reading.decode_line(raw) for raw in io.BytesIO(data)]
    assert [ln.text for ln in lines] == whole
    assert total == len(whole)


def test_a_deep_chain_of_folders_does_not_break_search(tmp_path: Path) -> None:
    (tmp_path / "top.txt").write_text("needle\n")
    deepest = tmp_path
    for _ in range(1500):  # os.makedirs itself recurses too deep for this
        deepest = deepest / "d"
        deepest.mkdir()
    (tmp_path.joinpath(*["d"] * 5) / "mid.txt").write_text("needle\n")
    sb = Sandbox([tmp_path], DENY)
    try:
        res = search.search(
            sb, sb.resolve("."), "needle", regex=False, ignore_case=False, glob_spec=None,
            max_results=10, context=0, timeout_s=30,
        )  # fmt: skip
    finally:  # pytest's own clean-up (shutil.rmtree) recurses and would fail on the chain
        subprocess.run(["rm", "-rf", "--", str(tmp_path / "d")], check=True)
    assert [m.path for m in res.matches] == ["d/d/d/d/d/mid.txt", "top.txt"]
    assert res.skipped_deep == 1 and "levels deep were not searched" in render.render_search(res)


def test_default_deny_hides_sleuth_state_at_any_depth_and_settings_are_never_written(tmp_path: Path) -> None:
    for rel in (".sleuth/state.txt", "proj/.sleuth/state.txt", "sleuth.toml", "proj/sleuth.toml"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("[files]\n")
    sb = Sandbox([tmp_path], FilesSettings().deny)
    for rel in (".sleuth/state.txt", "proj/.sleuth/state.txt"):
        with pytest.raises(FilesError, match="denied"):
            sb.resolve(rel)
    for rel in ("sleuth.toml", "proj/sleuth.toml", "new/sleuth.toml"):
        with pytest.raises(FilesError, match=r"never writes sleuth\.toml"):
            writing.write_file(sb.resolve(rel, must_exist=False), "[agent]\n")
    with pytest.raises(FilesError, match=r"never writes sleuth\.toml"):
        writing.edit_file(sb, sb.resolve("proj/sleuth.toml"), "[files]", "[agent]")
    assert reading.read_file(sb, sb.resolve("proj/sleuth.toml"), 1, 10).lines[0].text == "[files]"
    assert (tmp_path / "sleuth.toml").read_text() == "[files]\n" and not (tmp_path / "new").exists()


def test_an_invalid_regex_is_named_in_the_error() -> None:
    with pytest.raises(FilesError, match=r"invalid regular expression '\(\?V0\)\(\?V1\)a'"):
        search.make_finder("(?V0)(?V1)a", True, ignore_case=False)


@pytest.mark.parametrize("path", ["loop1", "loop2", "loop1/x.txt"])
def test_a_symlink_loop_is_called_one(tmp_path: Path, path: str) -> None:
    (tmp_path / "loop1").symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to("loop1")
    sb = Sandbox([tmp_path], DENY)
    with pytest.raises(FilesError, match="is a symlink loop"):
        reading.read_file(sb, sb.resolve(path), 1, 10)


def test_a_symlink_to_a_name_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    os.symlink(b"bad\xffname.txt", os.path.join(os.fsencode(tmp_path), b"link"))
    with open(os.path.join(os.fsencode(tmp_path), b"bad\xffname.txt"), "wb") as f:
        f.write(b"x\n")
    sb = Sandbox([tmp_path], DENY)
    with pytest.raises(FilesError, match="not valid UTF-8"):
        sb.resolve("link")
