"""Documents built from the data: quarterly business reviews, catalog guides and store operations."""

from __future__ import annotations

import duckdb

from demo_content import metrics as m
from demo_content import reference as ref
from demo_content.model import Doc, Table, h2, p, ul
from demo_content.rows import Rows

# Hand-written context for each quarter; the numbers around it come from SQL.
QBR_NOTES: dict[tuple[int, int], list[str]] = {
    (2024, 1): ["Slowest quarter of the year as usual; Apparel clearance ran in January.",
                "Kestrel Burlington's first full winter: reduced hours trial started."],
    (2024, 2): ["Camping season started early; tent sell-through beat plan.",
                "Launched the Kestrel Club Summit tier benefits refresh."],
    (2024, 3): ["August Apparel clearance at 35% moved 2024 summer stock.",
                "Portland repair shop expanded to Saturdays."],
    (2024, 4): ["Holiday season strongest December in company history.",
                "Black Friday promotion: 20% off tents and packs."],
    (2025, 1): ["Leadership offsite on 2025-03-12 approved the Bozeman store for 2027.",
                "Security policy v3.2 rollout began (published 2025-04-01)."],
    (2025, 2): ["Pricing audit found discounts above the category caps; see the pricing committee notes.",
                "CSAT dipped because of shipping delays at the Swan Island distribution center in May."],
    (2025, 3): ["SEV1 checkout outage on 2025-07-19 (97 minutes); see the post-incident review.",
                "August Apparel clearance ran at the full 35% cap."],
    (2025, 4): ["Black Friday 2025: 20% off Tents & Shelters and Packs & Bags.",
                "POS will block over-cap discounts from 2026-01-15."],
}


def _pct_change(new: object, old: object) -> str:
    change = 100 * (float(new) - float(old)) / float(old)  # type: ignore[arg-type]
    return f"{change:+.1f}%"


def qbr(con: duckdb.DuckDBPyConnection, year: int, q: int) -> Doc:
    cur = m.quarter(con, year, q)
    prior = m.quarter(con, year - 1, q) if year > 2024 else None
    metric_rows = [[label, m.fmt(k, cur.values[k])] for k, label in m.QBR_LABELS.items()]
    start, end = m.quarter_bounds(year, q)
    blocks = [
        p(f"Quarterly business review for {cur.label} ({start} to {end}), prepared by Finance "
          "(Daniel Reyes, Grace Liu). Net sales are order-line revenue after discounts on completed orders, "
          "excluding shipping and tax, before returns."),
        h2("Key metrics"),
        Table(["Metric", cur.label], metric_rows),
        p(f"Top category by net sales: {cur.values['top_category']}."),
    ]
    if prior:
        blocks += [h2("Year over year"), ul(
            f"Net sales {_pct_change(cur.values['net_sales'], prior.values['net_sales'])} vs {prior.label} "
            f"({m.fmt('net_sales', prior.values['net_sales'])}).",
            f"Completed orders {_pct_change(cur.values['orders'], prior.values['orders'])} vs {prior.label} "
            f"({prior.values['orders']}).")]
    blocks += [
        h2("Net sales by store"),
        Table(["Store", "Orders", "Net sales"], [[s, str(n), m.fmt("net_sales", v)] for s, n, v in cur.stores]),
        h2("Net sales and margin by category"),
        Table(["Category", "Net sales", "Gross margin"],
              [[c, m.fmt("net_sales", v), m.fmt("gross_margin_pct", g)] for c, v, g in cur.categories]),
        h2("Highlights"),
        ul(*QBR_NOTES[(year, q)]),
    ]
    return Doc(f"finance/qbr-fy{year}-q{q}.md", f"Quarterly Business Review: {cur.label}", blocks=blocks)


CATEGORY_TIPS: dict[str, list[str]] = {
    "Tents & Shelters": ["Pitch new tents at home once before the first trip.",
                         "Dry tents fully before storage to avoid mildew (not covered by warranty)."],
    "Sleeping Systems": ["Temperature ratings are EN/ISO 23537 lower-limit ratings.",
                         "Store down bags loose in the cotton storage sack, never compressed."],
    "Packs & Bags": ["Fit packs by torso length, not height; stores offer free fitting.",
                     "The Granite series has a 30 lb recommended load limit for the 50L and 45 lb for the 65L."],
    "Apparel": ["Wash shells with tech wash and tumble dry low to revive the PFAS-free DWR.",
                "Merino items: cold wash, lay flat to dry."],
    "Footwear": ["Recommend half a size up for hiking boots worn with thick socks.",
                 "Waterproof membranes are covered for 1 year."],
    "Climbing": ["Retire ropes after a severe fall or 5 years, whichever is first.",
                 "Harnesses and helmets carry a 10-year maximum service life from manufacture."],
    "Camp Kitchen": ["Fuel canisters are sold in store only and ship ground.",
                     "Gravity filter cartridges are rated for 1,500 liters."],
    "Navigation & Electronics": ["Satellite messengers need an active subscription (sold by the manufacturer).",
                                 "Opened electronics carry a 15% restocking fee unless defective."],
}
CATALOG_GROUPS = [
    ("catalog/shelter-and-sleep.md", "Catalog Guide: Shelter & Sleep", ["Tents & Shelters", "Sleeping Systems"]),
    ("catalog/packs-and-footwear.md", "Catalog Guide: Packs & Footwear", ["Packs & Bags", "Footwear"]),
    ("catalog/apparel-and-climbing.md", "Catalog Guide: Apparel & Climbing", ["Apparel", "Climbing"]),
    ("catalog/kitchen-and-electronics.md", "Catalog Guide: Camp Kitchen & Electronics",
     ["Camp Kitchen", "Navigation & Electronics"]),
]


