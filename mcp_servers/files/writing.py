"""Atomic writes inside a root (only when files.allow_write is on).

Why this way: a crash or a full disk must never leave a half-written file, so content goes to a
temporary file in the same folder, is fsynced, then renamed over the target (atomic on POSIX),
and the folder is fsynced too. Folders are opened (and created) one component at a time with
O_NOFOLLOW relative to the parent descriptor, so a symlink swapped in mid-way cannot redirect the
write outside the root.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat

from mcp_servers.files.models import WriteResult
from mcp_servers.files.reading import BINARY_SNIFF_BYTES, is_binary
from mcp_servers.files.sandbox import FilesError, Sandbox, Target, check_regular
from mcp_servers.files.walk import open_dir
from sleuth.config import CONFIG_FILE

MAX_WRITE_BYTES = 10 << 20
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_TMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def write_file(target: Target, content: str) -> WriteResult:
    data = content.encode("utf-8")
    existed = _existing_mode(target) is not None
    _atomic_write(target, data)
    return WriteResult(path=target.display, bytes_written=len(data), created=not existed)


def edit_file(sandbox: Sandbox, target: Target, old: str, new: str) -> WriteResult:
    if not old:
        raise FilesError("old is empty; give the exact text to replace (include a few lines of context)")
    fd, _ = sandbox.open_file(target)
    with os.fdopen(fd, "rb") as f:
        raw = f.read(MAX_WRITE_BYTES + 1)
    if len(raw) > MAX_WRITE_BYTES:
        raise FilesError(f"{target.display} is larger than {MAX_WRITE_BYTES} bytes; edit_file refuses it")
    if is_binary(raw[:BINARY_SNIFF_BYTES]):
        raise FilesError(f"{target.display} is a binary file; edit_file edits text only")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FilesError(f"{target.display} is not UTF-8 text; edit_file edits UTF-8 text only") from None
    count = text.count(old)
    if count == 0:
        raise FilesError(f"old text not found in {target.display}; read_file it and copy the text exactly")
    if count > 1:
        raise FilesError(
            f"old text occurs {count} times in {target.display}; include more surrounding lines so it is unique"
        )
    at = text.index(old)
    data = (text[:at] + new + text[at + len(old) :]).encode("utf-8")
    _atomic_write(target, data)
    return WriteResult(path=target.display, bytes_written=len(data), created=False, line=text.count("\n", 0, at) + 1)


def _existing_mode(target: Target) -> int | None:
    try:
        st = os.lstat(target.real)
    except FileNotFoundError:
        return None
    check_regular(st, target.display)
    return stat.S_IMODE(st.st_mode)


def _atomic_write(target: Target, data: bytes) -> None:
    if len(data) > MAX_WRITE_BYTES:
        raise FilesError(f"content is {len(data)} bytes; the limit is {MAX_WRITE_BYTES}")
    if not target.rel:
        raise FilesError("cannot write to a root folder itself; give a file path")
    if target.rel.rpartition("/")[2] == CONFIG_FILE:
        # A prompt-injected write could add a server command that runs on the next start.
        raise FilesError(f"{target.display} is a Sleuth settings file; the files server never writes {CONFIG_FILE}")
    parent, _, name = target.rel.rpartition("/")
    dir_fd = _open_parent(target, parent)
    try:
        mode = _checked_destination(dir_fd, name, target.display)
        tmp = f".{name}.{secrets.token_hex(6)}.tmp"
        fd = os.open(tmp, _TMP_FLAGS, 0o600, dir_fd=dir_fd)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fchmod(f.fileno(), mode)
                os.fsync(f.fileno())
            _checked_destination(dir_fd, name, target.display)
            os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp, dir_fd=dir_fd)
            raise
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _open_parent(target: Target, parent: str) -> int:
    """Open (creating as needed) the parent folder, never through a symlink."""
    try:
        return open_dir(target.root.path, parent)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise FilesError(f"cannot write {target.display}: a parent is not a plain folder ({exc.strerror})") from None
    fd = os.open(target.root.path, _DIR_FLAGS)
    try:
        for part in [p for p in parent.split("/") if p]:
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, 0o755, dir_fd=fd)
            child = os.open(part, _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = child
    except OSError as exc:
        os.close(fd)
        raise FilesError(f"cannot create the folders of {target.display}: {exc.strerror}") from None
    return fd


def _checked_destination(dir_fd: int, name: str, shown: str) -> int:
    """The mode to keep (0644 for a new file); refuses symlinks, special files, hard links."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return 0o644
    check_regular(st, shown)
    return stat.S_IMODE(st.st_mode)
