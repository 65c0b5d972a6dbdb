"""Content search over the files inside a root: fast, bounded, .gitignore-aware.

How it stays fast in pure Python: each file is read whole as bytes and searched with `bytes.find`
(a case-sensitive literal) or, decoded from UTF-8 for Unicode semantics, with one compiled regex
(the `regex` engine, time-limited) over the whole text; only around a hit are lines split and
counted. Files are read by a small thread pool (reads and regex matching release the GIL).
Results come back in path order, then line order, so the first `max_results` are stable whatever
the thread timing.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, AnyStr

import regex as regex_engine
from pathspec import GitIgnoreSpec

from mcp_servers.files.models import MAX_SEARCH_DEPTH, SearchMatch, SearchResult
from mcp_servers.files.reading import clip, decode_line, is_binary
from mcp_servers.files.regex_guard import check_regex
from mcp_servers.files.sandbox import FilesError, Sandbox, Target
from mcp_servers.files.walk import VCS_DIRS, walk

MAX_SEARCH_FILE_BYTES = 64 << 20
MAX_CONTEXT_LINES = 5
MAX_PATTERN_CHARS = 1000
DEFAULT_WORKERS = min(4, os.cpu_count() or 2)  # measured: more threads than cores only add GIL churn


@dataclass
class _FileHits:
    matches: list[SearchMatch] = field(default_factory=list)
    binary: bool = False
    skipped: bool = False  # deadline passed or search stopped before this file


@dataclass(frozen=True)
class Finder:
    """`find(haystack, pos)` -> (start, end) of the next hit at or after pos, or None.

    `on_text`: the haystack is the file decoded from UTF-8 (regexes and ignore_case need Unicode
    semantics: `\\w`, `[è]` and case folding are about characters, not bytes); otherwise its raw bytes.
    """

    find: Callable[[Any, int], tuple[int, int] | None]
    on_text: bool


def make_finder(pattern: str, regex: bool, ignore_case: bool, deadline: float | None = None) -> Finder:
    """How to find `pattern`: a bytes search for a plain case-sensitive literal (fastest), else a regex.

    Regular expressions run on the `regex` engine (Python `re` syntax) with a time limit per call
    and the GIL released, so a pathological pattern raises TimeoutError instead of freezing the
    server; one whose compilation could exhaust memory is refused before compiling (regex_guard).
    A line matches when the expression matches within that line, as with grep.
    """
    if not pattern:
        raise FilesError("pattern is empty; give the text (or regex=true: the regular expression) to find")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise FilesError(f"pattern is longer than {MAX_PATTERN_CHARS} characters")
    if not regex and not ignore_case:
        needle = pattern.encode("utf-8")

        def find_literal(buf: bytes, pos: int) -> tuple[int, int] | None:
            i = buf.find(needle, pos)
            return None if i < 0 else (i, i + len(needle))

        return Finder(find_literal, on_text=False)
    if regex:
        check_regex(pattern)
    try:
        # V0 (Python `re` syntax) is the engine's default; not forcing it lets `(?V1)` turn on set operations.
        flags = regex_engine.MULTILINE | (regex_engine.IGNORECASE if ignore_case else 0)
        rx = regex_engine.compile(pattern if regex else regex_engine.escape(pattern), flags)
    except (regex_engine.error, ValueError) as exc:
        raise FilesError(f"invalid regular expression {pattern!r}: {exc}") from None

    def left() -> float | None:
        return None if deadline is None else max(0.001, deadline - time.monotonic())

    def find_regex(text: str, pos: int) -> tuple[int, int] | None:
        while True:
            m = rx.search(text, pos, timeout=left(), concurrent=True)
            if m is None:
                return None
            start = m.start()
            ls = text.rfind("\n", 0, start) + 1
            le = text.find("\n", start)
            le = len(text) if le < 0 else le
            # A match that runs past its line counts only if the line matches on its own (grep's rule).
            if m.end() <= le or rx.search(text, ls, le, timeout=left(), concurrent=True) is not None:
                return start, m.end()
            pos = le + 1

    return Finder(find_regex, on_text=True)


def _line(piece: AnyStr) -> str:
    """A line's text as the tools show it, from raw bytes or already decoded text."""
    return decode_line(piece) if isinstance(piece, bytes) else clip(piece.rstrip("\r\n"))


def _context(hay: AnyStr, nl: AnyStr, ls: int, le: int, n: int) -> tuple[list[str], list[str]]:
    before: list[str] = []
    pos = ls
    while len(before) < n and pos > 0:
        start = hay.rfind(nl, 0, pos - 1) + 1
        before.insert(0, _line(hay[start : pos - 1]))
        pos = start
    after: list[str] = []
    pos = le + 1
    while len(after) < n and pos < len(hay):
        end = hay.find(nl, pos)
        end = len(hay) if end < 0 else end
        after.append(_line(hay[pos:end]))
        pos = end + 1
    return before, after


def search_buffer(buf: bytes, finder: Finder, display: str, limit: int, context: int) -> list[SearchMatch]:
    """Matching lines of one file, at most `limit`, each line once.

    Decoding with "replace" keeps every newline, so line numbers are the same on bytes and text.
    """
    hay: str | bytes = buf.decode("utf-8", "replace") if finder.on_text else buf
    nl = "\n" if finder.on_text else b"\n"
    out: list[SearchMatch] = []
    pos = 0
    line_no, counted_to = 1, 0
    # Past a final newline there is no line left: an empty match there (`^$`) is not a line.
    last = len(hay) - 1 if not hay or hay.endswith(nl) else len(hay)  # type: ignore[arg-type]
    while len(out) < limit and pos < len(hay):
        hit = finder.find(hay, pos)
        if hit is None or hit[0] > last:
            break
        ls = hay.rfind(nl, 0, hit[0]) + 1  # type: ignore[arg-type]
        le = hay.find(nl, hit[0])  # type: ignore[arg-type]
        le = len(hay) if le < 0 else le
        line_no += hay.count(nl, counted_to, ls)  # type: ignore[arg-type]
        counted_to = ls
        before, after = _context(hay, nl, ls, le, context) if context else ([], [])
        out.append(SearchMatch(path=display, line=line_no, text=_line(hay[ls:le]), before=before, after=after))
        pos = le + 1
    return out


