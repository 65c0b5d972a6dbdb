"""Plain-text views of the tool results: what the model reads (the structured content is for code)."""

from __future__ import annotations

from mcp_servers.files.models import MAX_SEARCH_DEPTH, ListDirResult, ReadFileResult, SearchResult


def _names_note(skipped: int) -> str:
    return f"{skipped} entries whose names are not valid UTF-8 were left out" if skipped else ""


def render_list(res: ListDirResult) -> str:
    head = f"{len(res.entries)} entries in {res.path}" + (" (truncated)" if res.truncated else "")
    rows = ["; ".join(filter(None, [head, _names_note(res.skipped_names)]))]
    for e in res.entries:
        name = e.path + ("/" if e.type == "dir" else "")
        size = f"{e.size} B" if e.type == "file" else e.type
        rows.append(f"{name}\t{size}\t{e.modified}" + ("\t(gitignored)" if e.ignored else ""))
    return "\n".join(rows)


def render_read(res: ReadFileResult) -> str:
    if not res.lines:
        return f"{res.path}: empty file (0 lines)"
    head = f"{res.path} lines {res.start_line}-{res.end_line} of {res.total_lines}"
    body = [f"{ln.line:>6}\t{ln.text}" for ln in res.lines]
    tail = (
        [f"… {res.total_lines - res.end_line} more lines: read_file start_line={res.next_start_line}"]
        if res.next_start_line
        else []
    )
    return "\n".join([head, *body, *tail])


def render_search(res: SearchResult) -> str:
    rows = [f"{m.path}:{m.line}: {m.text}" for m in res.matches]
    notes = [f"{len(res.matches)} matches in {res.files_searched} files searched under {res.path}"]
    if res.truncated:
        notes.append("result limit reached: narrow the path, glob or pattern to see the rest")
    if res.timed_out:
        notes.append("time limit reached: results are partial")
    if res.skipped_binary or res.skipped_large:
        notes.append(f"skipped {res.skipped_binary} binary and {res.skipped_large} very large files")
    if res.skipped_names:
        notes.append(_names_note(res.skipped_names))
    if res.skipped_deep:
        notes.append(f"{res.skipped_deep} folders more than {MAX_SEARCH_DEPTH} levels deep were not searched")
    return "\n".join([*rows, "; ".join(notes)])
