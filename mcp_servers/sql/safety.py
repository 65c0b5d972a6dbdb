"""Statement allow-list on the parsed SQL (sqlglot, DuckDB dialect): the first of three safety layers.

Why parse instead of matching keywords: comments, string literals and odd spacing defeat regexes;
a syntax tree does not. The second layer is DuckDB's own parser (statement types, in `engine.py`)
and the third is the engine itself (read-only connection, external access limited to the data
roots, configuration locked). Each layer refuses on its own, so a gap in one is not a hole.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError

from mcp_servers.sql.errors import QueryRefused, UnparsableSql

logging.getLogger("sqlglot").setLevel(logging.ERROR)  # its "falling back to Command" notes are noise
_per_thread = threading.local()

MAX_SQL_CHARS = 100_000

# Statement roots a read-only query may have.
_READ_ROOTS: tuple[type[exp.Expression], ...] = (
    exp.Select,
    exp.SetOperation,
    exp.Values,
    exp.Describe,
    exp.Summarize,
    exp.Show,
    exp.Subquery,
)
# Extra roots the opt-in write tool accepts.
_WRITE_ROOTS: tuple[type[exp.Expression], ...] = (exp.Insert, exp.Update, exp.Delete, exp.Create, exp.Drop)

# Nodes refused anywhere in a read query (also catches a write hidden inside a CTE).
_WRITE_NODES: tuple[type[exp.Expression], ...] = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.TruncateTable,
)
# Nodes refused in every mode: session, engine and file-system control.
_CONTROL_NODES: tuple[type[exp.Expression], ...] = (
    exp.Command,
    exp.Copy,
    exp.Set,
    exp.Pragma,
    exp.Attach,
    exp.Detach,
    exp.Install,
    exp.Use,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
)

# Table/scalar functions that run SQL from a string, reveal secrets, write, or reach other engines.
DENIED_FUNCTIONS = frozenset(
    {
        "query",
        "query_table",
        "duckdb_secrets",
        "which_secret",
        "checkpoint",
        "force_checkpoint",
        "nextval",
        "currval",
        "setseed",
        "getenv",
        "sqlite_scan",
        "sqlite_attach",
        "sqlite_query",
        "postgres_scan",
        "postgres_scan_pushdown",
        "postgres_query",
        "postgres_attach",
        "postgres_execute",
        "mysql_query",
        "mysql_execute",
        "iceberg_scan",
        "iceberg_metadata",
        "iceberg_snapshots",
        "delta_scan",
        "install_extension",
        "load_extension",
        "enable_logging",
        "disable_logging",
        "truncate_duckdb_logs",
        "json_execute_serialized_sql",
        "setval",
        "write_log",
        "copy_database",
        "import_database",
        "add_parquet_key",
    }
)
# Functions whose first argument is a file path or glob: allowed only inside the data roots.
FILE_FUNCTIONS = frozenset(
    {
        "read_csv",
        "read_csv_auto",
        "read_tsv",
        "read_parquet",
        "parquet_scan",
        "parquet_metadata",
        "parquet_schema",
        "parquet_file_metadata",
        "parquet_kv_metadata",
        "parquet_bloom_probe",
        "read_json",
        "read_json_auto",
        "read_json_objects",
        "read_json_objects_auto",
        "read_ndjson",
        "read_ndjson_auto",
        "read_ndjson_objects",
        "read_text",
        "read_blob",
        "read_xlsx",
        "read_duckdb",
        "glob",
        "sniff_csv",
        "read_single_csv_file",
        "read_single_json_file",
        "read_single_parquet_file",
    }
)
# Table functions CALL may run: catalog and metadata views that read nothing outside the database.
CALLABLE_FUNCTIONS = frozenset(
    {
        "duckdb_tables",
        "duckdb_views",
        "duckdb_columns",
        "duckdb_schemas",
        "duckdb_databases",
        "duckdb_types",
        "duckdb_functions",
        "duckdb_constraints",
        "duckdb_indexes",
        "duckdb_keywords",
        "duckdb_extensions",
        "pragma_table_info",
        "pragma_show",
        "pragma_version",
        "pragma_database_size",
        "pragma_storage_info",
        "range",
        "generate_series",
    }
)
# Table functions a query may read FROM, besides the file readers (path-checked) and CALL's list:
# generators and read-only metadata. An allow-list, not a deny-list, because DuckDB keeps adding
# table functions, and some run SQL from a string or change state (json_execute_serialized_sql,
# copy_database, ...); a new one is refused until someone has looked at it.
TABLE_FUNCTIONS = CALLABLE_FUNCTIONS | frozenset(
    {
        "unnest",
        "repeat",
        "repeat_row",
        "json_each",
        "json_tree",
        "summary",
        "histogram",
        "histogram_values",
        "duckdb_dependencies",
        "duckdb_sequences",
        "duckdb_settings",
        "duckdb_variables",
        "duckdb_memory",
        "duckdb_optimizers",
        "pragma_metadata_info",
        "pragma_platform",
        "pragma_user_agent",
        "pragma_collations",
        "show",
        "show_tables",
        "show_tables_expanded",
        "show_databases",
        "table_info",
        "functions",
        "collations",
        "version",
        "platform",
        "user_agent",
        "pg_timezone_names",
        "icu_calendar_names",
        "test_all_types",
    }
)
_FILE_SUFFIXES = (".csv", ".tsv", ".parquet", ".json", ".jsonl", ".ndjson", ".txt", ".gz", ".zst", ".xlsx", ".db")


@dataclass(frozen=True)
class CheckedSql:
    """What the allow-list learned about one accepted statement."""

    statement: str  # the sqlglot root type, e.g. "Select"
    tables: list[str]  # referenced tables/views (CTE names excluded), as written


def function_name(node: exp.Func) -> str:
    """Lower-case SQL name of a function node, known to sqlglot or not."""
    return (node.name if isinstance(node, exp.Anonymous) else node.sql_name()).lower()


def _first_argument(node: exp.Func) -> exp.Expression | None:
    if isinstance(node, exp.Anonymous):
        return node.expressions[0] if node.expressions else None
    first = node.args.get("this")
    if isinstance(first, exp.Expression):
        return first
    return node.expressions[0] if node.expressions else None


def _path_literals(arg: exp.Expression | None) -> list[str] | None:
    """The string literal(s) of a path argument, or None if it is computed (which we cannot vet)."""
    if isinstance(arg, exp.Literal) and arg.is_string:
        return [arg.this]
    if isinstance(arg, exp.Array) and arg.expressions:
        out: list[str] = []
        for item in arg.expressions:
            if not (isinstance(item, exp.Literal) and item.is_string):
                return None
            out.append(item.this)
        return out
    return None


def path_inside_roots(raw: str, roots: Sequence[Path]) -> bool:
    """True when a path or glob, once normalised (symlinks and '..' resolved), stays inside a root."""
    if "://" in raw or raw.startswith(("~", "\\\\")) or "\x00" in raw:
        return False
    norm = os.path.normpath(os.path.abspath(raw))
    # Resolve symlinks on the part before the first glob character.
    cut = min((norm.find(c) for c in "*?[{" if c in norm), default=-1)
    prefix = norm if cut < 0 else os.path.dirname(norm[:cut])
    real = Path(os.path.realpath(prefix))
    for root in roots:
        r = Path(os.path.realpath(root))
        if real == r or r in real.parents:
            return True
    return False


def _looks_like_path(name: str) -> bool:
    lower = name.lower()
    return "/" in name or "\\" in name or "://" in name or "*" in name or lower.endswith(_FILE_SUFFIXES)


def _refuse_paths(paths: Iterable[str], roots: Sequence[Path], what: str) -> None:
    for p in paths:
        if not roots:
            raise QueryRefused(
                f"{what} reads the file {p!r}, but this server exposes no data folders",
                fix="query the tables listed by list_tables(); files are exposed only with --data DIR",
            )
        if not path_inside_roots(p, roots):
            shown = ", ".join(str(r) for r in roots)
            raise QueryRefused(
                f"{what} reads {p!r}, which is outside the data folders ({shown})",
                fix="query the views listed by list_tables() instead of reading files directly",
            )


@dataclass
class _Nodes:
    """What one pass over a parsed statement found, for the function and table checks."""

    funcs: list[exp.Func]
    tables: list[exp.Table]
    cte_names: set[str]


def _walk(tree: exp.Expression, *, write: bool) -> _Nodes:
    """Refuse engine-control (and, read-only, write) nodes anywhere; collect functions and tables.

    One pass instead of one per check: each walk of the tree costs ~0.1 ms on a call that arrives
    after the server idled (its caches are cold then), and every real call does.
    """
    found = _Nodes([], [], set())
    for node in tree.walk():
        if isinstance(node, _CONTROL_NODES):
            raise QueryRefused(f"{node.key.upper()} is not allowed anywhere in a query")
        if not write and isinstance(node, _WRITE_NODES):
            raise QueryRefused(f"{node.key.upper()} is not allowed: this tool is read-only")
        if isinstance(node, exp.Func):
            found.funcs.append(node)
        elif isinstance(node, exp.Table):
            found.tables.append(node)
        elif isinstance(node, exp.CTE):
            found.cte_names.add(node.alias_or_name.lower())
    return found


def _check_functions(funcs: Iterable[exp.Func], roots: Sequence[Path]) -> None:
    for node in funcs:
        name = function_name(node)
        if name in DENIED_FUNCTIONS:
            raise QueryRefused(f"the function {name}() is not allowed on this server")
        if name in FILE_FUNCTIONS:
            paths = _path_literals(_first_argument(node))
            if paths is None:
                raise QueryRefused(
                    f"{name}() needs a literal file path (a string or a list of strings)",
                    fix="write the path as a quoted string inside a data folder",
                )
            _refuse_paths(paths, roots, f"{name}()")


def _check_tables(found: _Nodes, roots: Sequence[Path]) -> list[str]:
    tables: list[str] = []
    for table in found.tables:
        if isinstance(table.this, exp.Func):
            name = function_name(table.this)  # arguments are vetted by _check_functions
            if name not in TABLE_FUNCTIONS and name not in FILE_FUNCTIONS:
                raise QueryRefused(
                    f"the table function {name}() is not one this server allows",
                    fix="query tables and views (list_tables()), or a data file with read_csv/read_parquet/read_json",
                )
            continue
        if not isinstance(table.this, exp.Identifier):
            continue
        name = table.name
        if table.this.quoted and _looks_like_path(name):
            _refuse_paths([name], roots, "the query")
            continue
        if not table.db and name.lower() in found.cte_names:
            continue
        qualified = ".".join(p for p in (table.catalog, table.db, name) if p)
        if qualified not in tables:
            tables.append(qualified)
    return tables


def _duckdb_parse(sql: str) -> list[exp.Expression | None]:
    """`sqlglot.parse(sql, read="duckdb")` with this thread's tokenizer and parser kept.

    sqlglot builds both anew per call, ~0.1 ms of a cold call. Both reset their state per parse
    but are not thread-safe, hence one pair per thread (HTTP runs tool bodies in worker threads).
    """
    pair = getattr(_per_thread, "duckdb", None)
    if pair is None:
        dialect = Dialect.get_or_raise("duckdb")
        pair = _per_thread.duckdb = (dialect.tokenizer(), dialect.parser())
    tokenizer, parser = pair
    return parser.parse(tokenizer.tokenize(sql), sql)


def _parse(sql: str) -> exp.Expression:
    if "\x00" in sql:
        raise QueryRefused("the SQL contains a NUL character")
    if len(sql) > MAX_SQL_CHARS:
        raise QueryRefused(f"the SQL is {len(sql):,} characters long; the limit is {MAX_SQL_CHARS:,}")
    if not sql.strip():
        raise QueryRefused("the SQL is empty", fix="pass one SELECT statement")
    try:
        # A comment after the last ';' comes back as a Semicolon node holding only that comment.
        trees = [t for t in _duckdb_parse(sql) if t is not None and not isinstance(t, exp.Semicolon)]
    except RecursionError:
        raise QueryRefused("the SQL is nested too deeply to check", fix="flatten the expression") from None
    except (ParseError, TokenError) as exc:
        raise UnparsableSql(
            f"could not parse the SQL, so its safety cannot be checked: {str(exc).splitlines()[0]}",
            fix="use plain DuckDB SELECT syntax",
        ) from None
    if not trees:
        raise QueryRefused("the SQL holds no statement (only comments?)", fix="pass one SELECT statement")
    if len(trees) > 1:
        raise QueryRefused(
            f"one statement per call; this SQL holds {len(trees)}",
            fix="send each statement in its own call",
        )
    return trees[0]


def _check_call(call: str, roots: Sequence[Path]) -> CheckedSql:
    """CALL is accepted only for harmless catalog table functions, vetted as SELECT * FROM fn(...)."""
    try:
        tree = sqlglot.parse_one(f"SELECT * FROM {call}", read="duckdb")
    except (ParseError, TokenError):
        tree = None
    table = tree.args.get("from_") or tree.args.get("from") if isinstance(tree, exp.Select) else None
    source = table.this if isinstance(table, exp.From) else None
    func = source.this if isinstance(source, exp.Table) else None
    name = function_name(func) if isinstance(func, exp.Func) else ""
    found = _walk(tree, write=False) if tree is not None and name in CALLABLE_FUNCTIONS else None
    if found is None or len(found.tables) != 1:
        raise QueryRefused(
            f"CALL {name or call.split('(')[0]}() is not allowed: CALL may run only catalog table functions",
            fix="use SELECT * FROM name(...), or one of: " + ", ".join(sorted(CALLABLE_FUNCTIONS)),
        )
    _check_functions(found.funcs, roots)
    return CheckedSql(statement="Call", tables=[])


def _check_show(rest: str, roots: Sequence[Path]) -> CheckedSql:
    """SHOW forms sqlglot does not model: SHOW DATABASES, and SHOW <table> (DuckDB's DESCRIBE)."""
    if rest.strip().upper() == "DATABASES":
        return CheckedSql(statement="Show", tables=[])
    try:
        tree = sqlglot.parse_one(f"DESCRIBE {rest}", read="duckdb")
    except (ParseError, TokenError):
        tree = None
    if not (isinstance(tree, exp.Describe) and isinstance(tree.this, exp.Table)):
        raise QueryRefused(
            f"SHOW {rest.strip()[:80]} is not a form this server runs",
            fix="use SHOW TABLES, SHOW DATABASES, SHOW <table> or DESCRIBE <table>",
        )
    found = _walk(tree, write=False)
    _check_functions(found.funcs, roots)
    return CheckedSql(statement="Show", tables=_check_tables(found, roots))


def check_sql(sql: str, roots: Sequence[Path], *, write: bool = False) -> CheckedSql:
    """Accept one statement or raise QueryRefused saying why.

    `write=False` (run_query, check_query): only SELECT-family statements.
    `write=True` (execute_write, opt-in): INSERT/UPDATE/DELETE/CREATE/DROP as well, never engine control.
    """
    tree = _parse(sql)
    roots_ok = _READ_ROOTS + (_WRITE_ROOTS if write else ())
    if isinstance(tree, exp.Command) and str(tree.this).upper() == "CALL":
        return _check_call(tree.expression.name if tree.expression else "", roots)
    if isinstance(tree, exp.Command) and str(tree.this).upper() == "SHOW":
        return _check_show(str(tree.expression or ""), roots)  # the text after SHOW
    if not isinstance(tree, roots_ok):
        kind = tree.key.upper() if not isinstance(tree, exp.Command) else str(tree.this).upper()
        allowed = "SELECT (also WITH, VALUES, DESCRIBE, SUMMARIZE, SHOW, CALL of catalog functions)"
        if write:
            allowed += ", INSERT, UPDATE, DELETE, CREATE, DROP"
        raise QueryRefused(
            f"{kind} statements are not allowed here; allowed: {allowed}",
            fix="this server is read-only: ask a question with SELECT"
            if not write
            else "engine and file commands are never allowed",
        )
    found = _walk(tree, write=write)
    _check_functions(found.funcs, roots)
    tables = _check_tables(found, roots)
    return CheckedSql(statement=type(tree).__name__, tables=tables)
