"""Bound the cost of gitignore-style patterns (caller globs and .gitignore lines) before using them.

Why: pathspec turns every `*` into a backtracking regex (`[^/]*`, `.*`), and Python's `re` tries
the ways to split a name between the wildcards: `*a*a*a*a*…b` against a name of 40 `a`s runs for
hours while holding the GIL, so no time limit can stop it. The number of ways grows with the
name's length to the power of the wildcard count; two wildcards stay cheap even on 255-character
names and 4096-character paths (measured: 10 ms), three already take 0.4 s per name.
"""

from __future__ import annotations

import re

MAX_WILDCARDS = 2
_RUN = re.compile(r"\*+")


def wildcard_runs(pattern: str) -> int:
    """How many `*` runs (`**` counts once) the pattern has; a leading `**/` is free (it is the
    implicit any-folder prefix of a pattern without a slash)."""
    body = pattern.lstrip("!")
    if body.startswith("**/"):
        body = body[3:]
    return len(_RUN.findall(body))


def too_costly(pattern: str) -> bool:
    return wildcard_runs(pattern) > MAX_WILDCARDS
