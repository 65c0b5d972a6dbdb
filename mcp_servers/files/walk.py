"""Walk a folder inside a root by directory descriptors, never following a symlink.

Why descriptors: a walk by path names could be redirected out of the root by swapping a folder
for a symlink mid-walk; opening each folder with O_NOFOLLOW relative to its parent's descriptor
cannot. Denied paths are never yielded; `.gitignore` files (nested ones too) mark entries ignored.
"""

from __future__ import annotations

import os
import re
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass

from pathspec import GitIgnoreSpec

from mcp_servers.files import globs
from mcp_servers.files.sandbox import Sandbox, Target, is_utf8, kind_of
from sleuth.logs import get_logger

log = get_logger(__name__)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
_MAX_GITIGNORE_BYTES = 1 << 20
VCS_DIRS = frozenset({".git", ".hg", ".svn"})


@dataclass(frozen=True)
class Entry:
    rel: str  # relative to the root, posix
    name: str
    kind: str  # file, dir, symlink, special
    st: os.stat_result  # lstat, taken through the walk's own folder descriptor
    depth: int  # 1 = directly inside the walked folder
    ignored: bool  # matched by a .gitignore

    @property
    def readable(self) -> bool:
        """A plain file with one link: the only kind the tools read."""
        return self.kind == "file" and self.st.st_nlink == 1

    @property
    def undecodable(self) -> bool:
        """Its path is not valid UTF-8 (surrogate-escaped): it cannot go into a JSON result, so callers skip it."""
        return not is_utf8(self.rel)


class _Ignores:
    """The .gitignore files between the root and the current folder; the deepest decides."""

    def __init__(self) -> None:
        self._stack: list[tuple[str, GitIgnoreSpec]] = []

    def push(self, base: str, spec: GitIgnoreSpec | None) -> bool:
        if spec is None:
            return False
        self._stack.append((base, spec))
        return True

    def pop(self) -> None:
        self._stack.pop()

    def ignored(self, rel: str, is_dir: bool) -> bool:
        for base, spec in reversed(self._stack):
            sub = rel[len(base) + 1 :] if base else rel
            verdict = spec.check_file(sub + "/" if is_dir else sub).include
            if verdict is not None:
                return verdict
        return False


