"""The text-to-SQL prompt: DuckDB dialect notes, the schema relevant to a question, examples.

Why pick tables: a warehouse schema can be far larger than a prompt should be; tables whose names,
columns or comments share words with the question go first, the rest are only listed by name.
"""

from __future__ import annotations

import re

from mcp_servers.sql import catalog
from mcp_servers.sql.engine import Engine

MAX_TABLES = 8

DIALECT_NOTES = """\
DuckDB SQL dialect reminders:
- Strings in single quotes, identifiers in double quotes; ILIKE for case-insensitive matching.
- Dates: date_trunc('month', ts), date_diff('day', a, b), strftime(ts, '%Y-%m'), ts::DATE, INTERVAL 7 DAY.
- Handy: GROUP BY ALL, ORDER BY ALL, SELECT * EXCLUDE (col), QUALIFY for window filters,
  count(*) FILTER (WHERE ...), arg_max(x, y), list_agg / string_agg, TRY_CAST.
- Integer division with //; '/' on integers returns a DOUBLE.
- Only one read-only SELECT per call; no writes, no SET/PRAGMA/ATTACH/COPY, no file paths."""


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2}


def relevant_tables(engine: Engine, question: str) -> tuple[list[catalog.Table], list[catalog.Table]]:
    """(tables to show in full, the others) ranked by word overlap with the question."""
    all_tables = catalog.tables(engine)
    if len(all_tables) <= MAX_TABLES:
        return all_tables, []
    q = _words(question)

    def score(t: catalog.Table) -> int:
        names = " ".join([t.name, t.comment or ""] + [c[0] for c in catalog.columns(engine, t)])
        return len(q & (_words(names.replace("_", " ")) | _words(names)))

    ranked = sorted(all_tables, key=score, reverse=True)
    return ranked[:MAX_TABLES], ranked[MAX_TABLES:]


def _examples(engine: Engine, shown: list[catalog.Table]) -> list[str]:
    if not shown:
        return []
    t = shown[0]
    cols = catalog.columns(engine, t)
    ref = t.display
    examples = [f"SELECT * FROM {ref} LIMIT 5;"]
    text_col = next((c[0] for c in cols if c[1].upper() in {"VARCHAR", "TEXT"}), None)
    num_col = next((c[0] for c in cols if any(k in c[1].upper() for k in ("INT", "DECIMAL", "DOUBLE", "FLOAT"))), None)
    date_col = next((c[0] for c in cols if any(k in c[1].upper() for k in ("DATE", "TIMESTAMP"))), None)
    if text_col:
        examples.append(f"SELECT {text_col}, count(*) AS n FROM {ref} GROUP BY ALL ORDER BY n DESC LIMIT 10;")
    if date_col:
        examples.append(
            f"SELECT date_trunc('month', {date_col}) AS month, count(*) AS n FROM {ref} GROUP BY ALL ORDER BY month;"
        )
    if num_col and text_col:
        examples.append(
            f"SELECT {text_col}, sum({num_col}) AS total FROM {ref} GROUP BY ALL ORDER BY total DESC LIMIT 5;"
        )
    return examples


def text_to_sql(engine: Engine, question: str) -> str:
    shown, others = relevant_tables(engine, question)
    parts = [
        "Write one DuckDB SQL query that answers the question below. Use only the tables and columns "
        "in the schema; check it with check_query, run it with run_query, and cite the query_id.",
        "",
        DIALECT_NOTES,
        "",
        catalog.schema_document(engine, only=shown, counts=False),
    ]
    if others:
        parts.append("Other tables (describe_table shows their columns): " + ", ".join(t.display for t in others))
        parts.append("")
    examples = _examples(engine, shown)
    if examples:
        parts += ["Example queries:", *examples, ""]
    parts += [f"Question: {question}"]
    return "\n".join(parts)
