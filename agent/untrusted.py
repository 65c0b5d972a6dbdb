"""Tool results are data, never instructions: delimit them with provenance and flag steering attempts.

Documents, rows and files may contain text written to steer the agent ("ignore previous
instructions", "call write_file ..."). The model only ever sees tool output inside a
`<tool_result ... untrusted="true">` envelope (with any closing tag inside the content neutralised,
so content cannot end the envelope early), and the system prompt says such content is never to be
obeyed. The detector below marks suspicious spans so the run records a flag and surfaces it; it does
not rewrite the content (the user may be asking about exactly that text).
"""

from __future__ import annotations

import html
import re
from dataclasses import asdict, dataclass

# Each pattern names one steering technique; kept specific so ordinary prose is not flagged.
_PATTERNS: dict[str, re.Pattern[str]] = {
    name: re.compile(rx, re.I)
    for name, rx in {
        "override": r"\b(?:ignore|disregard|forget|override)\b[^.\n]{0,40}\b(?:previous|prior|above|earlier|all|"
        r"your|the)\b[^.\n]{0,20}\b(?:instructions?|rules|prompts?|guidelines|directions)\b",
        "new_instructions": r"\b(?:new|updated|real|actual)\s+(?:system\s+)?instructions?\s*[:\-]",
        "role_hijack": r"\b(?:you are now|from now on,? you|act as (?:an?|the) (?:admin|system|developer)|"
        r"pretend to be)\b",
        "system_spoof": r"(?:^|\n)\s*(?:system|assistant|developer)\s*:|<\s*/?\s*(?:system|tool_result|"
        r"instructions?)\b|\[/?(?:INST|SYS)\]",
        "tool_command": r"\b(?:call|invoke|run|use|execute)\s+(?:the\s+)?`?(?:write_file|edit_file|delete\w*|"
        r"run_query|search_docs|read_file|[a-z]+_[a-z_]+)`?\s*(?:tool|function)?\s*(?:with|on|to|\()|"
        r"\b(?:write_file|edit_file|delete_file|run_query|execute_sql)`?\s*(?:\(|with\s+\w+\s*=)",
        "secrecy": r"\b(?:do not|don't|never)\s+(?:tell|inform|mention|reveal)\b[^.\n]{0,30}\b(?:user|anyone)\b",
        "exfiltration": r"\b(?:send|post|upload|exfiltrate|leak)\b[^.\n]{0,40}\b(?:api[ _-]?key|password|"
        r"credentials?|secrets?|token)s?\b",
    }.items()
}


@dataclass(frozen=True)
class Flag:
    """One suspicious span in one tool result."""

    kind: str
    text: str  # the matched span (bounded)
    start: int
    end: int
    server: str = ""
    tool: str = ""
    call_id: str = ""

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    def describe(self) -> str:
        where = f"{self.server}.{self.tool}" if self.server else self.tool or "tool result"
        return f"untrusted_instruction: {where} contains text that tries to steer the agent ({self.kind}): " + repr(
            self.text
        )


def detect(text: str, *, server: str = "", tool: str = "", call_id: str = "") -> list[Flag]:
    """Suspicious spans in `text`, in order; overlapping matches of different kinds are all kept."""
    flags = [
        Flag(kind, m.group(0).strip()[:160], m.start(), m.end(), server, tool, call_id)
        for kind, rx in _PATTERNS.items()
        for m in rx.finditer(text)
    ]
    return sorted(flags, key=lambda f: (f.start, f.kind))


_CLOSE_TAG = re.compile(r"<\s*/\s*tool_result", re.I)
_OPEN_TAG = re.compile(r"<\s*tool_result", re.I)


def wrap(text: str, *, server: str, tool: str, call_id: str = "", is_error: bool = False) -> str:
    """The envelope the model sees around one tool result (content cannot close it early)."""
    body = _OPEN_TAG.sub("&lt;tool_result", _CLOSE_TAG.sub("&lt;/tool_result", text))
    attrs = f'server="{html.escape(server)}" tool="{html.escape(tool)}"'
    if call_id:
        attrs += f' call_id="{html.escape(call_id)}"'
    if is_error:
        attrs += ' is_error="true"'
    return f'<tool_result {attrs} untrusted="true">\n{body}\n</tool_result>'