def _read_gitignore(dir_fd: int) -> GitIgnoreSpec | None:
    try:
        fd = os.open(".gitignore", _FILE_FLAGS, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > _MAX_GITIGNORE_BYTES:
            return None
        data = os.read(fd, _MAX_GITIGNORE_BYTES)
    finally:
        os.close(fd)
    kept: list[str] = []
    costly: list[str] = []
    for line in data.decode("utf-8", "replace").splitlines():
        (costly if not line.startswith("#") and globs.too_costly(line.strip()) else kept).append(line)
    if costly:
        log.warning(
            "skipped .gitignore lines with too many wildcards (matching them could freeze the server)",
            lines=[line[:100] for line in costly[:5]],
            limit=globs.MAX_WILDCARDS,
        )
    try:
        return GitIgnoreSpec.from_lines(kept)
    except (re.error, ValueError):  # a bad line must not disable the whole file: keep the good ones
        bad = {line for line in kept if not _valid(line)}
        log.warning("skipped invalid .gitignore lines", lines=[line[:100] for line in sorted(bad)[:5]])
        return GitIgnoreSpec.from_lines([line for line in kept if line not in bad])


def _valid(line: str) -> bool:
    try:
        GitIgnoreSpec.from_lines([line])
    except (re.error, ValueError):
        return False
    return True


def open_dir(root_path: str, rel: str) -> int:
    """Open root/rel as a folder, component by component, refusing any symlink on the way."""
    fd = os.open(root_path, _DIR_FLAGS)
    try:
        for part in [p for p in rel.split("/") if p]:
            child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def walk(
    sandbox: Sandbox,
    start: Target,
    *,
    max_depth: int,
    include_ignored: bool,
    skip_dirs: frozenset[str] = frozenset(),
    deadline: float | None = None,
) -> Iterator[Entry]:
    """Entries under `start` (a folder), depth-first, names sorted, denied ones left out.

    Ignored entries are yielded (flagged) only with `include_ignored`; ignored folders are never
    entered. Entries whose name is not valid UTF-8 are yielded (`undecodable`) but never entered.
    Stops quietly at `deadline` (time.monotonic); the caller tells the user.
    """
    ignores = _Ignores()
    root = start.root
    parts = [p for p in start.rel.split("/") if p]
    fd = open_dir(root.path, "")
    pushed = 0
    try:
        # .gitignore files of the folders above `start` apply to it too.
        for i, part in enumerate(parts):
            pushed += ignores.push("/".join(parts[:i]), _read_gitignore(fd))
            child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = child
        if parts and ignores.ignored(start.rel, is_dir=True):
            # Asked for an ignored folder by name: look inside it rather than hide all of it.
            for _ in range(pushed):
                ignores.pop()
            pushed = 0
        yield from _walk_dir(sandbox, fd, start.rel, 1, max_depth, ignores, include_ignored, skip_dirs, deadline)
    finally:
        os.close(fd)
        for _ in range(pushed):
            ignores.pop()


@dataclass
class _Folder:
    """One open folder of the walk: its listing (names sorted, lstat taken) and where the walk is in it."""

    fd: int
    rel: str
    depth: int  # of its entries
    entries: Iterator[tuple[str, os.stat_result]]
    pushed: bool  # its .gitignore is on the ignore stack
    owned: bool  # the walk opened fd (and closes it)


def _enter(fd: int, rel: str, depth: int, ignores: _Ignores, owned: bool) -> _Folder:
    with os.scandir(fd) as it:
        listing = []
        for e in it:
            try:
                listing.append((e.name, e.stat(follow_symlinks=False)))
            except OSError:
                continue
    listing.sort(key=lambda pair: pair[0])
    return _Folder(fd, rel, depth, iter(listing), ignores.push(rel, _read_gitignore(fd)), owned)


def _leave(folder: _Folder, ignores: _Ignores) -> None:
    if folder.pushed:
        ignores.pop()
    if folder.owned:
        os.close(folder.fd)


def _walk_dir(
    sandbox: Sandbox,
    fd: int,
    rel: str,
    depth: int,
    max_depth: int,
    ignores: _Ignores,
    include_ignored: bool,
    skip_dirs: frozenset[str],
    deadline: float | None,
) -> Iterator[Entry]:
    """The walk proper, with an explicit stack of open folders: a deep chain of folders costs one
    descriptor per level (bounded by max_depth) but no Python recursion, which ran out at ~1000."""
    stack = [_enter(fd, rel, depth, ignores, owned=False)]
    try:
        while stack:
            folder = stack[-1]
            item = next(folder.entries, None)
            if item is None:
                _leave(stack.pop(), ignores)
                continue
            if deadline is not None and time.monotonic() > deadline:
                return
            name, st = item
            erel = f"{folder.rel}/{name}" if folder.rel else name
            kind = kind_of(st.st_mode)
            is_dir = kind == "dir"
            if sandbox.is_denied(erel, is_dir):
                continue
            ignored = ignores.ignored(erel, is_dir)
            if ignored and not include_ignored:
                continue
            yield Entry(erel, name, kind, st, folder.depth, ignored)
            if not (is_dir and folder.depth < max_depth and not ignored and name not in skip_dirs and is_utf8(name)):
                continue
            try:
                child = os.open(name, _DIR_FLAGS, dir_fd=folder.fd)
            except OSError:
                continue
            try:
                stack.append(_enter(child, erel, folder.depth + 1, ignores, owned=True))
            except OSError:
                os.close(child)
    finally:
        while stack:
            _leave(stack.pop(), ignores)
