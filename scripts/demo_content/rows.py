"""Deterministic row generation for every table (one seeded RNG, money in integer cents)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from demo_content import reference as ref

SEED = 20240101
START = dt.date(2024, 1, 1)
END = dt.date(2025, 12, 31)
# Relative order volume per month (Jan..Dec): spring/summer camping season and the holidays are busy.
MONTH_WEIGHT = [0.6, 0.6, 0.8, 1.0, 1.2, 1.4, 1.4, 1.2, 1.0, 0.8, 1.1, 1.6]


@dataclass
class Rows:
    """All generated rows, keyed by table name, in insertion order."""

    tables: dict[str, list[tuple]] = field(default_factory=dict)


def cents(amount: float) -> int:
    return round(amount * 100)


def generate() -> Rows:
    rng = random.Random(SEED)
    rows = Rows()
    t = rows.tables
    t["regions"] = list(ref.REGIONS)
    t["suppliers"] = list(ref.SUPPLIERS)
    t["stores"] = list(ref.STORES)
    t["employees"] = _employees(rng)
    t["products"] = _products(rng)
    t["customers"] = _customers(rng)
    t["orders"], t["order_items"] = _orders(rng, t["customers"], t["products"])
    t["returns"] = _returns(rng, t["orders"], t["order_items"])
    t["support_tickets"] = _tickets(rng, t["customers"], t["orders"])
    return rows


def _employees(rng: random.Random) -> list[tuple]:
    out = [(e[0], e[1], e[2], f"{e[1].lower()}.{e[2].lower()}@kestreloutfitters.example".replace("á", "a"),
            e[3], e[4], e[5], e[6], e[7]) for e in ref.LEADERS]
    plan = (
        [("Sales Associate", "Retail Operations", s, 8 + s) for s in (1, 2, 3, 4) for _ in range(6)]
        + [("Assistant Store Manager", "Retail Operations", s, 8 + s) for s in (1, 2, 3, 4)]
        + [("Support Specialist", "Customer Support", None, 13) for _ in range(6)]
        + [("Software Engineer", "Engineering", None, 6) for _ in range(5)]
        + [("Site Reliability Engineer", "Engineering", None, 16) for _ in range(2)]
        + [("Security Analyst", "Engineering", None, 5)]
        + [("Merchandise Planner", "Merchandising", None, 8) for _ in range(3)]
        + [("Warehouse Associate", "Operations", None, 14) for _ in range(5)]
        + [("Accountant", "Finance", None, 15) for _ in range(2)]
        + [("People Partner", "People", None, 7)]
    )
    used = {(e[1], e[2]) for e in out}
    for title, dept, store, manager in plan:
        while True:
            first, last = rng.choice(ref.FIRST_NAMES), rng.choice(ref.LAST_NAMES)
            if (first, last) not in used:
                used.add((first, last))
                break
        hired = START - dt.timedelta(days=rng.randint(30, 2400))
        if rng.random() < 0.15:
            hired = START + dt.timedelta(days=rng.randint(0, 690))
        if store is not None:  # nobody joins a store more than 60 days before it opens
            opened = dt.date.fromisoformat(ref.STORES[store - 1][5])
            hired = max(hired, opened - dt.timedelta(days=rng.randint(0, 60)))
        email = f"{first.lower()}.{last.lower()}@kestreloutfitters.example"
        out.append((len(out) + 1, first, last, email, title, dept, store, manager, hired.isoformat()))
    return out


def _products(rng: random.Random) -> list[tuple]:
    out = []
    for c_idx, (category, supplier, ratio, _cap, items) in enumerate(ref.CATEGORIES):
        for i_idx, (name, price) in enumerate(items):
            cost = round(price * ratio * rng.uniform(0.96, 1.04), 2)
            sku = f"KO-{c_idx + 1}{i_idx + 1:02d}"
            launched = dt.date(2016 + rng.randint(0, 8), rng.randint(1, 12), 1)
            out.append((len(out) + 1, sku, name, category, supplier, cost, price, launched.isoformat(),
                        category == "Navigation & Electronics" and i_idx == 5))
    return out


def _customers(rng: random.Random) -> list[tuple]:
    out = []
    for cid in range(1, 901):
        first, last = rng.choice(ref.FIRST_NAMES), rng.choice(ref.LAST_NAMES)
        tier = rng.choices(["none", "Trail", "Summit"], weights=[60, 28, 12])[0]
        signup = START - dt.timedelta(days=rng.randint(0, 1800)) if rng.random() < 0.7 else \
            START + dt.timedelta(days=rng.randint(0, 600))
        home = rng.choices([1, 2, 3, 4, 5], weights=[26, 24, 14, 10, 26])[0]
        out.append((cid, first, last, f"{first.lower()}.{last.lower()}{cid}@mail.example", rng.choice(ref.US_STATES),
                    signup.isoformat(), tier, home))
    return out


def _order_dates(rng: random.Random, n: int, year: int) -> list[dt.date]:
    days = [START + dt.timedelta(days=i) for i in range((END - START).days + 1)]
    days = [d for d in days if d.year == year]
    weights = [MONTH_WEIGHT[d.month - 1] for d in days]
    return sorted(rng.choices(days, weights=weights, k=n))


def _orders(rng: random.Random, customers: list[tuple], products: list[tuple]) -> tuple[list, list]:
    caps = {c[0]: c[3] for c in ref.CATEGORIES}
    orders, items = [], []
    dates = _order_dates(rng, 880, 2024) + _order_dates(rng, 1060, 2025)
    early = [c for c in customers if c[5] < START.isoformat()]
    for oid, day in enumerate(dates, start=1):
        cust = rng.choice(customers)
        if cust[5] > day.isoformat():  # nobody orders before signing up
            cust = rng.choice(early)
        store = cust[7] if rng.random() < 0.8 else rng.choice([1, 2, 3, 4, 5])
        channel = "online" if store == 5 else "in_store"
        status = "cancelled" if rng.random() < 0.04 else "completed"
        subtotal = 0
        for line in range(1, rng.choices([1, 2, 3, 4], weights=[50, 30, 15, 5])[0] + 1):
            prod = rng.choice(products)
            qty = rng.choices([1, 2, 3], weights=[80, 16, 4])[0]
            cap = caps[prod[3]]
            discount = rng.choices([0, 10, cap, cap + 5], weights=[70, 18, 11, 1])[0]
            if day.month in (1, 8) and prod[3] == "Apparel":
                discount = cap  # end-of-season clearance
            if _no_discount(prod, day):
                discount = 0
            price_c = round(cents(prod[6]) * (100 - discount) / 100)
            subtotal += price_c * qty
            items.append((oid, line, prod[0], qty, price_c / 100, discount))
        fee = 0
        if channel == "online" and cust[6] != "Summit":  # Summit members ship free (shipping policy)
            fee = 0 if subtotal >= cents(ref.FREE_SHIPPING_THRESHOLD) else cents(ref.STANDARD_SHIPPING_FEE)
        orders.append((oid, cust[0], store, day.isoformat(), channel, status, fee / 100))
    return orders, items


def _no_discount(prod: tuple, day: dt.date) -> bool:
    """Blackouts from the pricing guide and the 2025-09-18 pricing committee."""
    down_bag_peak = "Down Bag" in prod[2] and day.month >= 10
    electronics_q4_2025 = prod[3] == "Navigation & Electronics" and day >= dt.date(2025, 10, 1)
    return down_bag_peak or electronics_q4_2025


def _returns(rng: random.Random, orders: list[tuple], items: list[tuple]) -> list[tuple]:
    by_id = {o[0]: o for o in orders}
    out = []
    for oid, line, pid, qty, price, _disc in items:
        order = by_id[oid]
        if order[5] != "completed" or rng.random() > 0.085:
            continue
        late = rng.random() < 0.14
        days = rng.randint(31, 75) if late else rng.randint(1, 30)
        filed = dt.date.fromisoformat(order[3]) + dt.timedelta(days=days)
        if filed > END:
            continue
        reason = rng.choice(ref.RETURN_REASONS)
        if late:
            status = "refunded" if rng.random() < 0.3 else "rejected"
        else:
            status = "rejected" if rng.random() < 0.06 else "refunded"
        refund = round(price * qty, 2) if status == "refunded" else 0.0
        out.append((len(out) + 1, oid, line, pid, filed.isoformat(), reason, status, refund))
    return out


def _tickets(rng: random.Random, customers: list[tuple], orders: list[tuple]) -> list[tuple]:
    out = []
    for tid in range(1, 421):
        order = rng.choice(orders) if rng.random() < 0.75 else None
        cust = order[1] if order else rng.choice(customers)[0]
        base = dt.date.fromisoformat(order[3]) if order else START + dt.timedelta(days=rng.randint(0, 720))
        opened = dt.datetime.combine(base, dt.time(8)) + dt.timedelta(hours=rng.randint(6, 400))
        if opened.date() > END:
            opened = dt.datetime(2025, 12, 30, 10) - dt.timedelta(hours=rng.randint(0, 200))
        priority = rng.choices(["P1", "P2", "P3"], weights=[8, 32, 60])[0]
        hours = rng.randint(1, 30) if priority == "P1" else rng.randint(2, 120)
        resolved = opened + dt.timedelta(hours=hours, minutes=rng.randint(0, 59))
        still_open = resolved > dt.datetime(2025, 12, 31, 18)
        channel = rng.choices(["email", "chat", "phone"], weights=[45, 40, 15])[0]
        csat = None if still_open or rng.random() < 0.3 else rng.choices([1, 2, 3, 4, 5], weights=[4, 6, 15, 35, 40])[0]
        out.append((tid, cust, order[0] if order else None, opened.isoformat(sep=" "),
                    None if still_open else resolved.isoformat(sep=" "), channel,
                    rng.choice(ref.TICKET_CATEGORIES), priority, "open" if still_open else "resolved", csat))
    return out
