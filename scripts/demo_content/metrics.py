"""The SQL behind every number the handbook states, run against the generated database.

QBR documents and the README facts index are filled from these queries, so the documents and the
database cannot disagree. Quarters are calendar quarters (fiscal year = calendar year).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

NET_SALES_CTE = """
WITH lines AS (
  SELECT o.order_id, o.order_date, o.store_id, o.channel, p.category,
         i.quantity * i.unit_price AS net, i.quantity * p.unit_cost AS cogs
  FROM orders o JOIN order_items i USING (order_id) JOIN products p USING (product_id)
  WHERE o.status = 'completed' AND o.order_date BETWEEN DATE '{start}' AND DATE '{end}'
)"""

# name -> SQL with {start}/{end}; each returns one row, one column (or label + value for "top_*").
QUARTER_SQL: dict[str, str] = {
    "orders": "SELECT count(*) FROM orders WHERE status = 'completed'"
              " AND order_date BETWEEN DATE '{start}' AND DATE '{end}'",
    "net_sales": NET_SALES_CTE + " SELECT sum(net) FROM lines",
    "gross_margin_pct": NET_SALES_CTE + " SELECT round(100 * (sum(net) - sum(cogs)) / sum(net), 1) FROM lines",
    "avg_order_value": NET_SALES_CTE + " SELECT round(sum(net) / count(DISTINCT order_id), 2) FROM lines",
    "online_share_pct": NET_SALES_CTE
    + " SELECT round(100 * sum(net) FILTER (WHERE channel = 'online') / sum(net), 1) FROM lines",
    "returns_filed": "SELECT count(*) FROM returns WHERE return_date BETWEEN DATE '{start}' AND DATE '{end}'",
    "refunds": "SELECT coalesce(sum(refund_amount), 0) FROM returns"
               " WHERE return_date BETWEEN DATE '{start}' AND DATE '{end}'",
    "tickets_opened": "SELECT count(*) FROM support_tickets"
                      " WHERE CAST(opened_at AS DATE) BETWEEN DATE '{start}' AND DATE '{end}'",
    "avg_csat": "SELECT round(avg(csat), 2) FROM support_tickets"
                " WHERE CAST(opened_at AS DATE) BETWEEN DATE '{start}' AND DATE '{end}'",
    "top_category": NET_SALES_CTE
    + " SELECT category, sum(net) AS s FROM lines GROUP BY category ORDER BY s DESC LIMIT 1",
}
STORE_SQL = NET_SALES_CTE + """
SELECT s.name, count(DISTINCT l.order_id) AS orders, sum(l.net) AS net_sales
FROM lines l JOIN stores s USING (store_id) GROUP BY s.store_id, s.name ORDER BY s.store_id"""
CATEGORY_SQL = NET_SALES_CTE + """
SELECT category, sum(net) AS net_sales, round(100 * (sum(net) - sum(cogs)) / sum(net), 1) AS margin_pct
FROM lines GROUP BY category ORDER BY net_sales DESC"""

QBR_LABELS = {
    "orders": "Completed orders",
    "net_sales": "Net sales",
    "gross_margin_pct": "Gross margin",
    "avg_order_value": "Average order value",
    "online_share_pct": "Online share of net sales",
    "returns_filed": "Returns filed",
    "refunds": "Refunds issued",
    "tickets_opened": "Support tickets opened",
    "avg_csat": "Average CSAT (1-5)",
}
MONEY = {"net_sales", "avg_order_value", "refunds"}
PCT = {"gross_margin_pct", "online_share_pct"}


def quarter_bounds(year: int, q: int) -> tuple[str, str]:
    start = dt.date(year, 3 * q - 2, 1)
    end = (dt.date(year + (q == 4), (3 * q) % 12 + 1, 1)) - dt.timedelta(days=1)
    return start.isoformat(), end.isoformat()


def fmt(name: str, value: object) -> str:
    """Format a metric exactly as the documents print it."""
    if name in MONEY:
        return f"${float(value):,.2f}"  # type: ignore[arg-type]
    if name in PCT:
        return f"{float(value):.1f}%"  # type: ignore[arg-type]
    if isinstance(value, float) or hasattr(value, "as_tuple"):
        return f"{float(value):.2f}"  # type: ignore[arg-type]
    return str(value)


@dataclass
class Quarter:
    year: int
    q: int
    values: dict[str, object]
    stores: list[tuple]
    categories: list[tuple]

    @property
    def label(self) -> str:
        return f"Q{self.q} FY{self.year}"


def quarter(con: duckdb.DuckDBPyConnection, year: int, q: int) -> Quarter:
    start, end = quarter_bounds(year, q)
    values: dict[str, object] = {}
    for name, sql in QUARTER_SQL.items():
        row = con.execute(sql.format(start=start, end=end)).fetchall()[0]
        assert row is not None
        values[name] = row[0]
    stores = con.execute(STORE_SQL.format(start=start, end=end)).fetchall()
    cats = con.execute(CATEGORY_SQL.format(start=start, end=end)).fetchall()
    return Quarter(year, q, values, stores, cats)


@dataclass(frozen=True)
class SqlFact:
    key: str
    question: str
    sql: str


# Facts whose answer lives only in the database; the README prints the SQL and its result.
SQL_FACTS: list[SqlFact] = [
    SqlFact("orders_2025", "Completed orders in FY2025",
            "SELECT count(*) FROM orders WHERE status = 'completed' AND year(order_date) = 2025"),
    SqlFact("net_sales_2024", "Net sales FY2024 (USD)",
            NET_SALES_CTE.format(start="2024-01-01", end="2024-12-31") + " SELECT sum(net) FROM lines"),
    SqlFact("net_sales_2025", "Net sales FY2025 (USD)",
            NET_SALES_CTE.format(start="2025-01-01", end="2025-12-31") + " SELECT sum(net) FROM lines"),
    SqlFact("top_margin_category", "Category with the highest gross margin (all time), margin %",
            "SELECT p.category, round(100 * sum(i.quantity * (i.unit_price - p.unit_cost))"
            " / sum(i.quantity * i.unit_price), 1) AS margin_pct FROM order_items i JOIN orders o USING (order_id)"
            " JOIN products p USING (product_id) WHERE o.status = 'completed' GROUP BY p.category"
            " ORDER BY margin_pct DESC LIMIT 1"),
    SqlFact("low_margin_category", "Category with the lowest gross margin (all time), margin %",
            "SELECT p.category, round(100 * sum(i.quantity * (i.unit_price - p.unit_cost))"
            " / sum(i.quantity * i.unit_price), 1) AS margin_pct FROM order_items i JOIN orders o USING (order_id)"
            " JOIN products p USING (product_id) WHERE o.status = 'completed' GROUP BY p.category"
            " ORDER BY margin_pct ASC LIMIT 1"),
    SqlFact("late_returns_2025", "Returns filed in 2025 more than 30 days after the order date",
            "SELECT count(*) FROM returns r JOIN orders o USING (order_id)"
            " WHERE year(r.return_date) = 2025 AND r.return_date - o.order_date > 30"),
    SqlFact("late_returns_refunded_2025", "Of those late 2025 returns, how many were refunded anyway",
            "SELECT count(*) FROM returns r JOIN orders o USING (order_id) WHERE year(r.return_date) = 2025"
            " AND r.return_date - o.order_date > 30 AND r.status = 'refunded'"),
    SqlFact("late_refund_total_2025", "USD refunded on late (over 30 days) returns filed in 2025",
            "SELECT sum(r.refund_amount) FROM returns r JOIN orders o USING (order_id)"
            " WHERE year(r.return_date) = 2025 AND r.return_date - o.order_date > 30"),
    SqlFact("returns_total", "Returns filed, all time (2024-2025)", "SELECT count(*) FROM returns"),
    SqlFact("top_return_reason", "Most common return reason (all time), count",
            "SELECT reason, count(*) AS n FROM returns GROUP BY reason ORDER BY n DESC, reason LIMIT 1"),
    SqlFact("over_cap_lines_2025",
            "2025 order lines discounted beyond the category cap in the pricing guide",
            "SELECT count(*) FROM order_items i JOIN orders o USING (order_id) JOIN products p USING (product_id)"
            " WHERE year(o.order_date) = 2025 AND i.discount_pct > CASE p.category"
            " WHEN 'Tents & Shelters' THEN 20 WHEN 'Sleeping Systems' THEN 20 WHEN 'Packs & Bags' THEN 25"
            " WHEN 'Apparel' THEN 35 WHEN 'Footwear' THEN 15 WHEN 'Climbing' THEN 10 WHEN 'Camp Kitchen' THEN 25"
            " WHEN 'Navigation & Electronics' THEN 10 END"),
    SqlFact("online_orders_paid_shipping_2025", "Completed online orders in 2025 that paid shipping",
            "SELECT count(*) FROM orders WHERE channel = 'online' AND status = 'completed'"
            " AND year(order_date) = 2025 AND shipping_fee > 0"),
    SqlFact("top_store_2025", "Store with the highest FY2025 net sales (USD)",
            NET_SALES_CTE.format(start="2025-01-01", end="2025-12-31")
            + " SELECT s.name, sum(net) AS net_sales FROM lines JOIN stores s USING (store_id)"
              " GROUP BY s.name ORDER BY net_sales DESC LIMIT 1"),
    SqlFact("best_seller_units_2025", "Best-selling product by units in FY2025",
            "SELECT p.name, sum(i.quantity) AS units FROM order_items i JOIN orders o USING (order_id)"
            " JOIN products p USING (product_id) WHERE o.status = 'completed' AND year(o.order_date) = 2025"
            " GROUP BY p.name ORDER BY units DESC, p.name LIMIT 1"),
    SqlFact("summit_customers", "Customers in the Summit loyalty tier",
            "SELECT count(*) FROM customers WHERE loyalty_tier = 'Summit'"),
    SqlFact("employees_total", "Employees on record", "SELECT count(*) FROM employees"),
    SqlFact("denver_staff", "Employees assigned to the Denver store",
            "SELECT count(*) FROM employees e JOIN stores s USING (store_id) WHERE s.city = 'Denver'"),
    SqlFact("p1_tickets_2025", "P1 support tickets opened in 2025",
            "SELECT count(*) FROM support_tickets WHERE priority = 'P1' AND year(opened_at) = 2025"),
    SqlFact("open_tickets", "Support tickets still open at 2025-12-31",
            "SELECT count(*) FROM support_tickets WHERE status = 'open'"),
    SqlFact("p1_over_sla", "Resolved P1 tickets that took longer than the 24-hour P1 resolution target",
            "SELECT count(*) FROM support_tickets WHERE priority = 'P1' AND resolved_at IS NOT NULL"
            " AND resolved_at - opened_at > INTERVAL 24 HOUR"),
    SqlFact("unsigned_coc_supplier", "Supplier that has not signed the Code of Conduct",
            "SELECT name FROM suppliers WHERE coc_signed_on IS NULL"),
    SqlFact("most_expensive_product", "Most expensive product by list price",
            "SELECT name, list_price FROM products ORDER BY list_price DESC LIMIT 1"),
    SqlFact("discontinued_product", "Discontinued product",
            "SELECT sku, name FROM products WHERE discontinued"),
]


def run_fact(con: duckdb.DuckDBPyConnection, fact: SqlFact) -> str:
    """The fact's answer as printed in the README: values of the single result row joined by '; '."""
    row = con.execute(fact.sql).fetchall()[0]
    assert row is not None, fact.key
    return "; ".join(str(v) for v in row)
