"""Refuse regular expressions whose compilation alone could exhaust memory, before compiling them.

Why: the `regex` engine compiles counted repeats by expanding them, so `(?:(?:a{999}){999}){999}`
(25 characters) allocates gigabytes while holding the GIL, and recursive calls such as `(?&a)`
can recurse until MemoryError; no time limit can interrupt that. The check is static and
conservative: the pattern with every counted repeat written out (nested bounds multiply, sequential
ones add) must stay within MAX_EXPANDED_ITEMS, and group calls are refused. Character classes hide
quantifiers and parentheses, and how far one reaches depends on the syntax version (V0/V1, nested
sets) and verbose comments, so the pattern is scanned under each reading and the largest size counts.
"""

from __future__ import annotations

import re

from mcp_servers.files.sandbox import FilesError

MAX_EXPANDED_ITEMS = 20_000  # measured at the limit: under 10 ms and 5 MB to compile
_COUNTED = re.compile(r"\{(\d*)(?:,(\d*))?\}")
_CALL = re.compile(r"\(\?(?:R|[+-]?\d+|&\w+|P>\w+)\)")
_BRACED_ESCAPES = frozenset("pPNxuUgk")


def check_regex(pattern: str) -> None:
    """Raise FilesError when `pattern` could blow up at compile time (see the module docstring)."""
    for nested_sets in (False, True):
        for verbose in (False, True):
            size = _expanded_size(pattern, nested_sets, verbose)
            if size > MAX_EXPANDED_ITEMS:
                raise FilesError(
                    f"regular expression {pattern[:100]!r} expands to {size} or more items through its {{m,n}} "
                    f"repeats (limit {MAX_EXPANDED_ITEMS}); compiling it could exhaust memory. Use fewer, "
                    "smaller or less deeply nested counted repeats"
                )


def _expanded_size(pattern: str, nested_sets: bool, verbose: bool) -> int:
    """How many items the pattern has once every counted repeat is written out, under one reading of
    the syntax (stops counting past the limit)."""
    frames = [0]  # per open group: its size so far
    last: int | None = None  # size of the item a following quantifier would repeat
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            i = _skip_escape(pattern, i)
            frames[-1] += 1
            last = 1
            continue
        if c == "[":
            i = _skip_set(pattern, i, nested_sets)
            frames[-1] += 1
            last = 1
            continue
        if verbose and c.isspace():
            i += 1
            continue
        if verbose and c == "#":
            end = pattern.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if c == "(":
            if pattern.startswith("(?#", i):
                end = pattern.find(")", i)
                i = n if end < 0 else end + 1
                continue
            if _CALL.match(pattern, i):
                raise FilesError(
                    f"regular expression {pattern[:100]!r} calls a group recursively ((?R), (?1), (?&name)); "
                    "recursive patterns are not supported"
                )
            frames.append(0)
            last = None
            i += 1
            continue
        if c == ")":
            inner = frames.pop() if len(frames) > 1 else 0
            frames[-1] += inner
            last = inner
            i += 1
            continue
        m = _COUNTED.match(pattern, i) if c == "{" else None
        if m is not None and (m.group(1) or m.group(2)) and last is not None:
            bound = max(int(m.group(1) or 0), int(m.group(2) or 0), 1)
            frames[-1] += last * (bound - 1)
            last *= bound
            if sum(frames) > MAX_EXPANDED_ITEMS:
                return sum(frames)
            i = m.end()
            continue
        if c == "|":
            last = None
        elif c not in "*+?{":
            frames[-1] += 1
            last = 1
        i += 1
    return sum(frames)


def _skip_escape(pattern: str, i: int) -> int:
    """Index after the escape at `i` (`\\p{...}` and the like include their braces)."""
    if i + 2 < len(pattern) and pattern[i + 1] in _BRACED_ESCAPES and pattern[i + 2] == "{":
        end = pattern.find("}", i + 3)
        return len(pattern) if end < 0 else end + 1
    return i + 2


def _skip_set(pattern: str, i: int, nested: bool) -> int:
    """Index after the character class opening at `i`; `nested`: V1 sets, where `[` opens a subset."""
    n = len(pattern)
    i += 1
    if i < n and pattern[i] == "^":
        i += 1
    if i < n and pattern[i] == "]":
        i += 1
    depth = 1
    while i < n:
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[" and i + 1 < n and pattern[i + 1] in ":.=":
            end = pattern.find(pattern[i + 1] + "]", i + 2)
            if end >= 0:
                i = end + 2
                continue
        if c == "[" and nested:
            depth += 1
        elif c == "]":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n
