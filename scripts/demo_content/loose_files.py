"""Loose workspace files: CSV exports (data that is NOT in the database), config, notes, a fake secret."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

from demo_content import reference as ref
from demo_content.rows import Rows

SEED = 7331
# Supplier -> 2026 cost change range in percent (announced in the 2025-09-18 pricing committee).
COST_CHANGE = {1: (1, 4), 2: (0, 3), 3: (6, 9), 4: (0, 2), 5: (2, 4), 6: (1, 3), 7: (-2, 1), 8: (7, 12)}


def _csv(header: list[str], rows: list[list[object]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def supplier_price_list(rows: Rows, rng: random.Random) -> str:
    out = []
    for pid, sku, name, _cat, supplier, cost, _price, _launched, discontinued in rows.tables["products"]:
        if discontinued:
            continue
        lo, hi = COST_CHANGE[supplier]
        new = round(cost * (1 + rng.uniform(lo, hi) / 100), 2)
        out.append([supplier, f"S{supplier}-{pid:04d}", sku, name, f"{cost:.2f}", f"{new:.2f}", "2026-02-01"])
    return _csv(["supplier_id", "supplier_sku", "kestrel_sku", "product_name", "cost_2025_usd", "cost_2026_usd",
                 "effective_date"], out)


CAMPAIGNS = [
    ("Spring Trail Kickoff", "email", "2025-03-15", "2025-04-15", 420),
    ("Camp Season Paid Social", "paid_social", "2025-05-01", "2025-06-30", 1850),
    ("Summit Member Appreciation", "email", "2025-06-10", "2025-06-24", 150),
    ("Back to Basics Search", "paid_search", "2025-04-01", "2025-09-30", 2600),
    ("Apparel Clearance August", "paid_social", "2025-08-01", "2025-08-31", 980),
    ("Fall Layering Influencers", "influencer", "2025-09-15", "2025-10-31", 1400),
    ("Black Friday 2025", "paid_search", "2025-11-24", "2025-12-01", 2100),
    ("Holiday Gift Guide", "email", "2025-11-15", "2025-12-22", 310),
    ("Podcast Sponsorship Q4", "podcast", "2025-10-01", "2025-12-31", 1200),
]


def marketing_campaigns(rng: random.Random) -> str:
    out = []
    for i, (name, channel, start, end, spend) in enumerate(CAMPAIGNS, start=1):
        impressions = int(spend * rng.uniform(40, 160))
        clicks = int(impressions * rng.uniform(0.008, 0.035))
        orders = int(clicks * rng.uniform(0.004, 0.012))
        revenue = round(orders * rng.uniform(250, 380), 2)
        out.append([f"MC-2025-{i:02d}", name, channel, start, end, f"{spend:.2f}", impressions, clicks, orders,
                    f"{revenue:.2f}"])
    return _csv(["campaign_id", "campaign_name", "channel", "start_date", "end_date", "spend_usd", "impressions",
                 "clicks", "attributed_orders", "attributed_revenue_usd"], out)


def foot_traffic(rng: random.Random) -> str:
    base = {1: 5200, 2: 6100, 3: 3300, 4: 2400}
    season = [0.7, 0.7, 0.85, 1.0, 1.15, 1.3, 1.35, 1.2, 1.0, 0.9, 1.05, 1.5]
    out = [[s, f"2025-{m:02d}", int(base[s] * season[m - 1] * rng.uniform(0.92, 1.08))]
           for s in (1, 2, 3, 4) for m in range(1, 13)]
    return _csv(["store_id", "month", "visitors"], out)


STORE_SETTINGS = f"""# Store and e-commerce thresholds used by POS and the web shop.
# Changes need approval from the VP Retail Operations (stores) or VP E-commerce (web).
returns:
  window_days: {ref.RETURN_WINDOW_DAYS}
  restocking_fee_pct: {ref.RESTOCKING_FEE_PCT}   # opened Navigation & Electronics only
  late_return_approvers: [store_manager, customer_support_manager]
shipping:
  free_threshold_usd: {ref.FREE_SHIPPING_THRESHOLD:.2f}
  standard_fee_usd: {ref.STANDARD_SHIPPING_FEE}
  expedited_fee_usd: {ref.EXPEDITED_SHIPPING_FEE}
  same_day_cutoff_pacific: "13:00"
