"""The DuckDB schema (keys and COMMENTs) and the loader that writes `kestrel.duckdb`."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import duckdb

from demo_content.rows import Rows

BLOCK_SIZE = 16384

# table -> (DDL body, table comment, {column: comment})
SCHEMA: dict[str, tuple[str, str, dict[str, str]]] = {
    "regions": (
        "region_id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, code VARCHAR NOT NULL",
        "Sales regions; region 5 is the national online channel.",
        {"code": "Short region code used in reports (PNW, MTN, SE, NE, WEB)."},
    ),
    "suppliers": (
        "supplier_id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, country VARCHAR, primary_category VARCHAR,"
        " onboarded_on DATE, coc_signed_on DATE, rating DECIMAL(2,1)",
        "Product suppliers (one primary category each).",
        {"coc_signed_on": "Date the supplier signed the current Supplier Code of Conduct; NULL = not signed.",
         "rating": "Supplier scorecard rating, 1.0 (poor) to 5.0 (excellent)."},
    ),
    "stores": (
        "store_id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, city VARCHAR, state VARCHAR,"
        " region_id INTEGER REFERENCES regions(region_id), opened_on DATE, square_feet INTEGER, kind VARCHAR,"
        " manager_employee_id INTEGER",
        "Four retail stores plus the online store (kind = 'online', store_id 5).",
        {"kind": "'retail' or 'online'.", "square_feet": "Sales floor area; NULL for the online store.",
         "manager_employee_id": "employees.employee_id of the store manager (VP E-commerce for online)."},
    ),
    "employees": (
        "employee_id INTEGER PRIMARY KEY, first_name VARCHAR, last_name VARCHAR, email VARCHAR, title VARCHAR,"
        " department VARCHAR, store_id INTEGER REFERENCES stores(store_id), manager_id INTEGER, hire_date DATE",
        "Employees as of 2025-12-31; store_id is NULL for headquarters staff.",
        {"manager_id": "employee_id of the direct manager; NULL for the CEO."},
    ),
    "products": (
        "product_id INTEGER PRIMARY KEY, sku VARCHAR UNIQUE NOT NULL, name VARCHAR NOT NULL, category VARCHAR,"
        " supplier_id INTEGER REFERENCES suppliers(supplier_id), unit_cost DECIMAL(10,2),"
        " list_price DECIMAL(10,2), launched_on DATE, discontinued BOOLEAN",
        "Product catalog with landed unit cost and list price in USD.",
        {"unit_cost": "Landed cost per unit in USD (used for COGS and margin).",
         "list_price": "Undiscounted retail price in USD."},
    ),
    "customers": (
        "customer_id INTEGER PRIMARY KEY, first_name VARCHAR, last_name VARCHAR, email VARCHAR, state VARCHAR,"
        " signup_date DATE, loyalty_tier VARCHAR, home_store_id INTEGER REFERENCES stores(store_id)",
        "Customers (synthetic; emails use the reserved .example domain).",
        {"loyalty_tier": "Kestrel Club tier: 'none', 'Trail' or 'Summit'."},
    ),
    "orders": (
        "order_id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(customer_id),"
        " store_id INTEGER REFERENCES stores(store_id), order_date DATE NOT NULL, channel VARCHAR,"
        " status VARCHAR, shipping_fee DECIMAL(10,2)",
        "Orders 2024-01-01..2025-12-31. Fiscal year = calendar year.",
        {"channel": "'online' (store_id 5) or 'in_store'.",
         "status": "'completed' or 'cancelled'; cancelled orders are excluded from net sales.",
         "shipping_fee": "Shipping charged in USD: $7.95 on online orders under $75.00 (Summit members and"
                         " larger orders ship free); 0 in store."},
    ),
    "order_items": (
        "order_id INTEGER REFERENCES orders(order_id), line_no INTEGER, product_id INTEGER"
        " REFERENCES products(product_id), quantity INTEGER, unit_price DECIMAL(10,2), discount_pct INTEGER,"
        " PRIMARY KEY (order_id, line_no)",
        "Order lines. Net sales of a line = quantity * unit_price.",
        {"unit_price": "Price actually charged per unit after discount, USD.",
         "discount_pct": "Discount off list price in percent (0-40)."},
    ),
    "returns": (
        "return_id INTEGER PRIMARY KEY, order_id INTEGER, line_no INTEGER,"
        " product_id INTEGER REFERENCES products(product_id), return_date DATE, reason VARCHAR, status VARCHAR,"
        " refund_amount DECIMAL(10,2), FOREIGN KEY (order_id, line_no) REFERENCES order_items(order_id, line_no)",
        "Returns filed by customers. The policy window is 30 days from the order date.",
        {"return_date": "Date the return was filed.", "status": "'refunded' or 'rejected'.",
         "refund_amount": "USD refunded; 0 when rejected."},
    ),
    "support_tickets": (
        "ticket_id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(customer_id),"
        " order_id INTEGER REFERENCES orders(order_id), opened_at TIMESTAMP, resolved_at TIMESTAMP,"
        " channel VARCHAR, category VARCHAR, priority VARCHAR, status VARCHAR, csat INTEGER",
        "Customer support tickets.",
        {"priority": "P1 (urgent) to P3 (low).", "csat": "Post-resolution satisfaction survey 1-5; NULL = none.",
         "resolved_at": "NULL while the ticket is open."},
    ),
}


def build(rows: Rows, target: Path) -> None:
    """Write every table into a fresh DuckDB file at `target` (written beside it, then moved)."""
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        # 16 KiB blocks instead of the default 256 KiB keep the committed file under 1 MB.
        con.execute(f"ATTACH {_lit(str(tmp))} AS kestrel (BLOCK_SIZE {BLOCK_SIZE})")
        con.execute("USE kestrel")
        with tempfile.TemporaryDirectory() as scratch:
            for table, (ddl, comment, columns) in SCHEMA.items():
                con.execute(f"CREATE TABLE {table} ({ddl})")
                con.execute(f"COMMENT ON TABLE {table} IS {_lit(comment)}")
                for column, text in columns.items():
                    con.execute(f"COMMENT ON COLUMN {table}.{column} IS {_lit(text)}")
                csv_path = Path(scratch) / f"{table}.csv"
                with csv_path.open("w", newline="", encoding="utf-8") as fh:
                    csv.writer(fh).writerows([["" if v is None else v for v in r] for r in rows.tables[table]])
                con.execute(f"COPY {table} FROM '{csv_path}' (HEADER false, NULLSTR '')")
        con.execute("CHECKPOINT kestrel")
        con.execute("USE memory")
        con.execute("DETACH kestrel")
    finally:
        con.close()
    tmp.replace(target)


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def content_digest(db: Path) -> list[tuple]:
    """Rows, row checksum, comments and constraints of every table: equal digests mean equal content.

    DuckDB files carry a random database id and checksums, so bytes differ between identical builds.
    """
    con = duckdb.connect(str(db), read_only=True)
    try:
        digest = [con.execute(f"SELECT '{t}', count(*), md5(string_agg(CAST(x AS VARCHAR), chr(10) "
                              f"ORDER BY CAST(x AS VARCHAR))) FROM {t} AS x").fetchall()[0] for t in SCHEMA]
        digest += con.execute("SELECT table_name, column_name, comment FROM duckdb_columns() "
                              "WHERE comment IS NOT NULL UNION ALL "
                              "SELECT table_name, NULL, comment FROM duckdb_tables() ORDER BY ALL").fetchall()
        digest += con.execute("SELECT table_name, constraint_text FROM duckdb_constraints() ORDER BY ALL").fetchall()
        return digest
    finally:
        con.close()
