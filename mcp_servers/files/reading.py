"""Read-only operations: list a folder, read a text file in pages, describe a path.

Reads stream the file in blocks, so a huge log is paged without loading it whole; line text is
capped so that one minified line cannot flood the model's context.
"""

from __future__ import annotations

import codecs
import mimetypes
import os
import stat
from datetime import UTC, datetime
from typing import BinaryIO

from pathspec import GitIgnoreSpec

from mcp_servers.files.models import DirEntry, FileInfoResult, Line, ListDirResult, ReadFileResult
from mcp_servers.files.sandbox import FilesError, Sandbox, Target, kind_of
from mcp_servers.files.walk import walk

BINARY_SNIFF_BYTES = 8192
MAX_LINE_CHARS = 2000
MAX_READ_CHARS = 400_000
MAX_LIST_ENTRIES = 1000
MAX_LIST_DEPTH = 10
_BLOCK = 1 << 20
_CHUNK = 1 << 16
_LINE_BYTES = MAX_LINE_CHARS * 4 + 8  # enough bytes for MAX_LINE_CHARS characters of UTF-8


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def is_binary(sample: bytes) -> bool:
    """NUL bytes near the start mean binary (git's and grep's rule)."""
    return b"\x00" in sample[:BINARY_SNIFF_BYTES]


def clip(text: str) -> str:
    if len(text) <= MAX_LINE_CHARS:
        return text
    return text[:MAX_LINE_CHARS] + f" … [line cut, {len(text)} characters]"


def decode_line(raw: bytes) -> str:
    return clip(raw.rstrip(b"\r\n").decode("utf-8", "replace"))


def list_dir(sandbox: Sandbox, target: Target, depth: int, glob_spec: GitIgnoreSpec | None) -> ListDirResult:
    if not os.path.isdir(target.real):
        raise FilesError(f"{target.display} is not a folder; use read_file or file_info")
    if not 1 <= depth <= MAX_LIST_DEPTH:
        raise FilesError(f"depth must be between 1 and {MAX_LIST_DEPTH}, got {depth}")
    entries: list[DirEntry] = []
    truncated = False
    skipped = 0
    base = len(target.rel) + 1 if target.rel else 0
    for e in walk(sandbox, target, max_depth=depth, include_ignored=True):
        if e.undecodable:
            skipped += 1
            continue
        if glob_spec is not None and not glob_spec.match_file(e.rel[base:]):
            continue
        if len(entries) >= MAX_LIST_ENTRIES:
            truncated = True
            break
        entries.append(
            DirEntry(
                path=sandbox.display(target.root, e.rel),
                name=e.name,
                type=e.kind,  # type: ignore[arg-type]
                size=e.st.st_size if e.kind == "file" else 0,
                modified=iso(e.st.st_mtime),
                depth=e.depth,
                ignored=e.ignored,
            )
        )
    return ListDirResult(path=target.display, entries=entries, truncated=truncated, skipped_names=skipped)


def read_file(sandbox: Sandbox, target: Target, start_line: int, max_lines: int) -> ReadFileResult:
    if start_line < 1:
        raise FilesError(f"start_line must be 1 or more, got {start_line}")
    if max_lines < 1:
        raise FilesError(f"max_lines must be 1 or more, got {max_lines}")
    fd, _ = sandbox.open_file(target)
    with os.fdopen(fd, "rb") as f:
        if is_binary(f.read(BINARY_SNIFF_BYTES)):
            raise FilesError(
                f"{target.display} is a binary file (it contains NUL bytes); read_file returns text "
                "only. Use file_info for its size and type."
            )
        f.seek(0)
        lines, total = _window(f, start_line, max_lines)
    if start_line > max(total, 1):
        raise FilesError(f"start_line {start_line} is past the end of {target.display} ({total} lines)")
    end = start_line + len(lines) - 1
    return ReadFileResult(
        path=target.display,
        start_line=start_line,
        end_line=end,
        total_lines=total,
        truncated=end < total,
        next_start_line=end + 1 if end < total else None,
        lines=lines,
    )


def _window(f: BinaryIO, start: int, count: int) -> tuple[list[Line], int]:
    """Lines start..start+count-1 (fewer past MAX_READ_CHARS) and the file's total line count."""
    lines: list[Line] = []
    chars = 0
    n = 0
    while n + 1 < start:
        if not _skip_line(f):
            return lines, n
        n += 1
    while (text := read_line(f)) is not None:
        n += 1
        if len(lines) >= count or (lines and chars + len(text) > MAX_READ_CHARS):
            return lines, n + count_lines(f)
        lines.append(Line(line=n, text=text))
        chars += len(text)
    return lines, n


def read_line(f: BinaryIO) -> str | None:
    """The next line as `decode_line` gives it (None at the end), holding at most a few KiB of it.

    Why: a file without newlines would otherwise be read whole into memory to show 2000 characters.
    The rest of a long line is decoded chunk by chunk only to count its characters for the note.
    """
    raw = f.readline(_LINE_BYTES)
    if not raw:
        return None
    if raw.endswith(b"\n") or len(raw) < _LINE_BYTES:
        return decode_line(raw)
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    head = decoder.decode(raw)
    total, trailing = len(head), _trailing_eol(head)
    while True:
        chunk = f.readline(_CHUNK)
        part = decoder.decode(chunk, final=not chunk)
        total += len(part)
        if part:  # the line's end of line characters may span chunks
            trailing = trailing + len(part) if not part.rstrip("\r\n") else _trailing_eol(part)
        if not chunk or chunk.endswith(b"\n"):
            break
    chars = total - trailing
    return head[:chars] if chars <= MAX_LINE_CHARS else head[:MAX_LINE_CHARS] + f" … [line cut, {chars} characters]"


def _trailing_eol(text: str) -> int:
    return len(text) - len(text.rstrip("\r\n"))


def _skip_line(f: BinaryIO) -> bool:
    """Move past the next line without holding it; False at the end of the file."""
    chunk = f.readline(_CHUNK)
    while chunk and not chunk.endswith(b"\n"):
        chunk = f.readline(_CHUNK) or b"\n"
    return bool(chunk)


def count_lines(f: BinaryIO) -> int:
    """Lines from the current position to the end, counted in big blocks (fast)."""
    total, last = 0, b""
    while block := f.read(_BLOCK):
        total += block.count(b"\n")
        last = block
    if last and not last.endswith(b"\n"):
        total += 1
    return total


def file_info(sandbox: Sandbox, target: Target) -> FileInfoResult:
    st = os.lstat(target.real)
    kind = kind_of(st.st_mode)
    if kind == "special":
        raise FilesError(f"{target.display} is a special file (FIFO, socket or device); access refused")
    binary: bool | None = None
    total: int | None = None
    if kind == "file":
        fd, _ = sandbox.open_file(target)
        with os.fdopen(fd, "rb") as f:
            binary = is_binary(f.read(BINARY_SNIFF_BYTES))
            if not binary:
                f.seek(0)
                total = count_lines(f)
    return FileInfoResult(
        path=target.display,
        type=kind,  # type: ignore[arg-type]
        size=st.st_size if kind == "file" else 0,
        modified=iso(st.st_mtime),
        mode=f"{stat.S_IMODE(st.st_mode):04o}",
        is_symlink=os.path.islink(target.lexical),
        is_binary=binary,
        total_lines=total,
        mime_type=mimetypes.guess_type(target.real)[0] if kind == "file" else None,
    )
