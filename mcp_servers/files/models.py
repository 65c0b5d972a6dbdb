"""Structured results of the files tools (their outputSchema).

Every `path` is shown the way the tools accept it back: relative to its root, prefixed with the
root's name when the server has several roots. The agent cites file evidence as `path:line`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Kind = Literal["file", "dir", "symlink", "special"]


class DirEntry(BaseModel):
    path: str
    name: str
    type: Kind
    size: int = Field(description="Bytes (files); 0 for folders.")
    modified: str = Field(description="Last modification, ISO 8601 UTC.")
    depth: int = Field(description="1 = directly inside the listed folder.")
    ignored: bool = Field(description="Matched by a .gitignore (folder not descended into).")


MAX_SEARCH_DEPTH = 256  # a walk holds a descriptor per level; deeper folders are counted, not searched
SKIPPED_NAMES = "Entries left out because their name is not valid UTF-8 (a JSON result cannot carry it)."


class ListDirResult(BaseModel):
    path: str
    entries: list[DirEntry]
    truncated: bool = Field(description="True when more entries exist than were returned.")
    skipped_names: int = Field(0, description=SKIPPED_NAMES)


class Line(BaseModel):
    line: int
    text: str


class ReadFileResult(BaseModel):
    path: str
    start_line: int
    end_line: int = Field(description="Last line returned (start_line - 1 when none).")
    total_lines: int
    truncated: bool = Field(description="True when the file continues after end_line.")
    next_start_line: int | None = Field(description="Pass as start_line to read on; null at the end.")
    lines: list[Line]


class SearchMatch(BaseModel):
    path: str
    line: int
    text: str
    before: list[str] = Field(default_factory=list, description="Lines just above the match.")
    after: list[str] = Field(default_factory=list, description="Lines just below the match.")


class SearchResult(BaseModel):
    pattern: str
    path: str
    matches: list[SearchMatch] = Field(description="Sorted by path, then line.")
    files_searched: int
    skipped_binary: int
    skipped_large: int
    truncated: bool = Field(description="True when max_results was reached; there may be more matches.")
    timed_out: bool = Field(description="True when the time limit stopped the search early.")
    skipped_names: int = Field(0, description=SKIPPED_NAMES)
    skipped_deep: int = Field(
        0, description=f"Folders not searched because they lie more than {MAX_SEARCH_DEPTH} levels deep."
    )


class FileInfoResult(BaseModel):
    path: str
    type: Kind
    size: int
    modified: str
    mode: str = Field(description="Permission bits, octal, e.g. 0644.")
    is_symlink: bool = Field(description="The given path is a symlink (to a place inside the roots).")
    is_binary: bool | None = Field(description="Files only: NUL bytes in the first 8 KiB.")
    total_lines: int | None = Field(description="Text files only.")
    mime_type: str | None


class WriteResult(BaseModel):
    path: str
    bytes_written: int
    created: bool = Field(description="True when the file did not exist before.")
    line: int | None = Field(None, description="edit_file: the first line of the replaced text.")
