"""The files sandbox: map a caller's path to a real path inside a root, refuse everything else.

Why so strict: every tool argument is attacker-controlled text (a prompt-injected model is the
threat). A path is accepted only when both its lexical form and its real path (symlinks followed)
lie inside the same root, it has no `..`, it matches no deny pattern, and it is not a special file.
Opening re-checks the opened descriptor (O_NOFOLLOW, fstat, /proc/self/fd) so that swapping a
component for a symlink between the check and the open is caught (TOCTOU).

Path rules (also in the tool descriptions): a relative path resolves against the first root; with
several roots, a path whose first component is a root's name resolves in that root, and every path
the server returns carries that prefix. An absolute path is accepted only inside a root.
"""

from __future__ import annotations

import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from pathspec import GitIgnoreSpec

MAX_PATH_CHARS = 4096
_SPECIAL_TREES = ("/proc", "/sys", "/dev")
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class FilesError(Exception):
    """A refusal or failure the caller can act on; the message says what and why."""


@dataclass(frozen=True)
class Root:
    name: str
    path: str  # real, absolute, no trailing slash
    given: str  # as configured (absolute), accepted in absolute paths too


@dataclass(frozen=True)
class Target:
    """A checked path: `real` lies inside `root`; `rel` is posix, relative to the root ('' = root)."""

    root: Root
    rel: str
    real: str
    display: str
    lexical: str  # the caller's path made absolute, before symlinks are followed


def _root_names(paths: list[str]) -> list[str]:
    names: list[str] = []
    for p in paths:
        base = os.path.basename(p) or "root"
        name, n = base, 2
        while name in names:
            name, n = f"{base}-{n}", n + 1
        names.append(name)
    return names


