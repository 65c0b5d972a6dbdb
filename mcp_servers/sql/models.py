"""Structured output shapes of the SQL tools: the JSON contract other components rely on.

They are advertised as each tool's outputSchema, and the agent reads `query_id` and `sql` from
`RunQueryOutput` to cite SQL evidence.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, WithJsonSchema

VALUES = (
    "Integers outside ±(2^53-1) and DECIMALs a double would not hold exactly are strings (JavaScript clients "
    "round larger JSON numbers); INTERVAL, TIMESTAMP_NS and ±infinity are DuckDB's text; dates ISO 8601; "
    "blobs 'base64:…'."
)

# Rows are advertised as a plain array, their shape in words: clients validate structured content
# against the outputSchema with jsonschema, at ~4 us per node it visits. A schema per cell made
# validation the slowest part of a call; even `items: {"type": "array"}` cost a Python client
# 0.4 ms per 100-row result (0.48 ms against 0.08 without it).
Rows = Annotated[
    list[list[Any]],
    WithJsonSchema({"type": "array", "description": "Each row is an array of values, in column order. " + VALUES}),
]


class TableEntry(BaseModel):
    name: str = Field(description="Name to use in SQL (schema-qualified when not in main).")
    kind: str = Field(description="'table' or 'view'.")
    row_count: int | None = Field(description="Rows; null when counting ran past its time limit.")
    comment: str | None = None


class ListTablesOutput(BaseModel):
    tables: list[TableEntry]
    skipped_files: list[str] = Field(
        default_factory=list, description="Data files that could not be loaded as views: 'path: why', one each."
    )


class ColumnInfo(BaseModel):
    name: str
    type: str
    nullable: bool
    comment: str | None = None
    null_count: int | None = None
    distinct_approx: int | None = None
    min: Any = None
    max: Any = None


class DescribeTableOutput(BaseModel):
    table: str
    kind: str
    row_count: int | None
    comment: str | None = None
    columns: list[ColumnInfo]
    sample_rows: Rows
    stats_note: str | None = Field(None, description="Why stats are missing, if they are.")


class RunQueryOutput(BaseModel):
    query_id: str = Field(description="Cite the result by this id; read it in pages at result_uri.")
    sql: str
    columns: list[str]
    column_types: list[str]
    rows: Rows = Field(
        description="The first rows of the result (bounded by rows and characters), each an array of values "
        "in `columns` order. " + VALUES
    )
    row_count: int = Field(description="Rows in the full result (a lower bound when row_count_exact is false).")
    row_count_exact: bool
    truncated: bool = Field(description="True when `rows` holds fewer rows than the full result.")
    cells_cut: int = Field(
        0,
        description="Values of the result longer than the per-cell limit (text, blobs, lists, structs, maps): "
        "each is its first characters (for nested values, of their JSON) plus a '…[N more characters]' marker, "
        "in `rows` and in the stored pages alike.",
    )
    elapsed_ms: float
    result_uri: str = Field(description="sql://results/{query_id}?page=1: the full result, in pages.")
    pages: int


class ResultColumn(BaseModel):
    name: str
    type: str


class CheckQueryOutput(BaseModel):
    valid: bool
    statement: str
    tables: list[str]
    columns: list[ResultColumn] = Field(description="The columns the query would return.")


class ExecuteWriteOutput(BaseModel):
    statement: str
    rows_affected: int | None
    elapsed_ms: float