def catalog(rows: Rows, path: str, title: str, categories: list[str]) -> Doc:
    suppliers = {s[0]: s[1] for s in ref.SUPPLIERS}
    blocks = [p("Staff-facing product guide: what we sell, at what list price, and what to tell customers.")]
    for cat in categories:
        supplier = next(suppliers[c[1]] for c in ref.CATEGORIES if c[0] == cat)
        products = [r for r in rows.tables["products"] if r[3] == cat]
        blocks += [
            h2(cat),
            p(f"Supplier: {supplier}."),
            Table(["SKU", "Product", "List price", "Status"],
                  [[r[1], r[2], f"${r[6]:,.2f}", "Discontinued" if r[8] else "Active"] for r in products]),
            ul(*CATEGORY_TIPS[cat]),
        ]
    return Doc(path, title, blocks=blocks)


# store_id -> (hours, special rules)
STORE_OPS: dict[int, tuple[list[list[str]], list[str]]] = {
    1: ([["Mon-Sat", "09:00-20:00"], ["Sun", "10:00-18:00"]],
        ["Home of the repair shop (open Tuesday-Saturday, drop-off until 17:00).",
         "Hosts the gear library for HQ staff.",
         "Cash drawer counts at opening and close; variance over $20 is reported to the Controller."]),
    2: ([["Mon-Sat", "09:00-21:00"], ["Sun", "10:00-19:00"]],
        ["Largest store (22,000 sq ft) with an indoor bouldering wall; waivers required for every climber.",
         "Ski and snowshoe rentals November 15 to April 15.",
         "Cash drawer counts at opening and close; variance over $20 is reported to the Controller."]),
    3: ([["Mon-Sat", "10:00-19:00"], ["Sun", "11:00-17:00"]],
        ["Weekly guided hikes on Blue Ridge trails every Saturday at 08:00 (max 12 participants).",
         "Hurricane closure decisions are made by the store manager with the VP Retail Operations.",
         "Cash drawer counts at opening and close; variance over $20 is reported to the Controller."]),
    4: ([["Tue-Sat", "10:00-18:00"], ["Sun", "11:00-16:00"], ["Mon", "Closed January-March; 10:00-18:00 otherwise"]],
        ["Newest store (opened 2022-10-01) and smallest by floor area (12,800 sq ft).",
         "Reduced winter hours: closed Mondays January through March.",
         "Cash drawer counts at opening and close; variance over $20 is reported to the Controller."]),
}


def store_ops(rows: Rows, store_id: int) -> Doc:
    store = next(s for s in ref.STORES if s[0] == store_id)
    manager = next(e for e in ref.LEADERS if e[0] == store[8])
    staff = [e for e in rows.tables["employees"] if e[6] == store_id]
    hours, rules = STORE_OPS[store_id]
    slug = store[2].lower()
    return Doc(f"stores/{slug}-store-operations.md", f"Store Operations: {store[1]}", meta=[
        ("Store manager", f"{manager[1]} {manager[2]}"), ("Address city", f"{store[2]}, {store[3]}")], blocks=[
        p(f"{store[1]} opened on {store[5]} and has {store[6]:,} sq ft of sales floor. It belongs to the "
          f"{ref.REGIONS[store[4] - 1][1]} region and has {len(staff)} staff including the manager."),
        h2("Opening hours"),
        Table(["Days", "Hours"], hours),
        h2("Store-specific rules"),
        ul(*rules),
        h2("Daily checklist"),
        ul("Opening: alarm off, POS sync check, cash count, safety walk.",
           "Midday: restock from backroom, check online pickup orders (hold for 7 days).",
           "Closing: cash count, deposit bag in the safe, alarm on."),
    ])


def all_docs(con: duckdb.DuckDBPyConnection, rows: Rows) -> list[Doc]:
    docs = [qbr(con, y, q) for y in (2024, 2025) for q in (1, 2, 3, 4)]
    docs += [catalog(rows, *g) for g in CATALOG_GROUPS]
    docs += [store_ops(rows, s) for s in (1, 2, 3, 4)]
    return docs