def kind_of(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    if stat.S_ISLNK(mode):
        return "symlink"
    return "special"


class Sandbox:
    """The roots and deny rules of one server; every tool goes through `resolve` and `open_file`."""

    def __init__(self, roots: list[Path], deny: list[str]) -> None:
        if not roots:
            raise FilesError("no roots configured; pass --root DIR")
        reals, given = [], []
        for r in roots:
            real = os.path.realpath(r)
            if not os.path.isdir(real):
                raise FilesError(f"root {r} is not a folder")
            if real == "/" or _in_special_tree(real):
                raise FilesError(f"root {r} is not allowed (system folder)")
            reals.append(real)
            given.append(os.path.abspath(r))
        names = _root_names(reals)
        self.roots = [Root(n, p, g) for n, p, g in zip(names, reals, given, strict=True)]
        self._deny = GitIgnoreSpec.from_lines(deny)

    # -- naming -------------------------------------------------------------------------------
    def display(self, root: Root, rel: str) -> str:
        """How a path is shown to the caller (and accepted back)."""
        if len(self.roots) == 1:
            return rel or "."
        return f"{root.name}/{rel}" if rel else root.name

    def is_denied(self, rel: str, is_dir: bool = False) -> bool:
        if not rel:
            return False
        return self._deny.match_file(rel) or (is_dir and self._deny.match_file(rel + "/"))

    # -- resolution ---------------------------------------------------------------------------
    def resolve(self, path: str, *, must_exist: bool = True) -> Target:
        """Check `path` against every rule and return where it really is, or raise FilesError."""
        shown = _quote(path)
        if not isinstance(path, str) or "\x00" in path:
            raise FilesError(f"path {shown} contains a NUL byte")
        if not is_utf8(path):
            raise FilesError(f"path {shown} is not valid Unicode (it contains a lone surrogate)")
        if len(path) > MAX_PATH_CHARS:
            raise FilesError(f"path is longer than {MAX_PATH_CHARS} characters")
        text = path or "."  # never strip: ' a.txt' and 't ' are real, distinct names
        if ".." in PurePosixPath(text).parts or ".." in text.split("\\"):
            raise FilesError(f"path {shown} contains '..'; give a path inside the roots without '..'")
        root, lexical = self._lexical(text, shown)
        real = os.path.realpath(lexical)
        rel_real = _relative(real, root.path)
        if rel_real is None:
            raise FilesError(f"path {shown} resolves outside the allowed roots (through a symlink); access refused")
        if not is_utf8(rel_real):  # a symlink to such a name: its display could not go into a JSON result
            raise FilesError(f"path {shown} leads to a name that is not valid UTF-8, which the tools cannot show")
        if _in_special_tree(real):
            raise FilesError(f"path {shown} is a system path (/proc, /sys, /dev); access refused")
        rel_lex = _relative(lexical, root.path) or ""
        try:
            st = os.lstat(real)
        except FileNotFoundError:
            if must_exist:
                raise FilesError(f"{shown} does not exist") from None
            st = None
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise FilesError(_loop(shown)) from None
            raise FilesError(f"cannot access {shown}: {exc.strerror}") from None
        if st is not None and stat.S_ISLNK(st.st_mode):  # realpath resolves every symlink but a loop
            raise FilesError(_loop(shown))
        is_dir = st is not None and stat.S_ISDIR(st.st_mode)
        for rel in {rel_lex, rel_real}:
            if self.is_denied(rel, is_dir) or any(self.is_denied(a, True) for a in _ancestors(rel)):
                raise FilesError(
                    f"access to {shown} is denied by the files.deny setting (secrets and VCS internals "
                    "are hidden even inside the roots)"
                )
        return Target(root, rel_real, real, self.display(root, rel_real), lexical)

    def _lexical(self, text: str, shown: str) -> tuple[Root, str]:
        if os.path.isabs(text):
            norm = os.path.normpath(text)
            for root in self.roots:
                for base in (root.path, root.given):
                    rel = _relative(norm, base)
                    if rel is not None:
                        return root, os.path.join(root.path, rel) if rel else root.path
            raise FilesError(f"absolute path {shown} is outside the allowed roots; access refused")
        parts = PurePosixPath(text).parts
        root = self.roots[0]
        if len(self.roots) > 1 and parts and parts[0] in {r.name for r in self.roots}:
            root = next(r for r in self.roots if r.name == parts[0])
            parts = parts[1:]
        return root, os.path.normpath(os.path.join(root.path, *parts)) if parts else root.path

    # -- opening ------------------------------------------------------------------------------
    def open_file(self, target: Target) -> tuple[int, os.stat_result]:
        """Open a regular file read-only, refusing symlink swaps, special files and hard links."""
        try:
            st = os.lstat(target.real)
        except FileNotFoundError:
            raise FilesError(f"{target.display} does not exist") from None
        check_regular(st, target.display)
        return self._open_same(target.real, st, target.display, target)

    def open_walked(self, real: str, st: os.stat_result, shown: str) -> tuple[int, os.stat_result]:
        """Open a file found by `walk` (whose descriptor-based walk proves it is inside the root).

        The opened descriptor must be that very inode, singly linked: if anything on the path was
        swapped since the walk, the inode differs and the file is refused. Cheaper than `open_file`
        (no lstat, no /proc lookup), which matters when searching thousands of files.
        """
        return self._open_same(real, st, shown)

    def _open_same(
        self, real: str, st: os.stat_result, shown: str, target: Target | None = None
    ) -> tuple[int, os.stat_result]:
        """Open `real` read-only and keep it only if it is the regular, singly linked inode `st` that was
        checked (and, given `target`, the kernel confirms it is inside the root); otherwise close and refuse.
        """
        try:
            fd = os.open(real, _OPEN_FLAGS)
        except OSError as exc:
            raise FilesError(f"cannot open {shown}: {exc.strerror}") from None
        try:
            fst = os.fstat(fd)
            check_regular(fst, shown)
            if (fst.st_dev, fst.st_ino) != (st.st_dev, st.st_ino) or (
                target is not None and not self.fd_inside(fd, target)
            ):
                raise FilesError(f"{shown} changed while it was being opened; access refused")
        except BaseException:
            os.close(fd)
            raise
        return fd, fst

    def fd_inside(self, fd: int, target: Target) -> bool:
        """Ask the kernel where the descriptor really points (Linux); elsewhere trust the inode check."""
        try:
            actual = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            return True
        return actual == target.real


def check_regular(st: os.stat_result, shown: str) -> None:
    """Only plain, singly-linked files are read or written."""
    if stat.S_ISDIR(st.st_mode):
        raise FilesError(f"{shown} is a folder, not a file; use list_dir")
    if stat.S_ISLNK(st.st_mode):
        raise FilesError(f"{shown} is a symlink that changed while being opened; access refused")
    if not stat.S_ISREG(st.st_mode):
        raise FilesError(f"{shown} is a special file (FIFO, socket or device); access refused")
    if st.st_nlink > 1:
        raise FilesError(f"{shown} has {st.st_nlink} hard links, which could lead outside the roots; access refused")


def is_utf8(text: str) -> bool:
    """False for a name decoded with surrogateescape from bytes that are not UTF-8 (JSON cannot carry it)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _relative(path: str, root: str) -> str | None:
    """`path` relative to `root` in posix form, or None when it is not inside."""
    if path == root:
        return ""
    prefix = root if root.endswith("/") else root + "/"
    return path[len(prefix) :] if path.startswith(prefix) else None


def _ancestors(rel: str) -> list[str]:
    parts = rel.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def _in_special_tree(real: str) -> bool:
    return any(real == t or real.startswith(t + "/") for t in _SPECIAL_TREES)


def _loop(shown: str) -> str:
    return f"{shown} is a symlink loop (its links lead back to each other, never to a file or folder)"


def _quote(path: object) -> str:
    text = str(path)
    return repr(text if len(text) <= 200 else text[:200] + "…")