def search(
    sandbox: Sandbox,
    target: Target,
    pattern: str,
    *,
    regex: bool,
    ignore_case: bool,
    glob_spec: GitIgnoreSpec | None,
    max_results: int,
    context: int,
    timeout_s: float,
    workers: int = DEFAULT_WORKERS,
) -> SearchResult:
    """Search `target` (a folder, recursively, or one file) for lines matching `pattern`."""
    if not 0 <= context <= MAX_CONTEXT_LINES:
        raise FilesError(f"context must be between 0 and {MAX_CONTEXT_LINES}, got {context}")
    if max_results < 1:
        raise FilesError(f"max_results must be 1 or more, got {max_results}")
    deadline = time.monotonic() + timeout_s
    find = make_finder(pattern, regex, ignore_case, deadline)
    files, large, undecodable, deep = _candidates(sandbox, target, glob_spec, deadline)
    stop = threading.Event()

    def batch(chunk: list[tuple[str, os.stat_result]]) -> list[_FileHits]:
        out = []
        for file in chunk:
            if stop.is_set() or time.monotonic() > deadline:
                out.append(_FileHits(skipped=True))
            else:
                out.append(_search_file(sandbox, target, file, find, max_results, context))
        return out

    # Files go to the threads in ordered batches: one future per file costs more than reading it.
    size = max(1, min(256, len(files) // (workers * 8)))
    chunks = [files[i : i + size] for i in range(0, len(files), size)]
    matches: list[SearchMatch] = []
    searched = binary = 0
    done = timed_out = truncated = False
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for hits in itertools.chain.from_iterable(pool.map(batch, chunks)):
            if done:
                continue
            if hits.skipped:  # only the deadline skips a file before `done`
                timed_out = done = True
                stop.set()
                continue
            searched += 1
            binary += hits.binary
            matches.extend(hits.matches[: max_results - len(matches)])
            if len(matches) >= max_results:
                truncated = done = True
                stop.set()
    timed_out = timed_out or time.monotonic() > deadline
    return SearchResult(
        pattern=pattern,
        path=target.display,
        matches=matches,
        files_searched=searched,
        skipped_binary=binary,
        skipped_large=large,
        truncated=truncated,
        timed_out=timed_out,
        skipped_names=undecodable,
        skipped_deep=deep,
    )


def _candidates(
    sandbox: Sandbox, target: Target, glob_spec: GitIgnoreSpec | None, deadline: float
) -> tuple[list[tuple[str, os.stat_result]], int, int, int]:
    """The files to search (root-relative path and walk-time stat), sorted; how many were too large, how
    many entries were left out for a name that is not valid UTF-8, and how many folders for their depth."""
    if not os.path.isdir(target.real):
        fd, st = sandbox.open_file(target)  # one file: refusals (special file, hard link) are errors
        os.close(fd)
        return ([], 1, 0, 0) if st.st_size > MAX_SEARCH_FILE_BYTES else ([(target.rel, st)], 0, 0, 0)
    base = len(target.rel) + 1 if target.rel else 0
    files: list[tuple[str, os.stat_result]] = []
    large = undecodable = deep = 0
    entries = walk(
        sandbox, target, max_depth=MAX_SEARCH_DEPTH, include_ignored=False, skip_dirs=VCS_DIRS, deadline=deadline
    )
    for e in entries:
        if e.undecodable:
            undecodable += 1
            continue
        if e.kind == "dir" and e.depth == MAX_SEARCH_DEPTH and e.name not in VCS_DIRS:
            deep += 1
        if not e.readable:
            continue
        if glob_spec is not None and not glob_spec.match_file(e.rel[base:]):
            continue
        if e.st.st_size > MAX_SEARCH_FILE_BYTES:
            large += 1
            continue
        files.append((e.rel, e.st))
    files.sort(key=lambda f: f[0])
    return files, large, undecodable, deep


def _search_file(
    sandbox: Sandbox, target: Target, file: tuple[str, os.stat_result], find: Finder, limit: int, context: int
) -> _FileHits:
    rel, walked = file
    shown = sandbox.display(target.root, rel)
    try:
        fd, st = sandbox.open_walked(f"{target.root.path}/{rel}", walked, shown)
    except (FilesError, OSError):
        return _FileHits()  # vanished, swapped or refused since the walk: leave it out
    try:
        buf = _read_all(fd, st.st_size)
    finally:
        os.close(fd)
    if is_binary(buf):
        return _FileHits(binary=True)
    try:
        return _FileHits(matches=search_buffer(buf, find, shown, limit, context))
    except TimeoutError:  # the regex engine hit the deadline inside this file
        return _FileHits(skipped=True)


def _read_all(fd: int, size: int) -> bytes:
    """The file's bytes as of the walk's size (a file growing meanwhile is read up to that size)."""
    chunks = []
    want = min(size, MAX_SEARCH_FILE_BYTES)
    while want > 0:
        chunk = os.read(fd, want)
        if not chunk:
            break
        chunks.append(chunk)
        want -= len(chunk)
    return b"".join(chunks)