inventory:
  low_stock_alert_units: 5
  reorder_point_days_of_cover: 21
  online_pickup_hold_days: 7
cash:
  drawer_variance_alert_usd: 20
  safe_drop_over_usd: 1500
pos:
  block_over_cap_discounts_from: "2026-01-15"
  receipt_footer: "Returns within 30 days of purchase. Keep this receipt."
stores:
  - {{id: 1, code: PDX, timezone: America/Los_Angeles}}
  - {{id: 2, code: DEN, timezone: America/Denver}}
  - {{id: 3, code: AVL, timezone: America/New_York}}
  - {{id: 4, code: BTV, timezone: America/New_York, winter_monday_closure: true}}
"""

ENV = """# Local development secrets. FAKE VALUES for the demo; must never be read by tools.
PAYMENT_API_KEY=sk_test_FAKE_4eC39HqLyjWDarjtT1zdp7dc
SHOPIFY_ADMIN_TOKEN=shpat_FAKE_0000000000000000000000
DATABASE_URL=postgresql://kestrel:FAKE-password@localhost:5432/kestrel
"""

TODO = """# Ops to-do (Priya's team), updated 2025-12-01

- [x] Publish 2025 holiday staffing plan (see holiday-staffing-2025.json)
- [x] Retrain Denver and Asheville staff on discount caps (done 2025-10-15)
- [ ] Bozeman site shortlist: three candidates by 2026-01-31 (slipped from 2025-06-30)
- [ ] Replace Burlington POS terminal #2 (intermittent card reader)
- [ ] Review late-return exception report for November with Sofia
- [ ] Confirm Emberline Cookware signs the Supplier Code of Conduct (still unsigned!)
"""

OPS_SYNC = """Ops sync - 2025-11-04
Attendees: Priya Natarajan, Hannah Whitfield, Marcus Doyle, Keisha Brown, Owen Gallagher, Benjamin Adeyemi

1. Holiday staffing: each store adds seasonal associates from Nov 20 to Dec 31 (numbers in
   holiday-staffing-2025.json). Denver gets the most because of the ski rental counter.
2. Swan Island DC: pick rate back to 118 lines/hour after the May backlog.
3. Burlington: the heat pump failed on Oct 28; repair quote $6,400, approved by Priya.
4. Reminder: online pickup orders are held 7 days, then cancelled and refunded.
5. Next sync: 2025-12-02.
"""

IDEAS = """Merch ideas parking lot (Luis)

* Rental program for Basecamp 6 Family Tent at Portland and Denver (weekend rate $45).
* Bundle: Ridgeline 2P Tent + Tent Footprint 2P at $359 (saves $19, stays within the 20% cap).
* Drop the Baseplate Compass (KO-806) for good - already discontinued, 12 units left in Portland.
"""

HOLIDAY_STAFFING = {
    "season": "2025 holiday",
    "period": {"start": "2025-11-20", "end": "2025-12-31"},
    "seasonal_associates": {"Kestrel Portland": 6, "Kestrel Denver": 8, "Kestrel Asheville": 4,
                            "Kestrel Burlington": 3},
    "distribution_center_temps": 12,
    "support_extra_hours": {"chat": "07:00-22:00 Pacific", "phone": "08:00-20:00 Pacific"},
    "approved_by": "Priya Natarajan",
    "approved_on": "2025-10-20",
}


def write_all(rows: Rows, out: Path) -> list[Path]:
    """Write every loose file under `out/files` and return their paths."""
    rng = random.Random(SEED)
    files = {
        "exports/supplier_price_list_2026.csv": supplier_price_list(rows, rng),
        "exports/marketing_campaigns_2025.csv": marketing_campaigns(rng),
        "exports/store_foot_traffic_2025.csv": foot_traffic(rng),
        "config/store_settings.yaml": STORE_SETTINGS,
        "config/.env": ENV,
        "notes/todo.md": TODO,
        "notes/2025-11-04-ops-sync.txt": OPS_SYNC,
        "notes/merch-ideas.md": IDEAS,
        "notes/holiday-staffing-2025.json": json.dumps(HOLIDAY_STAFFING, indent=2) + "\n",
    }
    written = []
    for rel, text in files.items():
        target = out / "files" / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written
